import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForTcp } from './net.js';
import { startProcess, type ManagedProcess } from './process.js';

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  pid(): number;
  /** Stops the server (keeping its JetStream store); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its store. */
  dispose(): Promise<void>;
}

export interface NatsServerOptions {
  host?: string;
  port?: number;
  /** Defaults to a fresh temporary directory, removed by dispose(). */
  storeDir?: string;
  binary?: string;
}

/** Starts Debian's nats-server with JetStream on a free loopback port. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const ownStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'bt-nats-')));
  const binary = options.binary ?? 'nats-server';
  let proc: ManagedProcess | undefined;

  const start = async () => {
    proc = startProcess('nats-server', binary, ['-a', host, '-p', String(port), '-js', '-sd', storeDir]);
    try {
      await Promise.race([
        waitForTcp(host, port, 15_000),
        proc.exited.then((code) => {
          throw new Error(`nats-server exited (${code}):\n${proc?.output()}`);
        }),
      ]);
      await proc.waitForLine(/Server is ready/, 15_000);
    } catch (err) {
      await proc.stop();
      throw err;
    }
  };
  await start();

  return {
    url: `nats://${host}:${port}`,
    port,
    storeDir,
    pid: () => proc?.pid ?? -1,
    start,
    stop: async () => {
      await proc?.stop();
    },
    dispose: async () => {
      await proc?.stop();
      if (ownStore) await rm(storeDir, { recursive: true, force: true });
    },
  };
}
