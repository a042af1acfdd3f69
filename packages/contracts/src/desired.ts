import { z } from 'zod';
import { Mac } from './mac.js';
import { Ipv4, NonNegativeInt, OsName } from './primitives.js';

/*
 * Desired state: what the project folder says the master should be doing. The config
 * service derives it from the project and puts one key per concern into the KV bucket
 * `bt_desired`; dhcp, seeder and tracker watch the keys they need. It flows one way.
 */

export const DhcpMode = z.enum(['full', 'proxy', 'off']);
export type DhcpMode = z.infer<typeof DhcpMode>;

export const UefiBootFile = z.enum(['ipxe.efi', 'snponly.efi']);
export type UefiBootFile = z.infer<typeof UefiBootFile>;

export const DhcpRange = z.object({
  start: Ipv4,
  end: Ipv4,
  /** dnsmasq lease time syntax: seconds, or a number with m/h/d/w, or "infinite". */
  leaseTime: z.string(),
});
export type DhcpRange = z.infer<typeof DhcpRange>;

export const DhcpHost = z.object({
  mac: Mac,
  address: Ipv4.nullable(),
  hostname: z.string().nullable(),
});
export type DhcpHost = z.infer<typeof DhcpHost>;

/** Key `dhcp`: everything the dhcp service needs to render dnsmasq's configuration. */
export const DhcpDesired = z.object({
  mode: DhcpMode,
  interface: z.string().min(1),
  /** The master's address on the boot network (next-server, proxy PXE replies). */
  serverAddress: Ipv4,
  /** Full mode only: the pool we hand out. */
  range: DhcpRange.nullable(),
  /** Proxy mode only: the network address of the subnet the existing DHCP server serves. */
  proxyNetwork: Ipv4.nullable(),
  netmask: Ipv4,
  tftp: z.boolean(),
  uefiBootFile: UefiBootFile,
  /**
   * What iPXE clients (option 175) are told to fetch instead of iPXE again. Requests without
   * ?mac= get a tiny script that chains back with the node's MAC and architecture.
   */
  bootScriptUrl: z.url(),
  /** dnsmasq --user (drop privileges to this user); null keeps dnsmasq's default. */
  user: z.string().nullable(),
  hosts: z.array(DhcpHost),
});
export type DhcpDesired = z.infer<typeof DhcpDesired>;

export const OsFile = z.object({
  /** Path relative to the OS folder, "/" separated. */
  path: z.string().min(1),
  length: NonNegativeInt,
  mtimeMs: z.number(),
});
export type OsFile = z.infer<typeof OsFile>;

export const OsDesired = z.object({
  name: OsName,
  dispname: z.string().min(1),
  method: z.literal('kexec'),
  /** Folder relative to the project root, e.g. "oss/debian". Each seeder resolves it locally. */
  dir: z.string(),
  kernel: z.string(),
  initrd: z.string().nullable(),
  cmdline: z.string(),
  /** Every file of the torrent, sorted by path: the kernel, the initrd and any extra files. */
  files: z.array(OsFile).min(1),
});
export type OsDesired = z.infer<typeof OsDesired>;

/** Key `oses`. */
export const OsesDesired = z.object({
  /** Absolute project path on the host that published it (informational). */
  projectDir: z.string(),
  oses: z.array(OsDesired),
});
export type OsesDesired = z.infer<typeof OsesDesired>;

export const NodeAssignment = z.object({
  mac: Mac,
  os: OsName.nullable(),
  address: Ipv4.nullable(),
  hostname: z.string().nullable(),
});
export type NodeAssignment = z.infer<typeof NodeAssignment>;

/** Key `nodes`: per-MAC pins (OS, address, hostname). */
export const NodesDesired = z.object({ nodes: z.array(NodeAssignment) });
export type NodesDesired = z.infer<typeof NodesDesired>;

export const UnknownNodePolicy = z.enum(['menu', 'default', 'refuse']);
export type UnknownNodePolicy = z.infer<typeof UnknownNodePolicy>;

export const LingerPolicy = z.object({
  /** Keep seeding after the download until the tracker reports no leechers for the torrent. */
  untilSwarmDone: z.boolean(),
  /** Seed at least this long after finishing (the original project's seed_time). */
  minSeconds: NonNegativeInt,
  /** Never seed longer than this; the node's own boot matters too. */
  maxSeconds: NonNegativeInt,
  /** Stop once this many copies of the image were uploaded (0 = no ratio cap). */
  maxRatio: z.number().nonnegative(),
});
export type LingerPolicy = z.infer<typeof LingerPolicy>;

export const Phase1LogLevel = z.enum(['debug', 'info', 'notice', 'warn', 'error']);

export const ClientPolicy = z.object({
  peerExchange: z.boolean(),
  localPeerDiscovery: z.boolean(),
  logLevel: Phase1LogLevel,
  /** TCP port phase-1's aria2c listens on for peers. */
  listenPort: z.number().int().min(1).max(65535),
  /**
   * Seconds without a new piece from the swarm before a node also downloads from the web
   * seed; 0 uses it from the start. Every web-seed byte comes from the master, so in a
   * healthy swarm it only duplicates what peers would have sent.
   */
  webSeedAfterSeconds: z.number().int().nonnegative(),
});
export type ClientPolicy = z.infer<typeof ClientPolicy>;

/** Key `policy`: how nodes choose and boot. */
export const PolicyDesired = z.object({
  menu: z.object({
    /** Seconds before the default boots; 0 boots it at once, negative waits forever. */
    timeout: z.number().int(),
    defaultOs: OsName.nullable(),
    /** OS names shown in the menu, in order. */
    entries: z.array(OsName),
  }),
  unknownNodes: UnknownNodePolicy,
  linger: LingerPolicy,
  client: ClientPolicy,
});
export type PolicyDesired = z.infer<typeof PolicyDesired>;

/** Key `network`: addresses and ports of the master's endpoints, and the URLs built from them. */
export const NetworkDesired = z.object({
  address: Ipv4,
  interface: z.string(),
  api: z.object({ port: z.number().int().min(1).max(65535), url: z.url() }),
  tracker: z.object({
    enabled: z.boolean(),
    port: z.number().int().min(1).max(65535),
    /** Seconds between announces we ask clients for. A boot storm needs seconds, not minutes. */
    announceInterval: z.number().int().positive(),
    announceUrls: z.array(z.string()),
  }),
  seeder: z.object({
    /** BitTorrent listen port (TCP). */
    peerPort: z.number().int().min(1).max(65535),
    /** HTTP port: .torrent files and the BEP 19 web seed. */
    httpPort: z.number().int().min(1).max(65535),
    webSeed: z.boolean(),
    baseUrl: z.url(),
  }),
});
export type NetworkDesired = z.infer<typeof NetworkDesired>;

export const desiredKeys = {
  dhcp: DhcpDesired,
  oses: OsesDesired,
  nodes: NodesDesired,
  policy: PolicyDesired,
  network: NetworkDesired,
} as const;
export type DesiredKey = keyof typeof desiredKeys;
export type DesiredState = { [K in DesiredKey]: z.infer<(typeof desiredKeys)[K]> };
