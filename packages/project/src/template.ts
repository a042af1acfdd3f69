import { parse } from 'yaml';
import { defaultDhcpRange } from './fields.js';
import { ProjectFileV1 as ProjectFileV1Schema, type ProjectConfig } from './schema.js';

/** A scalar written plain when YAML reads it back as the same string, quoted otherwise. */
function scalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value !== 'string') return String(value);
  const plain = /^[A-Za-z0-9_./-]+$/.test(value) && !/^(yes|no|on|off|y|n)$/i.test(value);
  return plain && parse(value) === value ? value : JSON.stringify(value);
}

function list(values: readonly string[]): string {
  return `[${values.map(scalar).join(', ')}]`;
}

/** The defaults, as a fully-populated version-1 configuration. */
export function defaultProjectFile(master: { address?: string; interface?: string } = {}): ProjectConfig {
  const file = ProjectFileV1Schema.parse({ version: 1, master: { address: master.address ?? '192.168.1.1', interface: master.interface ?? 'eth0' } });
  return { ...file, dhcp: { ...file.dhcp, range: file.dhcp.range ?? defaultDhcpRange(file.master.address, file.master.netmask) } };
}

/**
 * Renders Boottorrent.yaml (version 1) with a comment on every key. `init` writes it with the
 * defaults; `migrate` writes it with the values carried over from a version-0 file.
 */
