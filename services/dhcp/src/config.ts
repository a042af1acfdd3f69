import { baseServiceEnv } from '@boottorrent/runtime';
import { z } from 'zod';
import { DEFAULT_TFTP_BASE } from './paths.js';

/** Where the service keeps dnsmasq's config and lease file. `boottorrent start` passes <project>/.boottorrent/dhcp. */
export const DEFAULT_STATE_DIR = '/var/lib/boottorrent/dhcp';
/** Debian's dnsmasq-base installs it on PATH. */
export const DEFAULT_DNSMASQ_BIN = 'dnsmasq';
/** Debian's `ipxe` package: undionly.kpxe, ipxe.efi (a symlink into /boot), snponly.efi. */
export const DEFAULT_IPXE_DIR = '/usr/lib/ipxe';
/** First restart delay after dnsmasq dies; doubled on each further death. */
export const DEFAULT_RESTART_INITIAL_MS = 500;
/** The restart delay never grows beyond this. */
export const DEFAULT_RESTART_MAX_MS = 30_000;
/** A dnsmasq that ran this long before dying counts as healthy: the next restart starts from the initial delay again. */
export const DEFAULT_RESTART_RESET_MS = 60_000;
/** How long a freshly started dnsmasq may take to report "started" before the start counts as failed. */
export const DEFAULT_START_TIMEOUT_MS = 10_000;
/** dnsmasq gets this long to exit after SIGTERM before SIGKILL. */
export const DEFAULT_STOP_GRACE_MS = 3_000;
/** dnsmasq prints one transaction over several lines; a quiet gap this long ends it. */
export const DEFAULT_LOG_FLUSH_MS = 100;

const milliseconds = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const serviceEnv = baseServiceEnv.extend({
  /** State directory: dnsmasq.conf (the running config), the lease file, dnsmasq's pid. */
  BT_STATE_DIR: z.string().min(1).default(DEFAULT_STATE_DIR),
  /** Parent of the TFTP roots (tftp-<hash of the state dir>); must be searchable by dnsmasq's user. */
  BT_TFTP_BASE: z.string().min(1).default(DEFAULT_TFTP_BASE),
  /** The dnsmasq binary (name on PATH or absolute path). */
  BT_DNSMASQ_BIN: z.string().min(1).default(DEFAULT_DNSMASQ_BIN),
  /** Folder holding the iPXE binaries copied into the TFTP root. */
  BT_IPXE_DIR: z.string().min(1).default(DEFAULT_IPXE_DIR),
  /** See DEFAULT_RESTART_INITIAL_MS. */
  BT_DHCP_RESTART_INITIAL_MS: milliseconds(DEFAULT_RESTART_INITIAL_MS),
  /** See DEFAULT_RESTART_MAX_MS. */
  BT_DHCP_RESTART_MAX_MS: milliseconds(DEFAULT_RESTART_MAX_MS),
  /** See DEFAULT_RESTART_RESET_MS. */
  BT_DHCP_RESTART_RESET_MS: milliseconds(DEFAULT_RESTART_RESET_MS),
  /** See DEFAULT_START_TIMEOUT_MS. */
  BT_DHCP_START_TIMEOUT_MS: milliseconds(DEFAULT_START_TIMEOUT_MS),
  /** See DEFAULT_STOP_GRACE_MS. */
  BT_DHCP_STOP_GRACE_MS: milliseconds(DEFAULT_STOP_GRACE_MS),
  /** See DEFAULT_LOG_FLUSH_MS. */
  BT_DHCP_LOG_FLUSH_MS: milliseconds(DEFAULT_LOG_FLUSH_MS),
});
export type ServiceEnv = z.output<typeof serviceEnv>;
