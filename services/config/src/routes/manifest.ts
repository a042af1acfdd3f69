import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { OsName, type OsDesired } from '@boottorrent/contracts';
import { parseInput } from '@boottorrent/runtime';
import { z } from 'zod';
import type { BootState } from '../boot-state.js';
import { OsFilesMissing, TorrentNotReady } from '../errors.js';
import { buildManifest, manifestEnv } from '../manifest.js';
import { toShellEnv } from '../shell-env.js';
import { ENV_CONTENT_TYPE, parseFormat } from './params.js';

const ManifestParams = z.object({ os: OsName });

/**
 * The first of the OS's files that is gone from the project folder, or null. A validated
 * desired state can outlive its files (removed since; the last good state stays published),
 * and a node must then fail with that reason instead of downloading from a crippled swarm.
 */
async function firstMissingFile(projectDir: string, os: OsDesired): Promise<string | null> {
  for (const file of os.files) {
    const path = `${os.dir}/${file.path}`;
    const info = await stat(join(projectDir, path)).catch(() => null);
    if (!info?.isFile()) return path;
  }
  return null;
}

/** GET /api/manifest/:os[?format=env]: everything phase-1 needs to fetch and boot the OS. */
export function registerManifest(app: FastifyInstance, deps: { state: BootState }): void {
  app.get('/api/manifest/:os', async (request, reply) => {
    const { os: name } = parseInput(ManifestParams, request.params, 'OS name');
    const format = parseFormat(request.query);
    const desired = deps.state.requireDesired();
    const os = deps.state.requireOs(name);
    const missing = await firstMissingFile(desired.oses.projectDir, os);
    if (missing) throw new OsFilesMissing(name, missing);
    const result = buildManifest(os, deps.state.torrents.get(name) ?? null, desired.network, desired.policy);
    if (!result.ok) throw new TorrentNotReady(name, result.why);
    void reply.header('cache-control', 'no-store');
    if (format === 'env') return reply.type(ENV_CONTENT_TYPE).send(toShellEnv(manifestEnv(result.manifest)));
    return result.manifest;
  });
}
