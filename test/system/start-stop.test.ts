import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultHealthPorts, serviceNames } from '@boottorrent/contracts';
import { ensurePhase1 } from '@boottorrent/lab';
import { isAlive } from '@boottorrent/runtime';
import { LabNetwork, waitFor, type ManagedProcess } from '@boottorrent/testing';
import { boottorrent, cliMain, httpGet, publishEvent, repoRoot } from './in-netns.js';

const artifacts = join(repoRoot, '.cache', 'phase1');
const NODE_MAC = '52:54:00:5e:00:01';

interface Runtime {
  pid: number;
  natsUrl: string;
  summary: { apiUrl: string; oses: Array<{ name: string; infoHash: string | null }> };
  children: Record<string, { pid: number | null; restarts: number }>;
}

async function writeProject(dir: string, master = { address: '10.77.0.1', interface: 'br0' }): Promise<void> {
  await mkdir(join(dir, 'oss', 'demo'), { recursive: true });
  await writeFile(
    join(dir, 'Boottorrent.yaml'),
    `version: 1\nmaster:\n  address: ${master.address}\n  interface: ${master.interface}\nboot:\n  timeout: 0\n`,
  );
  await writeFile(join(dir, 'oss', 'demo', 'config.yaml'), 'dispname: Demo\nkernel: vmlinuz\ninitrd: initrd\ncmdline: console=ttyS0\n');
  await writeFile(join(dir, 'oss', 'demo', 'vmlinuz'), randomBytes(512 * 1024));
  await writeFile(join(dir, 'oss', 'demo', 'initrd'), randomBytes(256 * 1024));
}

