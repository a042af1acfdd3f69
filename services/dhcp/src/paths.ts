import { join } from 'node:path';

/** Every file the service keeps in its state directory. */
export interface StatePaths {
  stateDir: string;
  /** The configuration dnsmasq runs with. */
  configFile: string;
  /** A new configuration while `dnsmasq --test` checks it; renamed over configFile once accepted. */
  candidateFile: string;
  leaseFile: string;
  /** The TFTP root: the iPXE binaries and nothing else. */
  tftpRoot: string;
  /** PID of the dnsmasq we started, so a restarted service can stop one its predecessor left behind. */
  pidFile: string;
}

export function statePaths(stateDir: string): StatePaths {
  return {
    stateDir,
    configFile: join(stateDir, 'dnsmasq.conf'),
    candidateFile: join(stateDir, 'dnsmasq.conf.next'),
    leaseFile: join(stateDir, 'dnsmasq.leases'),
    tftpRoot: join(stateDir, 'tftp'),
    pidFile: join(stateDir, 'dnsmasq.pid'),
  };
}
