import type { Logger } from '@boottorrent/runtime';
import type { FastifyInstance } from 'fastify';
import { PortInUse } from './errors.js';
import { buildHttpApp, listenHttp, type HttpCatalog } from './http-server.js';
import type { Seeded } from './seeded.js';

/** The seeder's HTTP listener, rebound when the desired host or port changes. */
export class HttpEndpoint {
  private app: FastifyInstance | null = null;
  private bound: { host: string; port: number } | null = null;
  private boundPort: number | null = null;
  private readonly catalog: HttpCatalog;

  constructor(
    byHash: ReadonlyMap<string, Seeded>,
    private readonly logger: Logger,
    onFileChanged: () => void,
  ) {
    this.catalog = {
      torrentFile: (infoHash) => byHash.get(infoHash)?.torrentFile,
      webSeedFile: (infoHash) => {
        const seeded = byHash.get(infoHash);
        if (!seeded) return undefined;
        return {
          name: seeded.meta.name,
          file: (path) => seeded.files.files.find((file) => file.path === path),
          changed: async (file) => {
            const changed = await seeded.files.fileChanged(file, true);
            if (changed) onFileChanged();
            return changed;
          },
        };
      },
    };
  }

  /** The bound port, or null before the first successful bind. */
  get port(): number | null {
    return this.boundPort;
  }

  async bind(host: string, port: number): Promise<void> {
    if (this.bound && this.bound.host === host && this.bound.port === port) return;
    await this.close();
    const app = buildHttpApp(this.catalog, this.logger);
    try {
      this.boundPort = await listenHttp(app, host, port);
    } catch (err) {
      await app.close().catch(() => undefined);
      throw new PortInUse('HTTP (.torrent files, web seed)', host, port, err instanceof Error ? err.message : String(err)).causedBy(err);
    }
    this.app = app;
    this.bound = { host, port };
    this.logger.info({ host, port: this.boundPort }, 'seeder HTTP listening');
  }

  async close(): Promise<void> {
    const app = this.app;
    this.app = null;
    this.bound = null;
    this.boundPort = null;
    await app?.close();
  }
}
