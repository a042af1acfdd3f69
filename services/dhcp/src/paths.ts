import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

/**
 * Where TFTP roots live. dnsmasq reads TFTP files after dropping to an unprivileged user, who
 * must be able to walk every parent folder; a project in a private home folder (0700, the
 * Debian 12 default) would hide a TFTP root kept in the state folder. /run is world-searchable.
 */
export const DEFAULT_TFTP_BASE = '/run/boottorrent';

/** Every file the service keeps in its state directory. */
export interface StatePaths {
  stateDir: string;
  /** The configuration dnsmasq runs with. */
  configFile: string;
  /** A new configuration while `dnsmasq --test` checks it; renamed over configFile once accepted. */
  candidateFile: string;
  leaseFile: string;
  /** The TFTP root: the iPXE binaries and nothing else; outside the state folder (see DEFAULT_TFTP_BASE). */
  tftpRoot: string;
  /** PID of the dnsmasq we started, so a restarted service can stop one its predecessor left behind. */
  pidFile: string;
}

/** One TFTP root per state folder, so several masters (or tests) on one machine never share one. */
function tftpRootFor(stateDir: string, tftpBase: string): string {
  return join(tftpBase, `tftp-${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 12)}`);
}

export function statePaths(stateDir: string, tftpBase = DEFAULT_TFTP_BASE): StatePaths {
  return {
    stateDir,
    configFile: join(stateDir, 'dnsmasq.conf'),
    candidateFile: join(stateDir, 'dnsmasq.conf.next'),
    leaseFile: join(stateDir, 'dnsmasq.leases'),
    tftpRoot: tftpRootFor(stateDir, tftpBase),
    pidFile: join(stateDir, 'dnsmasq.pid'),
  };
}
