import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { z } from 'zod';
import { normalizeMac, type NodeAssignment, type SourceProblem } from '@boottorrent/contracts';
import { defaultDhcpRange, ipToInt, isValidNetmask, parseDhcpRange } from './fields.js';
import { closestKey, knownKeysAt } from './known-keys.js';
import { migrateV0, v0PathFor, type MigrationNote } from './migrate.js';
import { OsFileSchema, ORIGINAL_METHODS, ProjectFileV0, ProjectFileV1, SUPPORTED_METHODS, type ProjectConfig } from './schema.js';
import { YamlSource } from './yaml-source.js';

export const PROJECT_FILE = 'Boottorrent.yaml';
export const OSS_DIR = 'oss';
export const OS_CONFIG_FILE = 'config.yaml';
const OS_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface LoadedOsFile {
  /** Relative to the OS folder, "/" separated. */
  path: string;
  length: number;
  mtimeMs: number;
}

export interface LoadedOs {
  name: string;
  dispname: string;
  method: 'kexec';
  /** Absolute path of the OS folder. */
  dir: string;
  /** "oss/<name>", relative to the project. */
  relDir: string;
  configFile: string;
  kernel: string;
  initrd: string | null;
  cmdline: string;
  /** The torrent's files, sorted by path. */
  files: LoadedOsFile[];
}

export interface LoadedProject {
  dir: string;
  file: string;
  /** 0 when the file is in the original BootTorrent format (migrated in memory). */
  sourceVersion: 0 | 1;
  config: ProjectConfig;
  nodes: NodeAssignment[];
  oses: LoadedOs[];
  migrationNotes: MigrationNote[];
}

export interface LoadResult {
  /** null when any problem is an error. */
  project: LoadedProject | null;
  /** Errors and warnings, in file order. */
  problems: SourceProblem[];
}

/** Fixes for schema problems, by the version-1 key they concern. */
const fixByPath: Record<string, string> = {
  version: 'set `version: 1` (or keep the original file: it has `boottorrent: {version: 0}`)',
  'master.address': 'set master.address to the IPv4 address of this machine on the boot network, e.g. 192.168.1.1',
  'master.interface': 'set master.interface to the network interface facing the nodes (see `ip -br link`)',
  'master.netmask': 'use a netmask like 255.255.255.0',
  'dhcp.mode': 'use full (we hand out addresses), proxy (an existing DHCP server does) or off',
  'dhcp.range': 'write it as "first,last,lease", e.g. "192.168.1.50,192.168.1.150,12h"',
  'dhcp.uefi_boot_file': 'use ipxe.efi or snponly.efi',
  'boot.timeout': 'use a whole number of seconds: 0 boots at once, negative waits forever',
  'boot.default_os': 'use the name of a folder under oss/',
  'boot.menu': 'list folder names under oss/, e.g. [debian, alpine]',
  'boot.unknown_nodes': 'use menu, default or refuse',
  'boot.api_port': 'use a free TCP port number between 1 and 65535',
  'tracker.port': 'use a free port number between 1 and 65535',
  'seeder.peer_port': 'use a free port number between 1 and 65535',
  'seeder.http_port': 'use a free port number between 1 and 65535',
  'phase1.log_level': 'use debug, info, notice, warn or error',
  'boottorrent.version': 'version 0 is the original format; for this project\'s format use `version: 1` at the top level',
  'boottorrent.host_ip': 'set host_ip to the IPv4 address of this machine on the boot network, e.g. 192.168.1.1',
  'dnsmasq.dhcp_range': 'write it as "first,last,lease", e.g. "192.168.1.50,192.168.1.150,12h"',
  'dnsmasq.enable_dhcp': 'use True or False',
  'aria2.console_log_level': 'use debug, info, notice, warn or error',
};

function fixFor(path: readonly PropertyKey[]): string {
  for (let length = path.length; length > 0; length--) {
    const fix = fixByPath[path.slice(0, length).join('.')];
    if (fix) return fix;
  }
  return 'see the comment above this key in a generated Boottorrent.yaml (`boottorrent init /tmp/example`)';
}

function schemaProblems(source: YamlSource, error: z.ZodError, fix: (path: readonly PropertyKey[]) => string = fixFor): SourceProblem[] {
  return error.issues.map((issue) => {
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    const key = issue.path.map(String).join('.');
    const message = missing ? `missing required key "${key}"` : `${key ? `${key}: ` : ''}${issue.message}`;
    return source.problem(issue.path as PropertyKey[], { severity: 'error', code: 'BT_PROJECT_SCHEMA', message, fix: fix(issue.path as PropertyKey[]) });
  });
}

