import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultProjectFile, renderProjectFile } from '@boottorrent/project';
import { BROKEN_OS, LAB_BRIDGE, LAB_MASTER_ADDRESS, LAB_PREFIX, type LabDhcpMode, type LabNodePlan } from './config.js';

/**
 * Writes the lab's project: the master on the lab bridge, unattended boot of `os`, the demo
 * OS (and any OS folders copied from a user project), and a pinned `broken` OS for nodes that
 * are meant to fail.
 */
export async function writeLabProject(options: {
  projectDir: string;
  dhcp: LabDhcpMode;
  os: string;
  nodes: readonly LabNodePlan[];
  /** OS folders to copy in, by name. */
  osFolders: Readonly<Record<string, string>>;
}): Promise<void> {
  const config = defaultProjectFile({ address: LAB_MASTER_ADDRESS, interface: LAB_BRIDGE });
  config.dhcp.mode = options.dhcp;
  config.dhcp.range = `${LAB_PREFIX}.100,${LAB_PREFIX}.199,1h`;
  config.boot.timeout = 0;
  config.boot.default_os = options.os;
  config.boot.unknown_nodes = 'default';
  const broken = options.nodes.filter((node) => node.broken);
  config.nodes = Object.fromEntries(broken.map((node) => [node.mac, { os: BROKEN_OS, address: null, hostname: node.name }]));

  await mkdir(join(options.projectDir, 'oss'), { recursive: true });
  await writeFile(
    join(options.projectDir, 'Boottorrent.yaml'),
    renderProjectFile(config, { header: ['The virtual lab\'s project, written by `boottorrent lab`.', ''] }),
  );
  for (const [name, source] of Object.entries(options.osFolders)) {
    await cp(source, join(options.projectDir, 'oss', name), { recursive: true });
  }
  if (broken.length > 0) {
    const dir = join(options.projectDir, 'oss', BROKEN_OS);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.yaml'), 'dispname: Broken OS (its files go missing after start)\nkernel: vmlinuz\ninitrd: initrd\ncmdline: console=ttyS0\n');
    await writeFile(join(dir, 'vmlinuz'), 'placeholder kernel: removed after the master starts\n');
    await writeFile(join(dir, 'initrd'), 'placeholder initrd: removed after the master starts\n');
  }
}

/** The OS folder names of a project (for --project/--os). */
export async function projectOsFolders(projectDir: string): Promise<Record<string, string>> {
  const entries = await readdir(join(projectDir, 'oss'), { withFileTypes: true }).catch(() => []);
  return Object.fromEntries(entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => [entry.name, join(projectDir, 'oss', entry.name)]));
}
