import type { Command } from 'commander';
import { registerRenderDnsmasq } from './render-dnsmasq.js';
import { registerRenderIpxe } from './render-ipxe.js';

/**
 * `boottorrent render <what>`: print a generated artifact exactly as the service would use it
 * (like `nginx -T`). One file per artifact, each adding its subcommand to the group here.
 */
export const renderRegistrations: ReadonlyArray<(render: Command) => void> = [registerRenderDnsmasq, registerRenderIpxe];

export function registerRender(program: Command): void {
  const render = program
    .command('render')
    .description('print what a service generates from the project (e.g. `render dnsmasq`), without running anything');
  for (const register of renderRegistrations) register(render);
}
