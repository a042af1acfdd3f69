import assert from 'node:assert/strict';
import { cp, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SwarmStats } from '@boottorrent/contracts';
import { aria2cDone, aria2cPercent, LabNetwork, shapeEgress, startAria2c, waitFor, type ManagedProcess, type Netns } from '@boottorrent/testing';
import { makeOs, networkDesired, osDesired, removeDir, sha256File, tempDir } from './fixtures.js';
import { startServiceProcess, type ServiceProcess } from './processes.js';

const MiB = 1024 * 1024;
const NATS_PORT = 4222;
const ports = { trackerPort: 6969, peerPort: 6881, httpPort: 8081 };

/** The info-hash a seeder process logged when it started seeding `os`. */
async function seededInfoHash(proc: ManagedProcess, os: string): Promise<string> {
  const line = await proc.waitForLine(new RegExp(`"os":"${os}".*"msg":"seeding"`), 30_000);
  return (JSON.parse(line) as { infoHash: string }).infoHash;
}

/**
 * Two seeder processes on two "hosts" (network namespaces on one bridge), each with its own
 * copy of the project folder, join one swarm; an aria2c node finishes although one seeder is
 * killed half-way through its download.
 */
describe('two seeders on two hosts, one swarm', () => {
  let lab: LabNetwork;
  let hostA: Netns;
  let hostB: Netns;
  let node: Netns;
  let projectA: string;
  let projectB: string;
  let work: string;
  let tracker: ServiceProcess;
  const seeders: ServiceProcess[] = [];

  const master = () => lab.masterAddress;
  const stats = async (): Promise<SwarmStats> => JSON.parse(await lab.ns.exec('curl', ['-sf', `http://${master()}:${ports.trackerPort}/stats.json`])) as SwarmStats;

  before(async () => {
    lab = await LabNetwork.create({ nsPrefix: 'btseed' });
    hostA = await lab.attach({ hostOctet: 2, nsPrefix: 'btsa' });
    hostB = await lab.attach({ hostOctet: 3, nsPrefix: 'btsb' });
    node = await lab.attach({ hostOctet: 10, nsPrefix: 'btsn' });
    // Slow the seeders' links so the download lasts long enough to kill one mid-way.
    await shapeEgress(hostA, 'eth0', 40);
    await shapeEgress(hostB, 'eth0', 40);

    projectA = await tempDir('bt-two-a-');
    projectB = await tempDir('bt-two-b-');
    work = await tempDir('bt-two-work-');
    await makeOs(projectA, 'demo', { vmlinuz: 4 * MiB + 1, 'initrd.img': 36 * MiB + 2 });
    await cp(join(projectA, 'oss'), join(projectB, 'oss'), { recursive: true });
    for (const file of ['vmlinuz', 'initrd.img']) await utimes(join(projectB, 'oss/demo', file), new Date(2020, 0, 1), new Date(2020, 0, 1));

    lab.ns.spawn('nats-server', 'nats-server', ['-a', master(), '-p', String(NATS_PORT), '-js', '-sd', join(work, 'nats')]);
    const natsUrl = `nats://${master()}:${NATS_PORT}`;
    await waitFor(() => lab.ns.exec('bash', ['-c', `exec 3<>/dev/tcp/${master()}/${NATS_PORT}`]).then(() => true), { timeoutMs: 15_000, what: 'nats-server in the lab' });
    // The desired state as the config service publishes it, put from inside the lab namespace.
    const network = networkDesired(master(), ports, { webSeed: false, announceInterval: 1 });
    const oses = { projectDir: projectA, oses: [await osDesired(projectA, 'demo')] };
    const script = `
      import { connect } from '@nats-io/transport-node';
      import { buckets, openBucket } from '@boottorrent/contracts';
      const nc = await connect({ servers: ${JSON.stringify(natsUrl)} });
      const kv = await openBucket(nc, buckets.desired, console);
      await kv.put('network', ${JSON.stringify(network)});
      await kv.put('oses', ${JSON.stringify(oses)});
      await nc.drain();`;
    await lab.ns.exec(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url).pathname });

    tracker = await startServiceProcess('tracker', { BT_NATS_URL: natsUrl, BT_STATS_INTERVAL_MS: '500' }, { netns: lab.ns });
    for (const [host, project, address] of [
      [hostA, projectA, `${lab.prefix}.2`],
      [hostB, projectB, `${lab.prefix}.3`],
    ] as const) {
      const env = { BT_NATS_URL: natsUrl, BT_PROJECT_DIR: project, BT_BIND_HOST: address, BT_ADVERTISE_ADDRESS: address, BT_INSTANCE: `seeder-${address}` };
      seeders.push(await startServiceProcess('seeder', env, { netns: host }));
    }
  });

  after(async () => {
    for (const seeder of seeders) await seeder.stop().catch(() => undefined);
    await tracker?.stop().catch(() => undefined);
    await lab?.delete();
    await removeDir(projectA);
    await removeDir(projectB);
    await removeDir(work);
  });

  it('both seeders compute the same info-hash from their own copies and announce it', async () => {
    const [a, b] = await Promise.all(seeders.map((seeder) => seededInfoHash(seeder.proc, 'demo')));
    assert.ok(a);
    assert.equal(a, b);
    const swarm = await waitFor(
      async () => {
        const found = (await stats()).swarms.find((s) => s.infoHash === a);
        return found && found.seeders === 2 ? found : null;
      },
      { timeoutMs: 20_000, what: 'two seeders in the swarm' },
    );
    assert.deepEqual(swarm.peers.map((peer) => peer.address.split(':')[0]).sort(), [`${lab.prefix}.2`, `${lab.prefix}.3`]);
  });

  it('an aria2c node completes byte-identical with one seeder killed half-way', async () => {
    const infoHash = await seededInfoHash(seeders[0]!.proc, 'demo');
    const torrent = join(work, 'demo.torrent');
    await node.exec('curl', ['-sf', '-o', torrent, `http://${lab.prefix}.3:${ports.httpPort}/torrents/${infoHash}.torrent`]);
    const leecher = startAria2c('aria2c-node', { torrent, dir: join(work, 'node'), listenPort: 6881, netns: node });
    let percentAtKill = 0;
    try {
      await waitFor(
        () => {
          const percent = Math.max(0, ...leecher.lines.map((line) => aria2cPercent(line) ?? 0));
          return percent >= 25 ? percent : null;
        },
        { timeoutMs: 60_000, intervalMs: 50, what: 'a quarter of the download' },
      ).then((percent) => (percentAtKill = percent));
      // Host A crashes: no "stopped" announce, no goodbye.
      seeders[0]!.proc.child.kill('SIGKILL');
      await seeders[0]!.proc.exited;
      await aria2cDone(leecher, 120_000);
    } finally {
      await leecher.stop();
    }
    assert.ok(percentAtKill < 100, `killed mid-way (at ${percentAtKill}%)`);
    for (const file of ['vmlinuz', 'initrd.img']) {
      assert.equal(await sha256File(join(work, 'node/demo', file)), await sha256File(join(projectA, 'oss/demo', file)), file);
    }
    // Both seeders fed the node: their own announces report what they uploaded.
    await waitFor(
      async () => {
        const swarm = (await stats()).swarms.find((s) => s.infoHash === infoHash);
        const uploadedBy = (address: string) => swarm?.peers.find((peer) => peer.address.startsWith(`${address}:`))?.uploaded ?? 0;
        return uploadedBy(`${lab.prefix}.2`) > 0 && uploadedBy(`${lab.prefix}.3`) > 0 ? swarm : null;
      },
      { timeoutMs: 10_000, what: 'both seeders to have reported uploads' },
    );
  });
});