function unknownKeyWarnings(source: YamlSource, schema: z.ZodType, data: unknown, path: PropertyKey[] = []): SourceProblem[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [];
  const known = knownKeysAt(schema, path);
  const problems: SourceProblem[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (known && !known.includes(key)) {
      const suggestion = closestKey(key, known);
      problems.push(
        source.problem(
          [...path, key],
          {
            severity: 'warning',
            code: 'BT_PROJECT_UNKNOWN_KEY',
            message: `unknown key "${[...path, key].join('.')}" is ignored`,
            fix: suggestion ? `did you mean "${suggestion}"?` : `remove it; known keys here: ${known.join(', ')}`,
          },
          true,
        ),
      );
    } else {
      problems.push(...unknownKeyWarnings(source, schema, value, [...path, key]));
    }
  }
  return problems;
}

/** Lists every regular file under `dir` except config.yaml and dot-files, sorted by path. */
async function listOsFiles(dir: string): Promise<LoadedOsFile[]> {
  const out: LoadedOsFile[] = [];
  const walk = async (current: string) => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(current, entry.name);
      const rel = relative(dir, full).split(sep).join('/');
      if (rel === OS_CONFIG_FILE) continue;
      const info = await stat(full).catch(() => null);
      if (!info) continue;
      if (info.isDirectory()) await walk(full);
      else if (info.isFile()) out.push({ path: rel, length: info.size, mtimeMs: Math.trunc(info.mtimeMs) });
    }
  };
  await walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A file named in config.yaml must be inside the OS folder. */
function insideFolder(osDir: string, file: string): string | null {
  const full = resolve(osDir, file);
  return full.startsWith(osDir + sep) ? relative(osDir, full).split(sep).join('/') : null;
}

/** An OS config.yaml that parsed, whether or not its files are usable: for cross-OS checks. */
interface ParsedOsConfig {
  name: string;
  relDir: string;
  dispname: string;
  source: YamlSource;
}

async function loadOs(projectDir: string, name: string, problems: SourceProblem[], parsedConfigs: ParsedOsConfig[]): Promise<LoadedOs | null> {
  const relDir = `${OSS_DIR}/${name}`;
  const dir = join(projectDir, OSS_DIR, name);
  const configFile = join(dir, OS_CONFIG_FILE);
  const displayFile = `${relDir}/${OS_CONFIG_FILE}`;
  if (!OS_NAME_PATTERN.test(name)) {
    problems.push({
      file: relDir,
      line: 1,
      col: 1,
      severity: 'error',
      code: 'BT_OS_NAME',
      message: `OS folder name "${name}" is not usable in URLs and kernel arguments`,
      fix: 'rename the folder using letters, digits, ".", "_" and "-" only (at most 64 characters)',
    });
    return null;
  }
  let text: string;
  try {
    text = await readFile(configFile, 'utf8');
  } catch {
    problems.push({
      file: displayFile,
      line: 1,
      col: 1,
      severity: 'error',
      code: 'BT_OS_NO_CONFIG',
      message: `OS folder ${relDir} has no config.yaml`,
      fix: `create ${displayFile} with dispname, kernel, initrd and cmdline (see oss/README.md), or remove the folder`,
    });
    return null;
  }
  const { source, problems: syntax } = YamlSource.parse(displayFile, text);
  if (syntax.length > 0) {
    problems.push(...syntax);
    return null;
  }
  const parsed = OsFileSchema.safeParse(source.toJS() ?? {});
  problems.push(...unknownKeyWarnings(source, OsFileSchema, source.toJS()));
  if (!parsed.success) {
    problems.push(...schemaProblems(source, parsed.error, (path) => (path[0] === 'dispname' ? 'add `dispname: <name shown in the menu>`' : 'see oss/README.md for the keys of config.yaml')));
    return null;
  }
  const os = parsed.data;
  parsedConfigs.push({ name, relDir, dispname: os.dispname, source });
  if (!SUPPORTED_METHODS.has(os.method)) {
    const original = ORIGINAL_METHODS.has(os.method);
    problems.push(
      source.problem(['method'], {
        severity: original ? 'warning' : 'error',
        code: 'BT_OS_METHOD_UNSUPPORTED',
        message: original
          ? `method "${os.method}" (from the original BootTorrent) is not supported; ${name} is left out of the menu`
          : `unknown method "${os.method}"`,
        fix: 'use `method: kexec` with a kernel and initrd, or remove this OS',
      }),
    );
    return null;
  }
  if (!os.kernel) {
    problems.push(
      source.problem([], { severity: 'error', code: 'BT_OS_NO_KERNEL', message: 'missing required key "kernel"', fix: 'add `kernel: <kernel file in this folder>`' }),
    );
    return null;
  }
  let failed = false;
  const checkFile = async (key: 'kernel' | 'initrd', file: string): Promise<string | null> => {
    const rel = insideFolder(dir, file);
    if (rel === null) {
      problems.push(
        source.problem([key], {
          severity: 'error',
          code: 'BT_OS_PATH_ESCAPES',
          message: `${key} "${file}" is outside the OS folder ${relDir}`,
          fix: `copy the file into ${relDir}/ and name it relative to that folder`,
        }),
      );
      failed = true;
      return null;
    }
    const info = await stat(join(dir, rel)).catch(() => null);
    if (!info?.isFile()) {
      problems.push(
        source.problem([key], {
          severity: 'error',
          code: 'BT_OS_FILE_MISSING',
          message: `${key} file "${file}" does not exist in ${relDir}`,
          fix: `copy the ${key} into ${relDir}/ or correct the file name`,
        }),
      );
      failed = true;
      return null;
    }
    return rel;
  };
  const kernel = await checkFile('kernel', os.kernel);
  const initrd = os.initrd ? await checkFile('initrd', os.initrd) : null;
  if (failed || kernel === null) return null;
  return {
    name,
    dispname: os.dispname,
    method: 'kexec',
    dir,
    relDir,
    configFile,
    kernel,
    initrd,
    cmdline: os.cmdline,
    files: await listOsFiles(dir),
  };
}

