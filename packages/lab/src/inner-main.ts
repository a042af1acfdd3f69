#!/usr/bin/env node
// The part of `boottorrent lab` that runs inside the lab's network namespace (re-executed by
// runLab through `ip netns exec`), so that the boot API, qemu taps and the master are local.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabPlan } from './config.js';
import { runLabSession } from './session.js';

const planFile = process.argv[2];
if (!planFile) {
  process.stderr.write('usage: inner-main.js <plan.json>\n');
  process.exit(2);
}
const plan = JSON.parse(await readFile(planFile, 'utf8')) as LabPlan;
const abort = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => abort.abort());
// If the lab command dies without telling us (killed, test runner gone), stop the nodes and
// the master rather than leave them running in a namespace nobody will delete.
const parent = process.ppid;
const orphanCheck = setInterval(() => {
  if (process.ppid !== parent) abort.abort();
}, 1000);
orphanCheck.unref();

try {
  const result = await runLabSession(plan, abort.signal, (text) => process.stdout.write(text));
  await writeFile(join(plan.workDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = result.ok ? 0 : 1;
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  await writeFile(join(plan.workDir, 'result.json'), `${JSON.stringify({ ok: false, reason: message, nodes: [], swarms: [], timeline: [], timelineText: '', totalSeconds: null, workDir: plan.workDir }, null, 2)}\n`);
  process.stderr.write(`lab: ${message}\n`);
  process.exitCode = 1;
}
