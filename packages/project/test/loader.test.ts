import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { loadProject, type LoadResult } from '../src/index.js';
import { MINIMAL_V1_FILE, ORIGINAL_V0_FILE, makeProject, osFiles } from './fixtures.js';

const created: string[] = [];
after(async () => {
  await Promise.all(created.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function load(files: Record<string, string>): Promise<LoadResult> {
  const dir = await makeProject(files);
  created.push(dir);
  return loadProject(dir);
}

function only(result: LoadResult, code: string) {
  const matches = result.problems.filter((problem) => problem.code === code);
  assert.equal(matches.length, 1, `expected one ${code}, got: ${JSON.stringify(result.problems, null, 2)}`);
  return matches[0]!;
}

describe('loadProject: version 1', () => {
  it('loads a minimal file with every default filled in', async () => {
    const { project, problems } = await load({ 'Boottorrent.yaml': MINIMAL_V1_FILE, ...osFiles('testos') });
    assert.deepEqual(problems, []);
    assert.ok(project);
    assert.equal(project.sourceVersion, 1);
    assert.equal(project.config.dhcp.mode, 'full');
    assert.equal(project.config.boot.api_port, 8080);
    assert.equal(project.config.tracker.announce_interval, 5);
    assert.equal(project.config.master.netmask, '255.255.255.0');
    assert.deepEqual(
      project.oses.map((os) => [os.name, os.kernel, os.initrd, os.cmdline]),
      [['testos', 'vmlinuz', 'initramfs.img', 'break']],
    );
    assert.deepEqual(
      project.oses[0]!.files.map((file) => file.path),
      ['initramfs.img', 'vmlinuz'],
      'the torrent holds every file but config.yaml, sorted',
    );
  });

  it('normalizes node MACs and keeps their pins', async () => {
    const { project, problems } = await load({
      'Boottorrent.yaml': `${MINIMAL_V1_FILE}dhcp:\n  range: "10.77.0.50,10.77.0.150,1h"\nnodes:\n  "52-54-00-AB-CD-01":\n    os: testos\n    address: 10.77.0.60\n  52:54:00:00:00:02: {}\n`,
      ...osFiles('testos'),
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(project?.nodes, [
      { mac: '52:54:00:ab:cd:01', os: 'testos', address: '10.77.0.60', hostname: null },
      { mac: '52:54:00:00:00:02', os: null, address: null, hostname: null },
    ]);
  });

  it('points a YAML syntax error at its line', async () => {
    const result = await load({ 'Boottorrent.yaml': 'version: 1\nmaster:\n  address: "10.0.0.1\n  interface: eth0\n' });
    assert.equal(result.project, null);
    const problem = result.problems.find((p) => p.code === 'BT_YAML_SYNTAX');
    assert.ok(problem, JSON.stringify(result.problems));
    assert.equal(problem.file, 'Boottorrent.yaml');
    assert.ok(problem.line >= 3, `line ${problem.line}`);
  });

  it('reports a missing version, and a missing required key at its section', async () => {
    const noVersion = await load({ 'Boottorrent.yaml': 'master:\n  address: 10.0.0.1\n' });
    assert.equal(only(noVersion, 'BT_PROJECT_VERSION').line, 1);

    const noInterface = await load({ 'Boottorrent.yaml': 'version: 1\nmaster:\n  address: 10.0.0.1\n', ...osFiles('a') });
    const problem = only(noInterface, 'BT_PROJECT_SCHEMA');
    assert.match(problem.message, /missing required key "master.interface"/);
    assert.equal(problem.line, 3, 'points inside the master section');
  });

  it('reports an invalid dhcp range at its line, with the fix', async () => {
    const result = await load({
      'Boottorrent.yaml': `${MINIMAL_V1_FILE}dhcp:\n  mode: full\n  range: "10.77.0.50,10.77.0.300,12h"\n`,
      ...osFiles('testos'),
    });
    const problem = only(result, 'BT_PROJECT_SCHEMA');
    assert.equal(problem.line, 7);
    assert.match(problem.message, /10\.77\.0\.300.*not an IPv4 address/);
    assert.match(problem.fix, /first,last,lease/);
  });

  it('reports a range outside the master network', async () => {
    const result = await load({ 'Boottorrent.yaml': `${MINIMAL_V1_FILE}dhcp:\n  range: "192.168.9.10,192.168.9.20,1h"\n`, ...osFiles('testos') });
    assert.equal(only(result, 'BT_DHCP_RANGE_SUBNET').line, 6);
  });

  it('reports a default_os that is not a folder, listing the ones that are', async () => {
    const result = await load({ 'Boottorrent.yaml': `${MINIMAL_V1_FILE}boot:\n  default_os: debian\n`, ...osFiles('testos') });
    const problem = only(result, 'BT_OS_UNKNOWN');
    assert.equal(problem.line, 6);
    assert.match(problem.message, /"debian" is not a folder under oss\//);
    assert.match(problem.fix, /testos/);
  });

  it('reports a missing kernel file in the OS config.yaml, at the kernel line', async () => {
    const files = osFiles('testos');
    delete files['oss/testos/vmlinuz'];
    const result = await load({ 'Boottorrent.yaml': MINIMAL_V1_FILE, ...files });
    const problem = only(result, 'BT_OS_FILE_MISSING');
    assert.equal(problem.file, 'oss/testos/config.yaml');
    assert.equal(problem.line, 3);
    assert.equal(result.project, null);
  });

  it('refuses kernel paths that leave the OS folder', async () => {
    const result = await load({
      'Boottorrent.yaml': MINIMAL_V1_FILE,
      ...osFiles('testos', 'dispname: T\nkernel: ../../etc/passwd\n'),
    });
    assert.equal(only(result, 'BT_OS_PATH_ESCAPES').line, 2);
  });

  it('reports a duplicate dispname at the second OS', async () => {
    const result = await load({ 'Boottorrent.yaml': MINIMAL_V1_FILE, ...osFiles('alpha'), ...osFiles('beta') });
    const problem = only(result, 'BT_OS_DUPLICATE_DISPNAME');
    assert.equal(problem.file, 'oss/beta/config.yaml');
    assert.equal(problem.line, 1);
    assert.match(problem.message, /also used by oss\/alpha/);
  });

  it('lists every problem at once: Boottorrent.yaml and OS folders', async () => {
    const files = osFiles('testos');
    delete files['oss/testos/vmlinuz'];
    const result = await load({ 'Boottorrent.yaml': 'version: 1\nmaster:\n  address: nope\n  interface: eth0\n', ...files });
    assert.deepEqual(result.problems.map((p) => p.code).sort(), ['BT_OS_FILE_MISSING', 'BT_PROJECT_SCHEMA']);
  });

  it('warns about unknown keys with a suggestion, without failing', async () => {
    const result = await load({ 'Boottorrent.yaml': `${MINIMAL_V1_FILE}dhcp:\n  mdoe: proxy\n`, ...osFiles('testos') });
    assert.ok(result.project);
    const problem = only(result, 'BT_PROJECT_UNKNOWN_KEY');
    assert.equal(problem.severity, 'warning');
    assert.equal(problem.line, 6);
    assert.match(problem.fix, /did you mean "mode"/);
  });

  it('reports port conflicts between services', async () => {
    const result = await load({ 'Boottorrent.yaml': `${MINIMAL_V1_FILE}seeder:\n  http_port: 8080\n`, ...osFiles('testos') });
    assert.match(only(result, 'BT_PORT_CONFLICT').message, /port 8080, already used by boot.api_port/);
  });

  it('rejects OS folder names that cannot go into URLs', async () => {
    const result = await load({ 'Boottorrent.yaml': MINIMAL_V1_FILE, ...osFiles('my os') });
    assert.equal(only(result, 'BT_OS_NAME').file, 'oss/my os');
  });

  it('says where to start when there is no Boottorrent.yaml', async () => {
    const result = await load({ 'oss/.keep': '' });
    assert.match(only(result, 'BT_PROJECT_NOT_FOUND').fix, /boottorrent init/);
  });
});

describe('loadProject: the original BootTorrent format (version 0)', () => {
  it('loads the original default file and OS config unchanged', async () => {
    const { project, problems } = await load({ 'Boottorrent.yaml': ORIGINAL_V0_FILE, ...osFiles('testos') });
    assert.deepEqual(problems, []);
    assert.ok(project);
    assert.equal(project.sourceVersion, 0);
    assert.equal(project.config.master.address, '192.168.1.1');
    assert.equal(project.config.master.interface, 'eth0');
    assert.equal(project.config.dhcp.mode, 'full');
    assert.equal(project.config.dhcp.range, '192.168.1.50,192.168.1.150,12h');
    assert.equal(project.config.tracker.port, 10001);
    assert.equal(project.config.boot.default_os, 'testos');
    assert.deepEqual(project.config.boot.menu, ['testos']);
    assert.equal(project.config.linger.min_seconds, 30);
    assert.equal(project.config.phase1.log_level, 'error');
    assert.equal(project.config.phase1.local_peer_discovery, false);
  });

  it('accepts YAML 1.1 booleans (yes/no/on/off) where booleans are expected', async () => {
    const file = ORIGINAL_V0_FILE.replace('enable_dhcp: True', 'enable_dhcp: no').replace('enable_tftp: True', 'enable_tftp: yes');
    const { project } = await load({ 'Boottorrent.yaml': file, ...osFiles('testos') });
    assert.equal(project?.config.dhcp.mode, 'proxy', 'enable_dhcp: no means an existing DHCP server: proxy mode');
    assert.equal(project?.config.dhcp.tftp, true);
  });

  it('points problems found after migration at the version-0 line', async () => {
    const file = ORIGINAL_V0_FILE.replace('default_os: testos', 'default_os: freedos');
    const result = await load({ 'Boottorrent.yaml': file, ...osFiles('testos') });
    const problem = only(result, 'BT_OS_UNKNOWN');
    assert.equal(problem.line, 4, 'boottorrent.default_os is on line 4');
  });

  it('reports an invalid host_ip at its line', async () => {
    const result = await load({ 'Boottorrent.yaml': ORIGINAL_V0_FILE.replace('host_ip: 192.168.1.1', 'host_ip: 192.168.1'), ...osFiles('testos') });
    const problem = only(result, 'BT_PROJECT_SCHEMA');
    assert.equal(problem.line, 6);
    assert.match(problem.fix, /host_ip/);
  });

  it('leaves OSes with the original non-kexec methods out, with a warning', async () => {
    const { project, problems } = await load({
      'Boottorrent.yaml': ORIGINAL_V0_FILE,
      ...osFiles('testos'),
      'oss/freedos/config.yaml': 'dispname: FreeDOS\nmethod: bin-qemu-x86_64\nargs: "-fda odin1440.img"\n',
    });
    assert.ok(project);
    assert.deepEqual(project.oses.map((os) => os.name), ['testos']);
    const warning = problems.find((p) => p.code === 'BT_OS_METHOD_UNSUPPORTED');
    assert.equal(warning?.severity, 'warning');
    assert.equal(warning?.line, 2);
  });
});