/** Reads the oss/ folder: the OSes that loaded; every config.yaml that parsed goes to `parsedConfigs`. */
async function loadOses(projectDir: string, problems: SourceProblem[], parsedConfigs: ParsedOsConfig[]): Promise<LoadedOs[]> {
  const ossDir = join(projectDir, OSS_DIR);
  let names: string[];
  try {
    const entries = await readdir(ossDir, { withFileTypes: true });
    names = entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name);
  } catch {
    problems.push({
      file: OSS_DIR,
      line: 1,
      col: 1,
      severity: 'error',
      code: 'BT_PROJECT_NO_OSS',
      message: `the project has no ${OSS_DIR}/ folder`,
      fix: `create ${OSS_DIR}/ with one folder per operating system (see \`boottorrent init\`)`,
    });
    return [];
  }
  names.sort();
  const oses: LoadedOs[] = [];
  for (const name of names) {
    const os = await loadOs(projectDir, name, problems, parsedConfigs);
    if (os) oses.push(os);
  }
  if (names.length === 0) {
    problems.push({
      file: OSS_DIR,
      line: 1,
      col: 1,
      severity: 'warning',
      code: 'BT_PROJECT_NO_OS',
      message: 'no operating system yet: nodes will have nothing to boot',
      fix: `add a folder under ${OSS_DIR}/ with a kernel, an initrd and a config.yaml (see ${OSS_DIR}/README.md)`,
    });
  }
  return oses;
}

function checkDuplicateDispnames(configs: ParsedOsConfig[], problems: SourceProblem[]): void {
  const seen = new Map<string, ParsedOsConfig>();
  for (const os of configs) {
    const key = os.dispname.trim().toLowerCase();
    const first = seen.get(key);
    if (first) {
      problems.push(
        os.source.problem(['dispname'], {
          severity: 'error',
          code: 'BT_OS_DUPLICATE_DISPNAME',
          message: `dispname "${os.dispname}" is also used by ${first.relDir}: the menu could not tell them apart`,
          fix: `give ${os.relDir} a different dispname`,
        }),
      );
    } else {
      seen.set(key, os);
    }
  }
}

interface ParsedProjectFile {
  config: ProjectFileV1;
  isV0: boolean;
  migrationNotes: MigrationNote[];
  /** Where to point a problem about a version-1 key (the version-0 key it came from, for v0 files). */
  pathInSource: (path: readonly PropertyKey[]) => readonly PropertyKey[];
}

