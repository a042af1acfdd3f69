import type { AddressInfo } from 'node:net';
import { createHttpApp, type Logger } from '@boottorrent/runtime';
import type { FastifyInstance } from 'fastify';
import { RangeNotSatisfiable, TorrentGone, UnknownTorrent, UnknownWebSeedFile } from './errors.js';
import { rangeStream, type OpenedFile } from './os-files.js';
import { parseRange } from './range.js';

/** What the HTTP side needs from the seeder: torrents by info-hash, current or retiring. */
export interface HttpCatalog {
  torrentFile(infoHash: string): Uint8Array | undefined;
  /** A torrent's files for the web seed: its name (the URL's first segment) and files by path. */
  webSeedFile(infoHash: string): { name: string; file(path: string): OpenedFile | undefined; changed(file: OpenedFile): Promise<boolean> } | undefined;
}

/** URL path of a torrent's .torrent file. */
export function torrentPath(infoHash: string): string {
  return `/torrents/${infoHash}.torrent`;
}

/**
 * URL of a torrent's BEP 19 web seed. It names the info-hash so that a replaced OS's old and
 * new torrents never mix bytes, and ends with "/": for a multi-file torrent, clients (aria2c
 * included) append "<name>/<path>" to it.
 */
export function webSeedPath(infoHash: string): string {
  return `/webseed/${infoHash}/`;
}

const INFO_HASH = /^[0-9a-f]{40}$/;

/**
 * The seeder's HTTP server: .torrent files and the web seed (plain files with Range support,
 * served from the same file handles as the swarm). GET and HEAD only.
 */
export function buildHttpApp(catalog: HttpCatalog, logger: Logger): FastifyInstance {
  const app = createHttpApp({ logger });

  app.get<{ Params: { file: string } }>('/torrents/:file', async (request, reply) => {
    const infoHash = request.params.file.replace(/\.torrent$/, '').toLowerCase();
    const bytes = INFO_HASH.test(infoHash) ? catalog.torrentFile(infoHash) : undefined;
    if (!bytes) throw new UnknownTorrent(infoHash);
    return reply.header('content-type', 'application/x-bittorrent').header('cache-control', 'no-cache').send(Buffer.from(bytes));
  });

  // GET and HEAD declared together: fastify's generated HEAD route would reset content-length.
  app.route<{ Params: { infoHash: string; '*': string } }>({
    method: ['GET', 'HEAD'],
    url: '/webseed/:infoHash/*',
    handler: async (request, reply) => {
      const infoHash = request.params.infoHash.toLowerCase();
      const torrent = INFO_HASH.test(infoHash) ? catalog.webSeedFile(infoHash) : undefined;
      if (!torrent) throw new UnknownTorrent(infoHash);
      const wanted = request.params['*'];
      request.log.debug({ url: request.url, range: request.headers.range }, 'web seed request');
      const prefix = `${torrent.name}/`;
      const file = wanted.startsWith(prefix) ? torrent.file(wanted.slice(prefix.length)) : undefined;
      if (!file) throw new UnknownWebSeedFile(infoHash, wanted);
      if (await torrent.changed(file)) throw new TorrentGone(infoHash);

      const range = parseRange(request.headers.range, file.length);
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${file.length}`);
        throw new RangeNotSatisfiable(request.headers.range ?? '', file.length);
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? file.length - 1;
      reply.header('accept-ranges', 'bytes').header('content-type', 'application/octet-stream').header('content-length', String(end - start + 1));
      if (range) reply.status(206).header('content-range', `bytes ${start}-${end}/${file.length}`);
      if (request.method === 'HEAD' || end < start) return reply.send();
      // Positional reads from the torrent's own handle (never loading the file), in a stream
      // that cannot close that handle when the client hangs up (see rangeStream).
      return reply.send(rangeStream(file, start, end));
    },
  });

  // Uploads have no place here: .torrent files are made by the seeder from the OS folders.
  app.route({
    method: ['POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/*',
    handler: async (_request, reply) =>
      reply.status(405).header('allow', 'GET, HEAD').send({ error: { code: 'BT_SEEDER_METHOD', message: 'the seeder serves files read-only (GET, HEAD)' } }),
  });

  return app;
}

/** Listens on host:port; returns the bound port. */
export async function listenHttp(app: FastifyInstance, host: string, port: number): Promise<number> {
  await app.listen({ host, port });
  return (app.server.address() as AddressInfo).port;
}
