/**
 * How the lab's master runs. By default the lab session starts `boottorrent start` inside the
 * lab's namespace; a LabMasterStarter replaces that with a master the lab does not run itself
 * (the containerized stack, see compose-master.ts), started once the lab's network and project
 * exist and stopped when the lab ends.
 */
export interface LabMasterContext {
  /** The lab's network namespace, holding bridge LAB_BRIDGE with LAB_MASTER_ADDRESS: the master's host. */
  netns: string;
  /** The lab's project folder (Boottorrent.yaml + oss/). */
  projectDir: string;
  /** Phase-1 kernel+initrd, built already. */
  artifactsDir: string;
  /** The lab's work folder: a starter keeps its files and logs here. */
  workDir: string;
  repoRoot: string;
  print(line: string): void;
}

export interface ExternalMaster {
  /** Shown in the lab's output, e.g. "docker-compose project btlab-1a2b3c". */
  readonly description: string;
  /** Stops it and removes what it created. */
  stop(): Promise<void>;
}

export interface LabMasterStarter {
  /** Resolves once the master answers on the lab network; the lab still waits for its boot API. */
  start(context: LabMasterContext): Promise<ExternalMaster>;
}
