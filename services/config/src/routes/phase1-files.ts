import { open } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BootState } from '../boot-state.js';
import { Phase1NotBuilt, RangeNotSatisfiable } from '../errors.js';
import { matchesEtag, parseRange } from '../http-range.js';

type Phase1File = 'kernel' | 'initrd';

/**
 * GET/HEAD /phase1/kernel and /phase1/initrd: the image-builder's published artifacts. The
 * file is always the one Phase1Artifacts names inside its own directory, never anything taken
 * from the request. ETag is the published sha256, so a node (or a cache) can revalidate.
 */
export function registerPhase1Files(app: FastifyInstance, deps: { state: BootState }): void {
  for (const which of ['kernel', 'initrd'] as const) {
    app.route({
      method: ['GET', 'HEAD'],
      url: `/phase1/${which}`,
      exposeHeadRoute: false,
      handler: (request, reply) => sendArtifact(deps.state, which, request, reply),
    });
  }
}

function artifactPath(dir: string, file: string): string {
  const base = resolve(dir);
  const path = resolve(base, file);
  // The artifact record comes from NATS: still, never serve anything outside its directory.
  if (!path.startsWith(base + sep)) throw new Phase1NotBuilt(`the published file name "${file}" is outside ${base}`);
  return path;
}

async function sendArtifact(state: BootState, which: Phase1File, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const artifacts = state.phase1;
  if (!artifacts) throw new Phase1NotBuilt('the image-builder has not published a build yet');
  const artifact = artifacts[which];
  const path = artifactPath(artifacts.dir, artifact.file);
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw new Phase1NotBuilt(`${which} file ${path} cannot be opened`).causedBy(err);
  });
  let streaming = false;
  try {
    const size = (await handle.stat()).size;
    if (size !== artifact.size) {
      throw new Phase1NotBuilt(`${which} file ${path} has ${size} bytes, the build published ${artifact.size} (a rebuild in progress?)`);
    }
    const etag = `"${artifact.sha256}"`;
    void reply.header('etag', etag).header('accept-ranges', 'bytes').header('cache-control', 'no-cache').type('application/octet-stream');
    if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();

    const ifRange = request.headers['if-range'];
    const rangeHeader = ifRange !== undefined && ifRange !== etag ? undefined : request.headers.range;
    const range = parseRange(rangeHeader, size);
    if (range.kind === 'unsatisfiable') {
      const error = new RangeNotSatisfiable(rangeHeader ?? '', size);
      return reply.code(416).header('content-range', `bytes */${size}`).type('application/json').send({ error: error.toJSON() });
    }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
    if (range.kind === 'partial') void reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`);
    void reply.header('content-length', String(size === 0 ? 0 : end - start + 1));
    if (request.method === 'HEAD' || size === 0) return reply.send();
    streaming = true;
    return reply.send(handle.createReadStream({ start, end }));
  } finally {
    if (!streaming) await handle.close();
  }
}
