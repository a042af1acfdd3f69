import { Option, type Command } from 'commander';
import { normalizeMac } from '@boottorrent/contracts';
import { toDesiredState } from '@boottorrent/project';
import { DEFAULT_PHASE1_KERNEL_ARGS, KernelArgs, decideBoot, renderBootScript, type Platform } from '@boottorrent/service-config/render';
import { CliError } from '../errors.js';
import { loadValidProject } from '../project-input.js';
import { resolveProjectDir } from '../paths.js';

interface RenderIpxeOptions {
  mac: string;
  platform: Platform;
  project?: string;
  kernelArgs?: string;
}

/**
 * `boottorrent render ipxe --mac M`: the iPXE script the boot API would answer that node's
 * GET /boot.ipxe?mac=M with, from the same renderer (menu, assigned OS, default or refusal).
 */
export function registerRenderIpxe(render: Command): void {
  render
    .command('ipxe')
    .description("print the iPXE script the boot API would give a node (GET /boot.ipxe?mac=...)")
    .requiredOption('-m, --mac <mac>', "the node's MAC address, e.g. 52:54:00:12:34:56")
    .addOption(new Option('--platform <platform>', "iPXE's ${platform}: pcbios (BIOS) or efi (UEFI)").choices(['pcbios', 'efi']).default('pcbios'))
    .option('-p, --project <dir>', 'project folder (default: $BT_PROJECT or the current folder)')
    .option('--kernel-args <args>', `extra phase-1 kernel arguments (default: $BT_PHASE1_KERNEL_ARGS or "${DEFAULT_PHASE1_KERNEL_ARGS}")`)
    .action(async (options: RenderIpxeOptions) => {
      const mac = normalizeMac(options.mac);
      if (mac === null) throw new CliError(`"${options.mac}" is not a MAC address.`, 'write it as six hex pairs, e.g. --mac 52:54:00:12:34:56');
      const kernelArgs = KernelArgs.safeParse(options.kernelArgs ?? process.env.BT_PHASE1_KERNEL_ARGS ?? DEFAULT_PHASE1_KERNEL_ARGS);
      if (!kernelArgs.success) throw new CliError('the extra kernel arguments contain characters iPXE would interpret.', 'use space-separated words of letters, digits and _.,=:/+@-');

      const dir = resolveProjectDir(options.project);
      const project = await loadValidProject(dir, 'so there is nothing to render');
      const desired = toDesiredState(project);
      const decision = decideBoot(desired, mac);
      process.stdout.write(renderBootScript({ desired, mac, platform: options.platform, kernelArgs: kernelArgs.data, decision }));
    });
}