/** Validates Boottorrent.yaml (version 1, or version 0 migrated in memory); null on errors. */
function parseProjectFile(source: YamlSource, problems: SourceProblem[]): ParsedProjectFile | null {
  const data = source.toJS();
  if (data !== null && typeof data === 'object' && 'boottorrent' in data) {
    const v0 = ProjectFileV0.safeParse(data);
    problems.push(...unknownKeyWarnings(source, ProjectFileV0, data));
    if (!v0.success) {
      problems.push(...schemaProblems(source, v0.error));
      return null;
    }
    const migrated = migrateV0(v0.data);
    const v1 = ProjectFileV1.safeParse(migrated.file);
    if (!v1.success) {
      problems.push(
        ...v1.error.issues.map((issue) =>
          source.problem(v0PathFor(issue.path as PropertyKey[]), {
            severity: 'error',
            code: 'BT_PROJECT_SCHEMA',
            message: `${issue.path.join('.')}: ${issue.message}`,
            fix: fixFor(issue.path as PropertyKey[]),
          }),
        ),
      );
      return null;
    }
    return { config: v1.data, isV0: true, migrationNotes: migrated.notes, pathInSource: v0PathFor };
  }
  if (data === null || typeof data !== 'object' || !('version' in data)) {
    problems.push(
      source.problem([], {
        severity: 'error',
        code: 'BT_PROJECT_VERSION',
        message: `${PROJECT_FILE} has no version`,
        fix: 'start the file with `version: 1` (this project) or keep the original `boottorrent: {version: 0, ...}` section',
      }),
    );
    return null;
  }
  const v1 = ProjectFileV1.safeParse(data);
  problems.push(...unknownKeyWarnings(source, ProjectFileV1, data));
  if (!v1.success) {
    problems.push(...schemaProblems(source, v1.error));
    return null;
  }
  return { config: v1.data, isV0: false, migrationNotes: [], pathInSource: (path) => path };
}

/**
 * Loads and validates a project folder: Boottorrent.yaml (version 1, or the original
 * version 0, migrated in memory) and every oss/<name>/config.yaml. Every problem points at
 * a file and line and says how to fix it.
 */
