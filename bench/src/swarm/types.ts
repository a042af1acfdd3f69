/** The three ways a boot storm can be served, all measured in the same run. */
export const SCENARIOS = ['central', 'swarm-no-linger', 'swarm-linger'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const SCENARIO_TITLES: Record<ScenarioName, string> = {
  central: 'central HTTP',
  'swarm-no-linger': 'swarm, no linger',
  'swarm-linger': 'swarm, linger',
};

/** One node in one run. Times are seconds since the instant every node was released. */
export interface NodeOutcome {
  node: number;
  /** Download complete (swarm: the agent saw every piece verified; central: the HTTP client exited 0). */
  doneSeconds: number | null;
  /** Swarm only: when the agent called kexec -e (after lingering). */
  kexecSeconds: number | null;
  /** Bytes the node's link sent / received during the run (veth counters). */
  txBytes: number;
  rxBytes: number;
  /** Why the node did not finish, when it did not. */
  error: string | null;
  /** Download curve: [seconds, bytes done], sampled about once a second. */
  curve: Array<[number, number]>;
}

/** CPU use during one run: the machine as a whole and the processes this run started. */
export interface CpuFigures {
  /** 1-minute load average just before the run (other users of the machine show up here). */
  loadBefore: number;
  /** Busy share of all cores (user+system+irq+softirq+steal), 0..1, over the run. */
  busyMean: number;
  busyMax: number;
  /** Share of 0.5 s samples where the machine was at least 95% busy. */
  saturatedShare: number;
  /** CPU seconds used by the master's processes and by the nodes' processes (cpuacct), null if unavailable. */
  masterCpuSeconds: number | null;
  nodesCpuSeconds: number | null;
  cores: number;
}

export interface RunResult {
  scenario: ScenarioName;
  nodes: number;
  /** 1-based repeat number. */
  repeat: number;
  startedAt: string;
  /** Time to the LAST node done: what a boot storm costs. null when a node did not finish. */
  lastDoneSeconds: number | null;
  firstDoneSeconds: number | null;
  medianDoneSeconds: number | null;
  /** Swarm: time until the last node left (kexec), lingering included. */
  lastKexecSeconds: number | null;
  /** Bytes the master's link sent during the run, and that over the image size. */
  masterTxBytes: number;
  seedCopies: number;
  cpu: CpuFigures;
  perNode: NodeOutcome[];
  failure: string | null;
  /** Seeder disruptions during the run (torrent dropped and re-added): such a run is suspect. */
  seedDisruptions: string[];
}

/** Settings of one benchmark invocation (see options.ts for the flags). */
export interface BenchSettings {
  nodeCounts: number[];
  rateMbit: number;
  imageMib: number;
  repeats: number;
  centralRepeats: number;
  scenarios: ScenarioName[];
  outDir: string;
  /** aria2c binary the agents run (the static phase-1 build by default). */
  aria2c: string;
  /** Give up on a run after this many seconds. */
  runTimeoutS: number;
  /** Leave the work folder (logs, project) in place. */
  keepWork: boolean;
  quick: boolean;
  /** Free-form label written into the results (e.g. "patched aria2c"). */
  label: string;
  /** File name stem, default swarm-<date>. */
  stem: string;
  /** Boottorrent.yaml overrides for experiments, e.g. { 'seeder.web_seed': false }. */
  projectSettings: Record<string, string | number | boolean>;
}
