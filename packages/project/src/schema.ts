import { z } from 'zod';
import { Ipv4, OsName } from '@boottorrent/contracts';
import { DhcpRangeText, Port, YamlBool } from './fields.js';

/* Defaults, named once: the generated Boottorrent.yaml and the loader both use them. */
export const DEFAULT_ADDRESS = '192.168.1.1';
export const DEFAULT_INTERFACE = 'eth0';
export const DEFAULT_NETMASK = '255.255.255.0';
export const DEFAULT_API_PORT = 8080;
export const DEFAULT_MENU_TIMEOUT = 30;
export const DEFAULT_TRACKER_PORT = 6969;
/** Seconds between tracker announces: a boot storm needs fresh peer lists, not the 30 min default. */
export const DEFAULT_ANNOUNCE_INTERVAL = 5;
export const DEFAULT_SEEDER_PEER_PORT = 6881;
export const DEFAULT_SEEDER_HTTP_PORT = 8081;
export const DEFAULT_PHASE1_LISTEN_PORT = 6881;
/** Seconds a node waits for the swarm before it also pulls from the web seed (see the template). */
export const DEFAULT_WEB_SEED_AFTER_SECONDS = 15;
export const DEFAULT_LINGER_MAX_SECONDS = 120;
export const DEFAULT_LINGER_MAX_RATIO = 0;

/** Boottorrent.yaml, version 1 (this project's format). Keys are snake_case as in the original. */
export const ProjectFileV1 = z.object({
  version: z.literal(1),
  master: z
    .object({
      address: Ipv4,
      interface: z.string().min(1),
      netmask: Ipv4.default(DEFAULT_NETMASK),
    }),
  dhcp: z
    .object({
      mode: z.enum(['full', 'proxy', 'off']).default('full'),
      /** null: derived from the master's network (defaultDhcpRange). */
      range: DhcpRangeText.nullable().default(null),
      tftp: YamlBool.default(true),
      uefi_boot_file: z.enum(['ipxe.efi', 'snponly.efi']).default('ipxe.efi'),
      user: z.string().min(1).nullable().default(null),
    })
    .prefault({}),
  boot: z
    .object({
      api_port: Port.default(DEFAULT_API_PORT),
      timeout: z.number({ error: 'expected a whole number of seconds' }).int().default(DEFAULT_MENU_TIMEOUT),
      default_os: OsName.nullable().default(null),
      menu: z.array(OsName).nullable().default([]).transform((value) => value ?? []),
      unknown_nodes: z.enum(['menu', 'default', 'refuse']).default('menu'),
    })
    .prefault({}),
  nodes: z
    .record(
      z.string(),
      z
        .object({
          os: OsName.nullable().default(null),
          address: Ipv4.nullable().default(null),
          hostname: z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, 'a hostname uses letters, digits and "-"')
            .nullable()
            .default(null),
        })
        .prefault({}),
    )
    .nullable()
    .default({})
    .transform((value) => value ?? {}),
  tracker: z
    .object({
      enabled: YamlBool.default(true),
      port: Port.default(DEFAULT_TRACKER_PORT),
      announce_interval: z.number().int().min(1, 'at least 1 second').max(3600).default(DEFAULT_ANNOUNCE_INTERVAL),
    })
    .prefault({}),
  seeder: z
    .object({
      peer_port: Port.default(DEFAULT_SEEDER_PEER_PORT),
      http_port: Port.default(DEFAULT_SEEDER_HTTP_PORT),
      web_seed: YamlBool.default(true),
    })
    .prefault({}),
  linger: z
    .object({
      until_swarm_done: YamlBool.default(true),
      min_seconds: z.number().int().nonnegative().default(0),
      max_seconds: z.number().int().nonnegative().default(DEFAULT_LINGER_MAX_SECONDS),
      max_ratio: z.number().nonnegative().default(DEFAULT_LINGER_MAX_RATIO),
    })
    .prefault({}),
  phase1: z
    .object({
      peer_exchange: YamlBool.default(true),
      local_peer_discovery: YamlBool.default(false),
      log_level: z.enum(['debug', 'info', 'notice', 'warn', 'error']).default('notice'),
      listen_port: Port.default(DEFAULT_PHASE1_LISTEN_PORT),
      web_seed_after: z.number().int().nonnegative().max(3600).default(DEFAULT_WEB_SEED_AFTER_SECONDS),
    })
    .prefault({}),
});
export type ProjectFileV1 = z.output<typeof ProjectFileV1>;

/** A loaded project's settings: version 1 with every derived default filled in. */
export type ProjectConfig = Omit<ProjectFileV1, 'dhcp'> & { dhcp: Omit<ProjectFileV1['dhcp'], 'range'> & { range: string } };

/** Boottorrent.yaml as the original (Python) BootTorrent wrote it: version 0. */
export const ProjectFileV0 = z.object({
  boottorrent: z.object({
    version: z.literal(0),
    timeout: z.number().int().default(DEFAULT_MENU_TIMEOUT),
    default_os: OsName.nullable().optional(),
    seed_time: z.number().int().default(30),
    host_ip: Ipv4,
  }),
  dnsmasq: z.object({
    enable_dhcp: YamlBool,
    user: z.string().min(1).nullable().optional(),
    interface: z.string().min(1).default(DEFAULT_INTERFACE),
    bind_interfaces: YamlBool.default(true),
    dhcp_range: DhcpRangeText.default('192.168.1.50,192.168.1.150,12h'),
    enable_tftp: YamlBool.default(true),
  }),
  opentracker: z
    .object({
      enable: YamlBool.default(true),
      port: Port.default(10001),
    })
    .prefault({}),
  aria2: z
    .object({
      bt_enable_lpd: YamlBool.default(false),
      enable_peer_exchange: YamlBool.default(true),
      console_log_level: z.enum(['debug', 'info', 'notice', 'warn', 'error']).default('notice'),
    })
    .prefault({}),
  display_oss: z.array(OsName).nullable().optional(),
});
export type ProjectFileV0 = z.output<typeof ProjectFileV0>;

/** oss/<name>/config.yaml, shared by both versions (the original's keys, plus nothing required). */
export const OsFileSchema = z.object({
  dispname: z.string({ error: 'dispname is required: the name shown in the boot menu' }).min(1),
  method: z.string().default('kexec'),
  kernel: z.string().min(1).optional(),
  initrd: z.string().min(1).nullable().optional(),
  cmdline: z
    .union([z.string(), z.number(), z.null()])
    .default('')
    .transform((value) => (value === null ? '' : String(value))),
});
export type OsFileSchema = z.output<typeof OsFileSchema>;

/** Methods the original supported; only kexec boots here. */
export const SUPPORTED_METHODS = new Set(['kexec']);
export const ORIGINAL_METHODS = new Set(['kexec', 'bin', 'bin-qemu-x86_64']);
