/*
 * Lower bounds on the time to get one file of F bits to N nodes, from the shaped link rates.
 *
 * Client-server (every byte leaves the server once per node): T_cs = max(N*F/u_s, F/d_min).
 *
 * Peer-to-peer (Kumar and Ross, "Peer-assisted file distribution: the minimum distribution
 * time", 2006): T_min = max(F/u_s, F/d_min, N*F/(u_s + sum u_i)). The seed must send every bit
 * at least once, the slowest downloader must receive every bit, and the N*F bits that must
 * arrive can leave no faster than the sum of every upload rate. The bound is reachable with
 * fluid scheduling, so the ratio time/T_min is how far a real swarm is from perfect.
 *
 * Rates here are nominal (the tbf rate). TCP/IP and Ethernet headers take about 4.4% of a
 * 1500-byte frame, so even a perfect transfer lands at about 1.046 x the nominal bound; the
 * benchmark reports against the nominal figure and says so.
 */

export interface LinkRates {
  /** Seed (master) upload, bits/s. */
  seedUpBps: number;
  /** Upload of each node, bits/s (length N). */
  nodeUpBps: readonly number[];
  /** Download of each node, bits/s (length N). */
  nodeDownBps: readonly number[];
}

export interface Bounds {
  nodes: number;
  fileBits: number;
  /** Kumar-Ross lower bound for peer-to-peer distribution, seconds. */
  p2pSeconds: number;
  /** Which term of the P2P bound binds: 'seed' (F/u_s), 'download' (F/d_min) or 'aggregate'. */
  p2pBinding: 'seed' | 'download' | 'aggregate';
  /** Client-server lower bound, seconds. */
  clientServerSeconds: number;
}

export class BoundInputError extends Error {
  readonly code = 'BT_BENCH_BAD_RATES';
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new BoundInputError(`${name} must be a positive number (got ${value})`);
  return value;
}

/** Both bounds for one N. */
export function distributionBounds(fileBytes: number, rates: LinkRates): Bounds {
  const nodes = rates.nodeUpBps.length;
  if (nodes === 0 || rates.nodeDownBps.length !== nodes) throw new BoundInputError(`need one upload and one download rate per node (got ${rates.nodeUpBps.length} and ${rates.nodeDownBps.length})`);
  const fileBits = positive('file size', fileBytes) * 8;
  const seedUp = positive('seed upload rate', rates.seedUpBps);
  rates.nodeUpBps.forEach((rate, i) => {
    // A node may upload nothing (a pure leecher); it may not upload a negative amount.
    if (!Number.isFinite(rate) || rate < 0) throw new BoundInputError(`upload rate of node ${i + 1} must be >= 0 (got ${rate})`);
  });
  const minDown = Math.min(...rates.nodeDownBps.map((rate, i) => positive(`download rate of node ${i + 1}`, rate)));
  const totalUp = seedUp + rates.nodeUpBps.reduce((sum, rate) => sum + rate, 0);

  const terms = {
    seed: fileBits / seedUp,
    download: fileBits / minDown,
    aggregate: (nodes * fileBits) / totalUp,
  } as const;
  // Ties go to the simplest explanation: the seed, then the download link.
  const p2pBinding = (['seed', 'download', 'aggregate'] as const).reduce((best, term) => (terms[term] > terms[best] ? term : best), 'seed' as Bounds['p2pBinding']);
  return {
    nodes,
    fileBits,
    p2pSeconds: terms[p2pBinding],
    p2pBinding,
    clientServerSeconds: Math.max((nodes * fileBits) / seedUp, fileBits / minDown),
  };
}

/** The bounds when every link (seed and nodes, both directions) is shaped to the same rate. */
export function uniformBounds(fileBytes: number, nodes: number, rateMbit: number): Bounds {
  if (!Number.isInteger(nodes) || nodes < 1) throw new BoundInputError(`node count must be a whole number >= 1 (got ${nodes})`);
  const bps = positive('rate', rateMbit) * 1e6;
  const each = Array.from({ length: nodes }, () => bps);
  return distributionBounds(fileBytes, { seedUpBps: bps, nodeUpBps: each, nodeDownBps: each });
}
