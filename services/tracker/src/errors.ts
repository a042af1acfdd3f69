import { defineError } from '@boottorrent/runtime';

/** Every error the tracker raises on purpose, with stable codes. */

export const PortInUse = defineError(
  'BT_TRACKER_PORT_IN_USE',
  500,
  (what: string, host: string, port: number, reason: string) => `cannot listen for ${what} on ${host}:${port}: ${reason}`,
  'free the port, or change tracker.port in Boottorrent.yaml, or set BT_BIND_HOST',
);

export const NotAllowed = defineError(
  'BT_TRACKER_NOT_ALLOWED',
  403,
  (infoHash: string) => `torrent ${infoHash} is not served by this BootTorrent master`,
  'announce only torrents from this master (or start the tracker with BT_ALLOW_LIST=false)',
);

export const NotIpv4 = defineError(
  'BT_TRACKER_BIND_NOT_IPV4',
  500,
  (host: string) => `the tracker binds IPv4 addresses only, got "${host}"`,
  'set BT_BIND_HOST (or master.address) to an IPv4 address',
);
