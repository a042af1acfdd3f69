import { defineError } from '@boottorrent/runtime';

/** Every error the dhcp service raises on purpose; codes are stable. */

export const InvalidDesired = defineError(
  'BT_DHCP_INVALID_DESIRED',
  422,
  (field: string, reason: string) => `desired state dhcp.${field} cannot go into dnsmasq's configuration: ${reason}`,
  (field: string) => `correct the project setting behind dhcp.${field} (\`boottorrent check\` shows the project), then save it again`,
);

export const ConfigRejected = defineError(
  'BT_DHCP_CONFIG_REJECTED',
  422,
  (output: string) => `dnsmasq --test rejected the rendered configuration: ${output}`,
  'the previous configuration keeps serving; `boottorrent render dnsmasq` prints the rejected one, correct the project setting it names',
);

export const StartFailed = defineError(
  'BT_DHCP_START_FAILED',
  500,
  (reason: string) => `dnsmasq did not start: ${reason}`,
  'read dnsmasq\'s own message above (a missing interface, port 67 already taken by another DHCP server, an unreadable TFTP root)',
);

export const DnsmasqMissing = defineError(
  'BT_DHCP_DNSMASQ_MISSING',
  500,
  (bin: string) => `cannot run dnsmasq ("${bin}")`,
  'install Debian\'s dnsmasq-base (apt-get install dnsmasq-base) or point BT_DNSMASQ_BIN at the binary',
);

export const IpxeMissing = defineError(
  'BT_DHCP_IPXE_MISSING',
  500,
  (dir: string, files: string) => `the iPXE binaries ${files} are missing from ${dir}`,
  'install Debian\'s ipxe package (apt-get install ipxe) or point BT_IPXE_DIR at a folder holding them',
);

export const UnknownUser = defineError(
  'BT_DHCP_UNKNOWN_USER',
  422,
  (user: string) => `dnsmasq is to run as user "${user}", which does not exist on this host`,
  'set dhcp.user to an existing user (or null for dnsmasq\'s default, nobody)',
);
