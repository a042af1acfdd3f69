import { readFile } from 'node:fs/promises';
import { run, shortId } from '@boottorrent/testing';
import type { Cleanup } from './cleanup.js';

/*
 * The boot LAN of the benchmark: a switch (a namespace holding only a bridge), the master and
 * N nodes, each in its own namespace with one veth to the switch. Every link is shaped to the
 * same rate in both directions with tbf (netem is not available on this kernel):
 *   - upload of a host: tbf on its own end (eth0) of the veth;
 *   - download of a host: tbf on the switch's end, whose egress is the host's ingress.
 * The master's link is shaped too: it is the central server's (and the seed's) bottleneck.
 */

export const LAN_PREFIX = '10.88.0';
export const MASTER_OCTET = 1;
/** Node i (1-based) gets LAN_PREFIX.(NODE_OCTET_BASE + i). */
export const NODE_OCTET_BASE = 10;
export const MAX_NODES = 200;

export interface Host {
  /** Namespace name. */
  ns: string;
  address: string;
  /** The host's end of its veth (always eth0) and the switch's end. */
  dev: 'eth0';
  switchDev: string;
  mac: string;
}

export interface SwarmLan {
  id: string;
  switchNs: string;
  master: Host;
  nodes: Host[];
  rateMbit: number;
}

export function nodeAddress(index: number): string {
  return `${LAN_PREFIX}.${NODE_OCTET_BASE + index}`;
}

/** A locally administered MAC per node, stable across runs: 02:b7:00:00:HH:LL. */
export function nodeMac(index: number): string {
  const hex = index.toString(16).padStart(4, '0');
  return `02:b7:00:00:${hex.slice(0, 2)}:${hex.slice(2)}`;
}

async function nsExec(ns: string, args: string[]): Promise<string> {
  return run('ip', ['netns', 'exec', ns, ...args]);
}

async function createNs(name: string, cleanup: Cleanup): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  cleanup.addNetns(name);
  await nsExec(name, ['ip', 'link', 'set', 'lo', 'up']);
}

async function plug(lan: { switchNs: string; rateMbit: number }, host: Host): Promise<void> {
  await run('ip', ['link', 'add', 'name', host.switchDev, 'netns', lan.switchNs, 'type', 'veth', 'peer', 'name', host.dev, 'netns', host.ns]);
  await nsExec(lan.switchNs, ['ip', 'link', 'set', host.switchDev, 'master', 'br0']);
  await nsExec(lan.switchNs, ['ip', 'link', 'set', host.switchDev, 'up']);
  await nsExec(host.ns, ['ip', 'link', 'set', host.dev, 'address', host.mac]);
  await nsExec(host.ns, ['ip', 'addr', 'add', `${host.address}/24`, 'dev', host.dev]);
  await nsExec(host.ns, ['ip', 'link', 'set', host.dev, 'up']);
  await shape(host.ns, host.dev, lan.rateMbit);
  await shape(lan.switchNs, host.switchDev, lan.rateMbit);
}

/**
 * tbf on a device's egress, as packages/testing's shapeEgress does (same burst rule: 4 ms of
 * traffic, at least 32 KiB; 50 ms of queue), for a namespace known by name.
 */
export function tbfArgs(dev: string, mbit: number): string[] {
  const burstBytes = Math.max(32 * 1024, Math.round((mbit * 1e6) / 8 / 250));
  return ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', String(burstBytes), 'latency', '50ms'];
}

async function shape(ns: string, dev: string, mbit: number): Promise<void> {
  await nsExec(ns, ['tc', ...tbfArgs(dev, mbit)]);
}

/**
 * Creates the switch, the master and `nodeCount` nodes. Every namespace is registered with
 * `cleanup` the moment it exists, so a failure half-way leaves nothing behind.
 */
export async function createSwarmLan(options: { nodeCount: number; rateMbit: number; cleanup: Cleanup; onStep?: (done: number, total: number) => void }): Promise<SwarmLan> {
  const { nodeCount, rateMbit, cleanup } = options;
  if (nodeCount < 1 || nodeCount > MAX_NODES) throw new Error(`BT_BENCH_NODES: between 1 and ${MAX_NODES} nodes (got ${nodeCount})`);
  // Namespaces are global names and interface names have 15 characters at most.
  const id = shortId(4);
  const switchNs = `bts${id}-sw`;
  await createNs(switchNs, cleanup);
  await nsExec(switchNs, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  // STP off and no forward delay: the bridge forwards at once.
  await nsExec(switchNs, ['ip', 'link', 'set', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  await nsExec(switchNs, ['ip', 'link', 'set', 'br0', 'up']);

  const lan = { switchNs, rateMbit };
  const master: Host = { ns: `bts${id}-m`, address: `${LAN_PREFIX}.${MASTER_OCTET}`, dev: 'eth0', switchDev: `b${id}m`, mac: '02:b7:00:00:ff:01' };
  await createNs(master.ns, cleanup);
  await plug(lan, master);
  const nodes: Host[] = [];
  for (let i = 1; i <= nodeCount; i++) {
    const node: Host = { ns: `bts${id}-n${String(i).padStart(2, '0')}`, address: nodeAddress(i), dev: 'eth0', switchDev: `b${id}n${i}`, mac: nodeMac(i) };
    await createNs(node.ns, cleanup);
    await plug(lan, node);
    nodes.push(node);
    options.onStep?.(i, nodeCount);
  }
  return { id, switchNs, master, nodes, rateMbit };
}

export interface LinkCounters {
  txBytes: number;
  rxBytes: number;
}

/** Byte counters of a host's eth0 (read in its namespace). */
export async function linkCounters(host: Host): Promise<LinkCounters> {
  const out = await nsExec(host.ns, ['cat', `/sys/class/net/${host.dev}/statistics/tx_bytes`, `/sys/class/net/${host.dev}/statistics/rx_bytes`]);
  const [tx = 0, rx = 0] = out.trim().split('\n').map(Number);
  return { txBytes: tx, rxBytes: rx };
}

/** Seconds since boot with 10 ms resolution: the clock the phase-1 agent stamps its log with. */
export async function uptimeSeconds(): Promise<number> {
  return Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
}