describe('boottorrent start, status and stop on a bridge in a network namespace', { timeout: 30 * 60_000 }, () => {
  let lab: LabNetwork;
  let work: string;
  let project: string;
  let master: ManagedProcess | undefined;
  const runtimeFile = () => join(project, '.boottorrent', 'runtime.json');
  const readRuntime = async () => JSON.parse(await readFile(runtimeFile(), 'utf8')) as Runtime;

  before(async () => {
    await ensurePhase1(repoRoot, artifacts, () => undefined);
    lab = await LabNetwork.create({ nsPrefix: 'btsys' });
    work = await mkdtemp(join(tmpdir(), 'bt-system-'));
    await chmod(work, 0o755);
    project = join(work, 'project');
    await writeProject(project);
  });

  after(async () => {
    await master?.stop(20_000);
    await boottorrent(lab.ns, ['stop', '--project', project]);
    await lab?.delete();
    await rm(work, { recursive: true, force: true });
  });

  it('starts NATS and every service, prints the summary, and each answers its health endpoint', async () => {
    master = lab.ns.spawn('boottorrent start', process.execPath, [cliMain, 'start', '--project', project, '--artifacts', artifacts, '--json']);
    const readyLine = await master.waitForLine(/"msg":"ready"/, 10 * 60_000);
    const summary = (JSON.parse(readyLine) as { summary: Runtime['summary'] & { dhcpMode: string; interface: string } }).summary;
    assert.equal(summary.apiUrl, 'http://10.77.0.1:8080');
    assert.equal(summary.dhcpMode, 'full');
    assert.equal(summary.interface, 'br0');
    assert.match(summary.oses.find((os) => os.name === 'demo')?.infoHash ?? '', /^[0-9a-f]{40}$/);
    for (const service of serviceNames) {
      const health = await httpGet(lab.ns, `http://127.0.0.1:${defaultHealthPorts[service]}/healthz`);
      assert.equal(health.status, 200, `${service} /healthz`);
      const ready = await httpGet(lab.ns, `http://127.0.0.1:${defaultHealthPorts[service]}/readyz`);
      assert.equal(ready.status, 200, `${service} /readyz: ${ready.body}`);
    }
    const boot = await httpGet(lab.ns, 'http://10.77.0.1:8080/readyz');
    assert.equal(boot.status, 200);
    assert.ok(master.lines.some((line) => line.includes('"service":"seeder"')), 'children log lines are shown, tagged with their service');
  });

  it('shows a node event published on NATS in status --json', async () => {
    const { natsUrl } = await readRuntime();
    await publishEvent(lab.ns, natsUrl, 'nodeDhcp', { mac: NODE_MAC, kind: 'ack', ip: '10.77.0.120', clientArch: 0, bootFile: 'undionly.kpxe', mode: 'full', at: Date.now() });
    const status = await waitFor(
      async () => {
        const result = await boottorrent(lab.ns, ['status', '--project', project, '--json']);
        assert.equal(result.code, 0, result.stderr);
        const body = JSON.parse(result.stdout) as { nodes: Array<{ mac: string; state: string; ip: string }>; services: Array<{ name: string; ready: boolean }> };
        return body.nodes.some((node) => node.mac === NODE_MAC) ? body : undefined;
      },
      { timeoutMs: 15_000, what: 'the node in status --json' },
    );
    const node = status.nodes.find((n) => n.mac === NODE_MAC);
    assert.equal(node?.state, 'dhcp');
    assert.equal(node?.ip, '10.77.0.120');
    assert.deepEqual(status.services.map((s) => [s.name, s.ready]), serviceNames.map((name) => [name, true]));
    const table = await boottorrent(lab.ns, ['status', '--project', project]);
    assert.match(table.stdout, new RegExp(`${NODE_MAC}\\s+dhcp`));
  });

  it('restarts a service that dies, and reports it', async () => {
    const before = await readRuntime();
    const seederPid = before.children.seeder?.pid;
    assert.ok(seederPid);
    process.kill(seederPid, 'SIGKILL');
    await waitFor(
      async () => {
        const now = await readRuntime();
        return now.children.seeder?.pid !== seederPid && (now.children.seeder?.restarts ?? 0) >= 1;
      },
      { timeoutMs: 30_000, what: 'the seeder to be restarted' },
    );
    await waitFor(async () => (await httpGet(lab.ns, `http://127.0.0.1:${defaultHealthPorts.seeder}/readyz`)).status === 200, { timeoutMs: 60_000, what: 'the restarted seeder to be ready' });
    assert.ok(master!.lines.some((line) => /seeder died \(signal SIGKILL\); restarting/.test(line)));
  });

  it('refuses to start a second master on the same project', async () => {
    const second = await boottorrent(lab.ns, ['start', '--project', project]);
    assert.equal(second.code, 2);
    assert.match(second.stderr, /already running for .* \(pid \d+\)\.\n\s+fix: stop it first: boottorrent stop/);
  });

  it('stops everything on SIGTERM: exit 0, no child left, no port listening', async () => {
    const runtime = await readRuntime();
    const pids = Object.values(runtime.children).map((child) => child.pid).filter((pid): pid is number => pid !== null);
    assert.equal(pids.length, serviceNames.length + 1, 'NATS and every service');
    master!.child.kill('SIGTERM');
    assert.equal(await master!.exited, 0);
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} still runs`);
    const listening = await lab.ns.exec('ss', ['-Hltun']);
    assert.equal(listening.trim(), '', `still listening:\n${listening}`);
    const stopLines = master!.lines.filter((line) => /"msg":"\S+ stopped"/.test(line)).map((line) => (JSON.parse(line) as { child: string }).child);
    assert.deepEqual(stopLines, ['dhcp', 'image-builder', 'seeder', 'tracker', 'config', 'nats'], 'dhcp first, NATS last');
  });

  it('runs in the background with --detach, and stop stops it', async () => {
    const started = await boottorrent(lab.ns, ['start', '--project', project, '--artifacts', artifacts, '--detach']);
    assert.equal(started.code, 0, started.stderr + started.stdout);
    assert.match(started.stdout, /BootTorrent master is up\n\s+boot API\s+http:\/\/10\.77\.0\.1:8080/);
    const runtime = await readRuntime();
    assert.ok(isAlive(runtime.pid));
    const status = await boottorrent(lab.ns, ['status', '--project', project, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const stopped = await boottorrent(lab.ns, ['stop', '--project', project]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /stopped/);
    assert.equal(isAlive(runtime.pid), false);
    assert.equal((await lab.ns.exec('ss', ['-Hltun'])).trim(), '');
    assert.match((await boottorrent(lab.ns, ['stop', '--project', project])).stdout, /no BootTorrent master is running/);
  });

  describe('preflight, before anything starts', () => {
    it('names missing binaries and the packages that provide them', async () => {
      const empty = join(work, 'empty-path');
      await mkdir(empty, { recursive: true });
      const result = await boottorrent(lab.ns, ['start', '--project', project], { PATH: empty });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /nats-server is not installed.*\n\s+fix: install it: apt-get install nats-server/);
      assert.match(result.stderr, /dnsmasq is not installed.*\n\s+fix: install it: apt-get install dnsmasq-base/);
    });

    it('names a missing interface and an address that is not ours', async () => {
      const other = join(work, 'other');
      await writeProject(other, { address: '10.99.0.1', interface: 'nosuch0' });
      const result = await boottorrent(lab.ns, ['start', '--project', other]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /network interface nosuch0 \(master\.interface\) does not exist here\n\s+fix: set master\.interface .* br0/);
      assert.match(result.stderr, /10\.99\.0\.1 \(master\.address\) is not an address of this machine/);
    });

    it('says which process holds a port', async () => {
      const holder = lab.ns.spawn('port holder', process.execPath, ['-e', "require('net').createServer().listen(8080, '10.77.0.1', () => console.log('listening'))"]);
      try {
        await holder.waitForLine(/listening/);
        const result = await boottorrent(lab.ns, ['start', '--project', project]);
        assert.equal(result.code, 2);
        assert.match(result.stderr, new RegExp(`TCP port 8080 on 10\\.77\\.0\\.1 \\(boot API\\) is in use by node \\(pid ${holder.pid}\\)\\n\\s+fix: stop node \\(pid ${holder.pid}\\) or choose another port: boot\\.api_port`));
      } finally {
        await holder.stop();
      }
    });

    it('says DHCP needs privileges when not root', async () => {
      // setpriv drops to nobody for just this run; ns.exec rejects with the output on a non-zero exit.
      const result = await lab.ns.exec('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cliMain, 'start', '--project', project]).then(
        (stdout) => ({ code: 0, stderr: '', stdout }),
        (err: Error) => ({ code: Number(/exited with (\d+)/.exec(err.message)?.[1] ?? -1), stderr: err.message, stdout: '' }),
      );
      assert.equal(result.code, 2);
      assert.match(result.stderr, /serving DHCP needs root or capabilities on dnsmasq/);
    });

    it('prints the project problems with file and line, exit 2', async () => {
      const broken = join(work, 'broken');
      await writeProject(broken);
      await writeFile(join(broken, 'Boottorrent.yaml'), 'version: 1\nmaster:\n  address: 10.77.0.1\n  interface: br0\nboot:\n  default_os: nope\n');
      const result = await boottorrent(lab.ns, ['start', '--project', broken]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /Boottorrent\.yaml:6:15: error: default_os "nope" is not a folder under oss\//);
      assert.match(result.stderr, /so the master cannot start/);
    });
  });
});
