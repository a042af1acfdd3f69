import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_BANNER, LAB_MASTER_ADDRESS, runLab, type LabOptions, type LabResult } from '@boottorrent/lab';
import { e2eLabOptions } from './lab-options.js';

/** Small enough for 2 cores under emulation, big enough that the swarm moves real bytes. */
const PAYLOAD_MIB = 32;
function labOptions(overrides: Partial<LabOptions> & { workDir: string }): LabOptions {
  return e2eLabOptions({ payloadMib: PAYLOAD_MIB, ...overrides });
}

async function consoleOf(result: LabResult, name: string): Promise<string> {
  const node = result.nodes.find((n) => n.name === name);
  assert.ok(node, `no node ${name}`);
  return readFile(node.consoleFile, 'utf8');
}

describe('virtual lab: 3 BIOS nodes, full DHCP, and one node assigned an OS whose files are missing', { timeout: 25 * 60_000 }, () => {
  let workDir: string;
  let result: LabResult;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'bt-e2e-bios-'));
    result = await runLab(labOptions({ workDir, brokenNodes: 1 }));
    process.stdout.write(`${result.timelineText.replace(/^/gm, '    # ')}\n`);
  });
  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('every healthy node reaches booted and its console shows the demo OS banner', async () => {
    assert.ok(result.ok, result.reason);
    for (const name of ['node1', 'node2', 'node3']) {
      const node = result.nodes.find((n) => n.name === name);
      assert.equal(node?.record?.state, 'booted', `${name}: ${JSON.stringify(node?.record?.error)}`);
      assert.match(await consoleOf(result, name), DEMO_BANNER);
      assert.deepEqual(
        node?.record?.history.map((step) => step.state).filter((state, i, all) => all.indexOf(state) === i),
        ['ipxe', 'phase1', 'downloading', 'seeding', 'kexec', 'booted'],
        `${name} went through every step in order`,
      );
    }
  });

  it('nodes fetched from each other: phase-1 peers uploaded, and the master sent less than a copy per node', () => {
    const healthy = result.nodes.filter((n) => !n.name.startsWith('broken'));
    // aria2c's own figures, from each node's last progress report (finished nodes leave the
    // tracker's peer list when they kexec, taking their figures with them).
    const uploadedByNodes = healthy.reduce((sum, node) => sum + (node.record?.progress?.uploaded ?? 0), 0);
    assert.ok(uploadedByNodes > 0, `phase-1 peers uploaded ${uploadedByNodes} bytes`);
    const infoHash = healthy[0]?.record?.infoHash;
    const length = healthy[0]?.record?.progress?.bytesTotal ?? 0;
    const seeder = result.swarms.find((s) => s.infoHash === infoHash)?.peers.find((peer) => peer.address.startsWith(`${LAB_MASTER_ADDRESS}:`));
    assert.ok(seeder, `the tracker reported the master's seeder on ${infoHash}`);
    assert.ok(seeder.uploaded < healthy.length * length, `the master uploaded ${seeder.uploaded} bytes, under ${healthy.length} copies of ${length}`);
  });

  it('the node assigned an OS whose files are missing ends in failed, with the reason in the API and on its console', async () => {
    const broken = result.nodes.find((n) => n.name === 'broken1');
    assert.equal(broken?.record?.state, 'failed');
    assert.equal(broken?.record?.error?.code, 'BT_P1_MANIFEST');
    assert.match(broken?.record?.error?.message ?? '', /oss\/broken\/\S+ is missing on the master/);
    assert.match(await consoleOf(result, 'broken1'), /is missing on the master/);
  });

  it('ends with a timeline of every node', () => {
    // Nodes power on one after another, so only the shape of each row is fixed, not its times.
    const time = String.raw`\d+\.\ds`;
    for (const name of ['node1', 'node2', 'node3']) {
      assert.match(result.timelineText, new RegExp(`^${name}(\\s+${time}){6}\\s+booted$`, 'm'));
    }
    assert.match(result.timelineText, new RegExp(`^broken1(\\s+${time}){3}(\\s+-){3}\\s+failed: BT_P1_MANIFEST`, 'm'));
    assert.match(result.timelineText, /3 of 4 booted/);
    assert.ok(result.totalSeconds !== null && result.totalSeconds > 0);
  });
});

describe('virtual lab: proxyDHCP beside another DHCP server, one BIOS and one UEFI (OVMF) node', { timeout: 25 * 60_000 }, () => {
  let workDir: string;
  let result: LabResult;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'bt-e2e-proxy-'));
    result = await runLab(labOptions({ workDir, nodes: 2, firmware: 'mixed', dhcp: 'proxy', payloadMib: 16 }));
    process.stdout.write(`${result.timelineText.replace(/^/gm, '    # ')}\n`);
  });
  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('both nodes boot the demo OS', async () => {
    assert.ok(result.ok, result.reason);
    for (const name of ['node1', 'node2']) assert.match(await consoleOf(result, name), DEMO_BANNER);
  });

  it('the UEFI node came through client-arch 7 (OVMF PXE -> ipxe.efi over TFTP)', () => {
    const uefi = result.nodes.find((n) => n.firmware === 'uefi');
    assert.equal(uefi?.record?.clientArch, 7);
  });

  it('addresses came from the other DHCP server, not from BootTorrent', async () => {
    const leases = await readFile(join(workDir, 'udhcpd.leases'));
    for (const node of result.nodes) {
      const mac = Buffer.from(node.mac.split(':').map((pair) => Number.parseInt(pair, 16)));
      assert.ok(leases.includes(mac), `udhcpd leased an address to ${node.mac}`);
    }
  });
});