export function renderProjectFile(config: ProjectConfig, options: { header?: string[] } = {}): string {
  const nodes = Object.entries(config.nodes);
  const nodeLines =
    nodes.length === 0
      ? [
          'nodes: {}',
          '  # "52:54:00:12:34:56":     # the node\'s MAC (quote it)',
          '  #   os: debian             # boot this OS straight away, no menu',
          '  #   address: 192.168.1.60  # always give it this address (full DHCP mode)',
          '  #   hostname: node1',
        ]
      : [
          'nodes:',
          ...nodes.flatMap(([mac, node]) => [
            `  ${JSON.stringify(mac)}:`,
            `    os: ${scalar(node.os)}`,
            `    address: ${scalar(node.address)}`,
            `    hostname: ${scalar(node.hostname)}`,
          ]),
        ];

  const lines = [
    ...(options.header ?? []).map((line) => (line ? `# ${line}` : '#')),
    '# BootTorrent project. Every key is optional unless marked "required"; the values shown',
    '# are what BootTorrent uses when a key is left out. Check it with: boottorrent check',
    '',
    '# Format of this file. Version 0 (the original BootTorrent) also loads; `boottorrent migrate`',
    '# rewrites it as version 1.',
    'version: 1',
    '',
    '# The master: the machine running BootTorrent, as the nodes see it.',
    'master:',
    '  # Required. IPv4 address of the master on the boot network; every URL given to nodes uses it.',
    `  address: ${scalar(config.master.address)}`,
    '  # Required. Network interface facing the nodes. dnsmasq listens on this interface only.',
    `  interface: ${scalar(config.master.interface)}`,
    '  # Netmask of the boot network.',
    `  netmask: ${scalar(config.master.netmask)}`,
    '',
    '# DHCP and TFTP (dnsmasq): how bare machines find the master.',
    'dhcp:',
    '  # full:  BootTorrent is the DHCP server of this network and hands out addresses from `range`.',
    '  # proxy: another DHCP server hands out addresses; BootTorrent only adds the boot information',
    '  #        (proxyDHCP). Use this beside an existing router or DHCP server.',
    '  # off:   no dnsmasq; point your own DHCP server at the iPXE binaries and the boot API.',
    `  mode: ${config.dhcp.mode}`,
    '  # full mode: addresses to hand out, as "first,last,lease-time" (lease: 30m, 12h, 1d, infinite).',
    "  # Left out: .100-.199 of the master's network.",
    `  range: ${scalar(config.dhcp.range)}`,
    '  # Serve the iPXE binaries (undionly.kpxe for BIOS, the UEFI one below) over TFTP.',
    `  tftp: ${scalar(config.dhcp.tftp)}`,
    '  # iPXE binary for UEFI machines: ipxe.efi (own drivers) or snponly.efi (firmware\'s network driver).',
    `  uefi_boot_file: ${config.dhcp.uefi_boot_file}`,
    '  # User dnsmasq drops privileges to after binding; null keeps dnsmasq\'s own default.',
    `  user: ${scalar(config.dhcp.user)}`,
    '',
    '# What nodes boot.',
    'boot:',
    '  # TCP port of the boot API (iPXE scripts, phase-1 files, manifests, progress reports).',
    `  api_port: ${config.boot.api_port}`,
    '  # Seconds the boot menu waits before booting default_os. 0 boots it at once;',
    '  # a negative number waits forever for a choice.',
    `  timeout: ${config.boot.timeout}`,
    '  # The OS (a folder name under oss/) booted when the countdown ends. null: the first menu entry.',
    `  default_os: ${scalar(config.boot.default_os)}`,
    '  # OS folder names shown in the menu, in this order. Empty: every OS under oss/, by name.',
    `  menu: ${list(config.boot.menu)}`,
    '  # Nodes whose MAC is not listed under `nodes`: menu (show the menu), default (boot',
    '  # default_os without asking) or refuse (print a message and do not boot).',
    `  unknown_nodes: ${config.boot.unknown_nodes}`,
    '',
    '# Per-node settings, by MAC address.',
    ...nodeLines,
    '',
    '# The BitTorrent tracker nodes announce to.',
    'tracker:',
    '  # Run the tracker. Without it nodes find peers only through the web seed and, if on,',
    '  # local peer discovery: much slower for many nodes.',
    `  enabled: ${scalar(config.tracker.enabled)}`,
    '  # Port for HTTP and UDP announces (and /stats.json).',
    `  port: ${config.tracker.port}`,
    '  # Seconds between announces asked of clients. Seconds, not minutes: in a boot storm the',
    '  # peer list changes fast.',
    `  announce_interval: ${config.tracker.announce_interval}`,
    '',
    '# The master\'s seeder: every OS under oss/ as a torrent.',
    'seeder:',
    '  # TCP port for BitTorrent peers.',
    `  peer_port: ${config.seeder.peer_port}`,
    '  # HTTP port for .torrent files and the web seed.',
    `  http_port: ${config.seeder.http_port}`,
    '  # Also serve the OS files over HTTP as a BEP 19 web seed, so a node with no peers still',
    '  # finishes (phase-1 turns to it after phase1.web_seed_after seconds without a new piece).',
    `  web_seed: ${scalar(config.seeder.web_seed)}`,
    '',
    '# After downloading, a node keeps seeding before it boots the OS, so that nodes still',
    '# downloading are not left with only the master.',
    'linger:',
    '  # Keep seeding while the tracker reports leechers on the torrent.',
    `  until_swarm_done: ${scalar(config.linger.until_swarm_done)}`,
    '  # Seed at least this many seconds (the original project\'s seed_time).',
    `  min_seconds: ${config.linger.min_seconds}`,
    '  # Never seed longer than this many seconds.',
    `  max_seconds: ${config.linger.max_seconds}`,
    '  # Stop once this many copies of the OS were uploaded. 0: no ratio cap.',
    `  max_ratio: ${config.linger.max_ratio}`,
    '',
    '# The phase-1 BitTorrent client (aria2c) on the nodes.',
    'phase1:',
    '  # Peer exchange: peers tell each other about more peers.',
    `  peer_exchange: ${scalar(config.phase1.peer_exchange)}`,
    '  # Local peer discovery (multicast on the boot LAN).',
    `  local_peer_discovery: ${scalar(config.phase1.local_peer_discovery)}`,
    '  # Log level on the node\'s console: debug, info, notice, warn or error.',
    `  log_level: ${config.phase1.log_level}`,
    '  # TCP port each node listens on for peers.',
    `  listen_port: ${config.phase1.listen_port}`,
    '  # Seconds without a new piece from the swarm before a node also downloads from the',
    '  # seeder\'s web seed (when seeder.web_seed is on). The web seed is the fallback: used from',
    '  # the start (0) it makes every node pull from the master, which the swarm exists to avoid.',
    `  web_seed_after: ${config.phase1.web_seed_after}`,
    '',
  ];
  return lines.join('\n');
}

/** oss/README.md written by `init`. */
export const OSS_README = `# Operating systems

One folder per operating system. The folder name is the OS name (letters, digits, ".", "_",
"-"): it is what \`boot.default_os\`, \`boot.menu\` and \`nodes.<mac>.os\` refer to.

Each folder holds the OS's files and a \`config.yaml\`:

\`\`\`yaml
dispname: Debian 12          # required: the name shown in the boot menu (unique)
method: kexec                # how phase-1 starts it; kexec is the one method
kernel: vmlinuz              # required: the kernel file, relative to this folder
initrd: initrd.img           # the initrd file, relative to this folder
cmdline: console=ttyS0 quiet # kernel command line for the OS
\`\`\`

Every file in the folder except \`config.yaml\` and dot-files is part of the OS's torrent:
nodes download all of them into RAM before they kexec the kernel. Replacing a file makes a
new torrent (new info-hash); nodes get the new version at their next boot.
`;
