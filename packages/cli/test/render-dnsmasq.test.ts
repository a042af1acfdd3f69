import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { initProject, loadProject, toDesiredState } from '@boottorrent/project';
import { renderDnsmasqConfig, statePaths } from '@boottorrent/service-dhcp';

/* `boottorrent render dnsmasq` as a user runs it, checked by the real `dnsmasq --test`. */

const cli = fileURLToPath(new URL('../src/main.js', import.meta.url));

function boottorrent(args: string[]) {
  const { BT_STATE_DIR: _ignored, ...env } = process.env; // the defaults test must see the built-in default
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function dnsmasqTest(file: string) {
  const result = spawnSync('dnsmasq', ['--test', `--conf-file=${file}`], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

async function setMode(project: string, mode: string): Promise<void> {
  const file = join(project, 'Boottorrent.yaml');
  const yaml = await readFile(file, 'utf8');
  assert.match(yaml, /^ {2}mode: full$/m, 'the template has dhcp.mode: full');
  await writeFile(file, yaml.replace(/^ {2}mode: full$/m, `  mode: ${mode}`));
}

describe('boottorrent render dnsmasq', () => {
  let work = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bt-cli-render-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  for (const mode of ['full', 'proxy'] as const) {
    it(`${mode} mode: prints exactly the service's configuration, and dnsmasq --test accepts it`, async () => {
      const project = join(work, mode);
      await initProject(project, { master: { address: '10.77.0.1', interface: 'br0' } });
      if (mode === 'proxy') await setMode(project, 'proxy');
      const stateDir = join(work, `${mode}-state`);

      const result = boottorrent(['render', 'dnsmasq', '--project', project, '--state-dir', stateDir]);
      assert.equal(result.code, 0, result.stderr);
      const { project: loaded } = await loadProject(project);
      assert.ok(loaded);
      assert.equal(result.stdout, renderDnsmasqConfig(toDesiredState(loaded).dhcp, statePaths(stateDir)), 'same text as the service renders');
      assert.match(result.stdout, mode === 'full' ? /^dhcp-range=10\.77\.0\.\d+,10\.77\.0\.\d+,255\.255\.255\.0,12h$/m : /^dhcp-range=10\.77\.0\.0,proxy,255\.255\.255\.0$/m);
      assert.match(result.stdout, /^dhcp-boot=tag:ipxe,http:\/\/10\.77\.0\.1:8080\/boot\.ipxe,,10\.77\.0\.1$/m);

      const file = join(work, `${mode}.conf`);
      await writeFile(file, result.stdout);
      assert.deepEqual(dnsmasqTest(file), { status: 0, output: 'dnsmasq: syntax check OK.' });
    });
  }

  it('defaults to the service\'s default state folder', async () => {
    const project = join(work, 'defaults');
    await initProject(project, { master: { address: '10.77.0.1', interface: 'br0' } });
    const result = boottorrent(['render', 'dnsmasq', '--project', project]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^tftp-root=\/run\/boottorrent\/tftp-[0-9a-f]{12}$/m);
    assert.match(result.stdout, /^dhcp-leasefile=\/var\/lib\/boottorrent\/dhcp\/dnsmasq\.leases$/m);
  });

  it('mode off: says that no dnsmasq runs', async () => {
    const project = join(work, 'off');
    await initProject(project, { master: { address: '10.77.0.1', interface: 'br0' } });
    await setMode(project, 'off');
    const result = boottorrent(['render', 'dnsmasq', '--project', project]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '# dhcp.mode is off: the dhcp service runs no dnsmasq.\n');
  });

  it('an invalid project: its problems, then exit 2', async () => {
    const project = join(work, 'broken');
    await initProject(project, { master: { address: '10.77.0.1', interface: 'br0' } });
    await setMode(project, 'sideways');
    const result = boottorrent(['render', 'dnsmasq', '--project', project]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /Boottorrent\.yaml:\d+:\d+/);
    assert.match(result.stderr, /error: .*nothing to render/);
  });
});
