import assert from 'node:assert/strict';
import { access, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@boottorrent/runtime';
import { LabNetwork } from '@boottorrent/testing';
import { statePaths } from '../src/paths.js';
import { renderDnsmasqConfig } from '../src/render.js';
import { DnsmasqSupervisor, type SupervisorOptions } from '../src/supervisor.js';
import { fullDesired } from './fixtures.js';

/* The supervisor on its own, with a real dnsmasq in a lab namespace. */

describe('DnsmasqSupervisor (real dnsmasq in a namespace)', { timeout: 60_000 }, () => {
  let lab: LabNetwork;
  let work = '';
  const supervisors: DnsmasqSupervisor[] = [];
  let config = '';

  const supervisor = (overrides: Partial<SupervisorOptions> = {}) => {
    const paths = statePaths(join(work, 'state'));
    const created = new DnsmasqSupervisor({
      bin: 'dnsmasq',
      commandPrefix: ['ip', 'netns', 'exec', lab.ns.name],
      paths,
      backoff: { initialMs: 100, maxMs: 1000, resetMs: 60_000 },
      startTimeoutMs: 5000,
      stopGraceMs: 2000,
      logger: createLogger('dhcp', { level: 'silent' }),
      onLine: () => undefined,
      ...overrides,
    });
    supervisors.push(created);
    return created;
  };

  before(async () => {
    lab = await LabNetwork.create();
    work = await mkdtemp(join(tmpdir(), 'bt-dhcp-sup-'));
    await chmod(work, 0o755);
    await mkdir(join(work, 'state', 'tftp'), { recursive: true });
    config = renderDnsmasqConfig(fullDesired({ tftp: false }), statePaths(join(work, 'state'))) ?? '';
  });

  after(async () => {
    for (const created of supervisors) await created.stop().catch(() => undefined);
    await lab?.delete();
    await rm(work, { recursive: true, force: true });
  });

  it('runs dnsmasq in the foreground with the applied configuration and records its PID', async () => {
    const first = supervisor();
    await first.apply(config);
    const { state, pid } = first.status();
    assert.equal(state, 'running');
    assert.equal((await readFile(join(work, 'state', 'dnsmasq.pid'), 'utf8')).trim(), String(pid));
    assert.equal(await readFile(join(work, 'state', 'dnsmasq.conf'), 'utf8'), config);
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    assert.ok(argv.includes('--keep-in-foreground'));
  });

  it('a successor stops the dnsmasq its predecessor left behind (service killed hard)', async () => {
    await supervisors[0]?.stop();
    // What a service killed with SIGKILL leaves: its dnsmasq still running, and the pid file.
    const paths = statePaths(join(work, 'state'));
    const orphan = lab.ns.spawn('orphan dnsmasq', 'dnsmasq', ['--keep-in-foreground', `--conf-file=${paths.configFile}`]);
    await orphan.waitForLine(/started, version/);
    await writeFile(paths.pidFile, `${orphan.pid}\n`);

    const successor = supervisor();
    await successor.reapOrphan();
    assert.equal(await orphan.exited, 0, 'stopped with SIGTERM, exiting cleanly');
    await assert.rejects(access(paths.pidFile));
    await successor.apply(config);
    assert.equal(successor.status().state, 'running', 'port 67 is free again');
    await successor.stop();
  });

  it('leaves an unrelated process alone even if the pid file names it', async () => {
    const keeper = supervisor();
    await keeper.apply(config);
    const pid = keeper.status().pid;
    // The pid file now names a dnsmasq with another configuration file: not ours.
    const stranger = supervisor({ paths: { ...statePaths(join(work, 'state')), configFile: join(work, 'other.conf') } });
    await stranger.reapOrphan();
    assert.ok((await readFile(`/proc/${pid}/cmdline`, 'utf8')).length > 0, 'still running');
    await keeper.stop();
  });

  it('a start failure with nothing to fall back on throws BT_DHCP_START_FAILED and stays stopped', async () => {
    const failing = supervisor();
    const bad = config.replace('interface=br0', 'interface=nosuch1');
    await assert.rejects(failing.apply(bad), (err: { code?: string; message?: string }) => err.code === 'BT_DHCP_START_FAILED' && /unknown interface nosuch1/.test(err.message ?? ''));
    assert.equal(failing.status().state, 'stopped');
    assert.equal(failing.configText, null);
  });

  it('a missing binary is BT_DHCP_DNSMASQ_MISSING', async () => {
    const missing = supervisor({ bin: '/nonexistent/dnsmasq', commandPrefix: [] });
    await assert.rejects(missing.test(config), { code: 'BT_DHCP_DNSMASQ_MISSING' });
  });
});
