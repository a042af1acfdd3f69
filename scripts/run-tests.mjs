#!/usr/bin/env node
// Runs the whole suite with node:test: unit and integration tests of packages and services,
// then the cross-service tests in test/ (qemu end-to-end last). Compiles first (tsc -b).
//
//   pnpm test                 everything
//   pnpm test dhcp project    only test files whose path contains "dhcp" or "project"
//   pnpm test --no-build ...  skip the compile step
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const filters = args.filter((arg) => !arg.startsWith('--'));

if (build) {
  const tsc = spawnSync('pnpm', ['exec', 'tsc', '-b'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...testFiles(full));
    else if (entry.endsWith('.test.js')) out.push(full);
  }
  return out.sort();
}

function workspaceTests(group) {
  const base = join(root, group);
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .sort()
    .flatMap((name) => testFiles(join(base, name, 'dist', 'test')));
}

// Order: cheap and foundational first, so a broken foundation fails fast; virtual machines last.
const files = [
  ...workspaceTests('packages'),
  ...workspaceTests('services'),
  ...testFiles(join(root, 'test', 'dist', 'system')),
  ...testFiles(join(root, 'test', 'dist', 'e2e')),
]
  .map((file) => relative(root, file))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)));

if (files.length === 0) {
  console.error(`no test files match ${filters.join(', ') || '(any)'}`);
  process.exit(2);
}

// One file at a time: integration tests create network namespaces, bind ports and boot
// virtual machines; on 2 cores running them side by side makes every one of them flaky.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, BT_REPO_ROOT: root },
});
process.exit(result.status ?? 1);
