import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Readiness {
  ready: boolean;
  /** Why not ready (or what is running), for humans. */
  detail: string;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * GET /healthz: the process is alive (200). GET /readyz: 200 when `readiness()` says ready,
 * 503 otherwise. Plain node:http so that even services without an HTTP API have one, and so
 * container HEALTHCHECKs stay trivial.
 */
export async function startHealthServer(options: {
  service: string;
  host: string;
  port: number;
  readiness: () => Readiness;
}): Promise<HealthServer> {
  const startedAt = Date.now();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: { code: 'BT_METHOD', message: 'GET only' } });
    if (path === '/healthz') return send(200, { service: options.service, status: 'ok', uptimeMs: Date.now() - startedAt });
    if (path === '/readyz') {
      const readiness = options.readiness();
      return send(readiness.ready ? 200 : 503, { service: options.service, ...readiness });
    }
    return send(404, { error: { code: 'BT_NOT_FOUND', message: 'try /healthz or /readyz' } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