export async function loadProject(projectDir: string): Promise<LoadResult> {
  const dir = resolve(projectDir);
  const file = join(dir, PROJECT_FILE);
  const problems: SourceProblem[] = [];
  const done = (project: LoadedProject | null): LoadResult => {
    const hasError = problems.some((problem) => problem.severity === 'error');
    return { project: hasError ? null : project, problems: sortProblems(problems) };
  };

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    problems.push({
      file: PROJECT_FILE,
      line: 1,
      col: 1,
      severity: 'error',
      code: 'BT_PROJECT_NOT_FOUND',
      message: `no ${PROJECT_FILE} in ${dir}`,
      fix: `run \`boottorrent init ${projectDir}\` to create a project, or pass --project <folder with ${PROJECT_FILE}>`,
    });
    return done(null);
  }

  const { source, problems: syntax } = YamlSource.parse(PROJECT_FILE, text);
  // The OS folders are checked even when Boottorrent.yaml has problems: `check` lists everything at once.
  const parsedConfig = syntax.length > 0 ? null : parseProjectFile(source, problems);
  problems.push(...syntax);
  const parsedOsConfigs: ParsedOsConfig[] = [];
  const oses = await loadOses(dir, problems, parsedOsConfigs);
  checkDuplicateDispnames(parsedOsConfigs, problems);
  if (!parsedConfig) return done(null);
  const { isV0, migrationNotes, pathInSource } = parsedConfig;
  if (!isValidNetmask(parsedConfig.config.master.netmask)) {
    problems.push(
      source.problem(pathInSource(['master', 'netmask']), {
        severity: 'error',
        code: 'BT_NETMASK',
        message: `"${parsedConfig.config.master.netmask}" is not a netmask`,
        fix: fixFor(['master', 'netmask']),
      }),
    );
    return done(null);
  }
  const config: ProjectConfig = {
    ...parsedConfig.config,
    dhcp: { ...parsedConfig.config.dhcp, range: parsedConfig.config.dhcp.range ?? defaultDhcpRange(parsedConfig.config.master.address, parsedConfig.config.master.netmask) },
  };

  const at = (path: readonly PropertyKey[], fields: Omit<SourceProblem, 'file' | 'line' | 'col'>) => problems.push(source.problem(pathInSource(path), fields));

  // Network sanity: the range and pinned addresses must be reachable from the master.
  {
    const mask = ipToInt(config.master.netmask);
    const net = (ip: string) => (ipToInt(ip) & mask) >>> 0;
    const masterNet = net(config.master.address);
    const range = parseDhcpRange(config.dhcp.range);
    if (config.dhcp.mode === 'full' && typeof range !== 'string') {
      if (net(range.start) !== masterNet || net(range.end) !== masterNet) {
        at(['dhcp', 'range'], {
          severity: 'error',
          code: 'BT_DHCP_RANGE_SUBNET',
          message: `dhcp range ${range.start}-${range.end} is not in the master's network ${config.master.address}/${config.master.netmask}`,
          fix: 'choose a range inside the master\'s network, or correct master.address / master.netmask',
        });
      } else if (ipToInt(config.master.address) >= ipToInt(range.start) && ipToInt(config.master.address) <= ipToInt(range.end)) {
        at(['dhcp', 'range'], {
          severity: 'warning',
          code: 'BT_DHCP_RANGE_HAS_MASTER',
          message: `the master's own address ${config.master.address} is inside the dhcp range`,
          fix: 'start the range after the master\'s address so no node is offered it',
        });
      }
    }
  }

  const ports: Array<[string[], number]> = [
    [['boot', 'api_port'], config.boot.api_port],
    [['seeder', 'peer_port'], config.seeder.peer_port],
    [['seeder', 'http_port'], config.seeder.http_port],
    ...(config.tracker.enabled ? [[['tracker', 'port'], config.tracker.port] as [string[], number]] : []),
  ];
  const portOwner = new Map<number, string>();
  for (const [path, port] of ports) {
    const owner = portOwner.get(port);
    if (owner) {
      at(path, { severity: 'error', code: 'BT_PORT_CONFLICT', message: `${path.join('.')} uses port ${port}, already used by ${owner}`, fix: 'give each service its own port' });
    } else {
      portOwner.set(port, path.join('.'));
    }
  }

  const osNames = new Set(oses.map((os) => os.name));
  const folderNames = new Set((await readdir(join(dir, OSS_DIR)).catch(() => [] as string[])).map(String));
  const unknownOs = (name: string) => `"${name}" is not ${folderNames.has(name) ? 'a bootable OS (see the problems with its config.yaml)' : `a folder under ${OSS_DIR}/`}`;
  const knownOsList = oses.length > 0 ? oses.map((os) => os.name).join(', ') : '(none yet)';

  if (config.boot.default_os !== null && !osNames.has(config.boot.default_os)) {
    at(['boot', 'default_os'], {
      severity: 'error',
      code: 'BT_OS_UNKNOWN',
      message: `default_os ${unknownOs(config.boot.default_os)}`,
      fix: `use one of: ${knownOsList}`,
    });
  }
  config.boot.menu.forEach((name, index) => {
    if (!osNames.has(name)) {
      at(['boot', 'menu', index], { severity: 'error', code: 'BT_OS_UNKNOWN', message: `menu entry ${unknownOs(name)}`, fix: `use one of: ${knownOsList}` });
    }
  });

  const nodes: NodeAssignment[] = [];
  for (const [key, node] of Object.entries(config.nodes)) {
    const mac = normalizeMac(key);
    if (mac === null) {
      at(['nodes', key], {
        severity: 'error',
        code: 'BT_NODE_MAC',
        message: `"${key}" is not a MAC address`,
        fix: 'write node keys as MAC addresses in quotes, e.g. "52:54:00:12:34:56"',
      });
      continue;
    }
    if (node.os !== null && !osNames.has(node.os)) {
      at(['nodes', key, 'os'], { severity: 'error', code: 'BT_OS_UNKNOWN', message: `node ${mac}: os ${unknownOs(node.os)}`, fix: `use one of: ${knownOsList}` });
    }
    if (nodes.some((other) => other.mac === mac)) {
      at(['nodes', key], { severity: 'error', code: 'BT_NODE_DUPLICATE', message: `node ${mac} is listed twice`, fix: 'keep one entry per MAC' });
    }
    nodes.push({ mac, os: node.os, address: node.address, hostname: node.hostname });
  }

  if (config.boot.unknown_nodes === 'default' && config.boot.default_os === null && oses.length > 1) {
    at(['boot', 'unknown_nodes'], {
      severity: 'warning',
      code: 'BT_NO_DEFAULT_OS',
      message: `unknown nodes boot the default OS, but none is set: the first menu entry (${oses[0]!.name}) will boot`,
      fix: 'set boot.default_os',
    });
  }

  return done({ dir, file, sourceVersion: isV0 ? 0 : 1, config, nodes, oses, migrationNotes });
}

function sortProblems(problems: SourceProblem[]): SourceProblem[] {
  return [...problems].sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file === PROJECT_FILE ? -1 : b.file === PROJECT_FILE ? 1 : a.file < b.file ? -1 : 1));
}

/** `file:line:col: severity: message` and the fix on the next line, as `check` prints them. */
export function formatProblem(problem: SourceProblem, projectDir?: string): string {
  const file = projectDir ? join(projectDir, problem.file) : problem.file;
  return `${file}:${problem.line}:${problem.col}: ${problem.severity}: ${problem.message}\n  fix: ${problem.fix}`;
}
