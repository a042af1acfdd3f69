import type { Command } from 'commander';
import { toDesiredState } from '@boottorrent/project';
import { isBtError } from '@boottorrent/runtime';
import { DEFAULT_STATE_DIR, renderDnsmasqConfig, statePaths } from '@boottorrent/service-dhcp';
import { CliError } from '../errors.js';
import { loadValidProject } from '../project-input.js';
import { resolveProjectDir, resolveUserPath } from '../paths.js';

/**
 * `boottorrent render dnsmasq`: the dnsmasq configuration the dhcp service would run for this
 * project, from the same renderer, so `dnsmasq --test -C <(boottorrent render dnsmasq)` checks
 * exactly what will be served.
 */
export function registerRenderDnsmasq(render: Command): void {
  render
    .command('dnsmasq')
    .description('print the dnsmasq configuration the dhcp service would run for the project')
    .option('-p, --project <dir>', 'project folder (default: $BT_PROJECT or the current folder)')
    .option('--state-dir <dir>', `the dhcp service's state folder (default: $BT_STATE_DIR or ${DEFAULT_STATE_DIR})`)
    .action(async (options: { project?: string; stateDir?: string }) => {
      const dir = resolveProjectDir(options.project);
      const project = await loadValidProject(dir, 'so there is nothing to render');
      const stateDir = resolveUserPath(options.stateDir ?? process.env.BT_STATE_DIR ?? DEFAULT_STATE_DIR);
      const desired = toDesiredState(project).dhcp;
      let text: string | null;
      try {
        text = renderDnsmasqConfig(desired, statePaths(stateDir, process.env.BT_TFTP_BASE));
      } catch (err) {
        if (isBtError(err)) throw new CliError(err.message, err.fix ?? 'correct the project setting it names');
        throw err;
      }
      process.stdout.write(text ?? '# dhcp.mode is off: the dhcp service runs no dnsmasq.\n');
    });
}
