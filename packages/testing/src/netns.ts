import { randomBytes } from 'node:crypto';
import type { SpawnOptions } from 'node:child_process';
import { run, startProcess, type ManagedProcess } from './process.js';

/** A short random suffix: interface names are limited to 15 characters. */
export function shortId(length = 5): string {
  return randomBytes(8).toString('hex').slice(0, length);
}

/**
 * A network namespace this process created. Everything network-facing in tests lives in
 * namespaces like this one, never on the machine's own interfaces.
 */
export class Netns {
  private readonly processes: ManagedProcess[] = [];
  private deleted = false;

  private constructor(readonly name: string) {}

  static async create(prefix = 'bt'): Promise<Netns> {
    const ns = new Netns(`${prefix}-${shortId(6)}`);
    await run('ip', ['netns', 'add', ns.name]);
    await ns.exec('ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  exec(command: string, args: readonly string[], options: SpawnOptions & { input?: string } = {}): Promise<string> {
    return run('ip', ['netns', 'exec', this.name, command, ...args], options);
  }

  /** Starts a long-running process inside the namespace; stopped (by its PID) on delete(). */
  spawn(label: string, command: string, args: readonly string[], options: SpawnOptions = {}): ManagedProcess {
    const proc = startProcess(label, 'ip', ['netns', 'exec', this.name, command, ...args], options);
    this.processes.push(proc);
    return proc;
  }

  /** Stops the processes started through spawn(), then removes the namespace. */
  async delete(): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    await Promise.all(this.processes.map((proc) => proc.stop(3000)));
    await run('ip', ['netns', 'delete', this.name]).catch(() => undefined);
  }
}

/** Creates a bridge inside `ns`, gives it `cidr` (e.g. "10.77.0.1/24") and brings it up. */
export async function addBridge(ns: Netns, name: string, cidr: string): Promise<void> {
  await ns.exec('ip', ['link', 'add', name, 'type', 'bridge']);
  // A bridge with STP off and no forward delay passes traffic (DHCP included) at once.
  await ns.exec('ip', ['link', 'set', name, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  await ns.exec('ip', ['addr', 'add', cidr, 'dev', name]);
  await ns.exec('ip', ['link', 'set', name, 'up']);
}

export interface VethEnd {
  ns: Netns;
  name: string;
  /** Address to assign, e.g. "10.77.0.2/24"; omit for an unnumbered link (DHCP client). */
  cidr?: string;
  /** Enslave this end to a bridge in its namespace. */
  bridge?: string;
}

/** Connects two namespaces with a veth pair. */
export async function addVethPair(a: VethEnd, b: VethEnd): Promise<void> {
  await run('ip', ['link', 'add', 'name', a.name, 'netns', a.ns.name, 'type', 'veth', 'peer', 'name', b.name, 'netns', b.ns.name]);
  for (const end of [a, b]) {
    if (end.bridge) await end.ns.exec('ip', ['link', 'set', end.name, 'master', end.bridge]);
    if (end.cidr) await end.ns.exec('ip', ['addr', 'add', end.cidr, 'dev', end.name]);
    await end.ns.exec('ip', ['link', 'set', end.name, 'up']);
  }
}

/** Shapes egress of `dev` in `ns` to `mbit` Mbit/s with a token bucket (netem is not available here). */
export async function shapeEgress(ns: Netns, dev: string, mbit: number): Promise<void> {
  const burstBytes = Math.max(32 * 1024, Math.round((mbit * 1e6) / 8 / 250));
  await ns.exec('tc', ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', String(burstBytes), 'latency', '50ms']);
}

/**
 * One namespace with a bridge (the boot LAN), and helpers to attach further namespaces
 * (clients, other hosts) to it with a veth each.
 */
export class LabNetwork {
  readonly attached: Netns[] = [];

  private constructor(
    readonly ns: Netns,
    readonly bridge: string,
    /** First three octets, e.g. "10.77.0". */
    readonly prefix: string,
  ) {}

  static async create(options: { prefix?: string; bridge?: string; nsPrefix?: string } = {}): Promise<LabNetwork> {
    const prefix = options.prefix ?? '10.77.0';
    const bridge = options.bridge ?? 'br0';
    const ns = await Netns.create(options.nsPrefix ?? 'btlab');
    try {
      await addBridge(ns, bridge, `${prefix}.1/24`);
    } catch (err) {
      await ns.delete();
      throw err;
    }
    return new LabNetwork(ns, bridge, prefix);
  }

  /** The master's address on the bridge. */
  get masterAddress(): string {
    return `${this.prefix}.1`;
  }

  /**
   * A new namespace plugged into the bridge via veth. Its end is called `eth0`; with
   * `hostOctet` it gets `<prefix>.<hostOctet>/24`, otherwise it stays unnumbered.
   */
  async attach(options: { hostOctet?: number; nsPrefix?: string; mac?: string } = {}): Promise<Netns> {
    const peer = await Netns.create(options.nsPrefix ?? 'btnode');
    const bridgeSide = `v${shortId(7)}`;
    try {
      await addVethPair(
        { ns: this.ns, name: bridgeSide, bridge: this.bridge },
        { ns: peer, name: 'eth0', ...(options.hostOctet !== undefined ? { cidr: `${this.prefix}.${options.hostOctet}/24` } : {}) },
      );
      if (options.mac) {
        await peer.exec('ip', ['link', 'set', 'eth0', 'down']);
        await peer.exec('ip', ['link', 'set', 'eth0', 'address', options.mac]);
        await peer.exec('ip', ['link', 'set', 'eth0', 'up']);
      }
    } catch (err) {
      await peer.delete();
      throw err;
    }
    this.attached.push(peer);
    return peer;
  }

  async delete(): Promise<void> {
    await Promise.all(this.attached.map((peer) => peer.delete()));
    await this.ns.delete();
  }
}
