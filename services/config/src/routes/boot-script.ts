import type { FastifyInstance } from 'fastify';
import { parseInput } from '@boottorrent/runtime';
import { z } from 'zod';
import type { BootState } from '../boot-state.js';
import { decideBoot, decidedOs } from '../boot-decision.js';
import { platformOf, renderBootScript, renderChainScript, type Platform } from '../ipxe.js';
import type { NodeRegistry } from '../registry.js';
import { parseMac } from './params.js';

/** iPXE's ${buildarch} and ${platform} are short lowercase words (i386, x86_64, arm64; pcbios, efi). */
const IpxeWord = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'expected a word like x86_64 or efi');

const BootQuery = z.object({
  mac: z.string().optional(),
  arch: IpxeWord.optional(),
  platform: IpxeWord.optional(),
});

const IPXE_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** DHCP option 93 values other than 0 (BIOS) are UEFI machines. */
function platformFromClientArch(clientArch: number | null): Platform {
  return clientArch !== null && clientArch !== 0 ? 'efi' : 'pcbios';
}

/**
 * GET /boot.ipxe: without ?mac= a chain script that asks again naming the node; with it, the
 * node's own script. Fetching it moves the node to state `ipxe`.
 */
export function registerBootScript(app: FastifyInstance, deps: { state: BootState; registry: NodeRegistry; kernelArgs: string }): void {
  app.get('/boot.ipxe', async (request, reply) => {
    const query = parseInput(BootQuery, request.query ?? {}, 'boot script query');
    const desired = deps.state.requireDesired();
    void reply.type(IPXE_CONTENT_TYPE).header('cache-control', 'no-store');
    if (query.mac === undefined) return renderChainScript(desired.network.api.url);

    const mac = parseMac(query.mac);
    const platform = query.platform !== undefined ? platformOf(query.platform) : platformFromClientArch(deps.registry.get(mac)?.clientArch ?? null);
    const decision = decideBoot(desired, mac);
    deps.registry.bootScriptRequested(mac, decidedOs(decision));
    request.log.info({ mac, arch: query.arch ?? null, platform, decision: decision.kind, os: decidedOs(decision) }, 'boot script');
    return renderBootScript({ desired, mac, platform, kernelArgs: deps.kernelArgs, decision });
  });
}
