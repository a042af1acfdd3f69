import { mkdir } from 'node:fs/promises';
import { buckets, events, openBucket, publish, type DhcpDesired, type DhcpObservation } from '@boottorrent/contracts';
import { isBtError, type Logger, type Readiness, type RunningService } from '@boottorrent/runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ServiceEnv } from './config.js';
import { DnsmasqLogParser } from './log-parser.js';
import { statePaths } from './paths.js';
import { DEFAULT_DNSMASQ_USER, renderDnsmasqConfig } from './render.js';
import { DnsmasqSupervisor, type SupervisorStatus } from './supervisor.js';
import { prepareTftpRoot, tftpOwner } from './tftp-root.js';

/*
 * The dhcp service: watches bt_desired/dhcp, renders dnsmasq's configuration, has the
 * supervisor run it, and turns dnsmasq's log into bt.node.<mac>.dhcp events. A desired state
 * that cannot be rendered, or that dnsmasq rejects, leaves the running dnsmasq alone and is
 * reported as a bt.service.dhcp.error event.
 */

export interface DhcpServiceOptions {
  nc: NatsConnection;
  logger: Logger;
  config: ServiceEnv;
  instance: string;
  /** Prepended to dnsmasq's command line; tests run dnsmasq in a namespace with ['ip', 'netns', 'exec', ns]. */
  commandPrefix?: readonly string[];
}

export interface Rejection {
  revision: number;
  code: string;
  message: string;
}

export interface DhcpServiceStatus {
  /** The desired state in force: its KV revision and mode; null before the first one. */
  applied: { revision: number; mode: DhcpDesired['mode'] } | null;
  /** The latest desired state that could not be applied, if it came after the one in force. */
  rejected: Rejection | null;
  supervisor: SupervisorStatus;
}

export interface DhcpService extends RunningService {
  status(): DhcpServiceStatus;
}

const NOISY_FACILITY = /dnsmasq-(dhcp|tftp)\[/;
const TROUBLE = /fail|cannot|error|unknown|warning|refus|denied/i;
/** iPXE asks for a file's size, then aborts that first transfer: on every boot, not a problem. */
const ROUTINE = /Early terminate received/;

export async function createDhcpService(options: DhcpServiceOptions): Promise<DhcpService> {
  const { nc, config, instance } = options;
  const logger = options.logger.child({ component: 'dhcp' });
  const paths = statePaths(config.BT_STATE_DIR, config.BT_TFTP_BASE);
  await mkdir(paths.stateDir, { recursive: true, mode: 0o755 });

  let parser = new DnsmasqLogParser('full');
  let flushTimer: NodeJS.Timeout | undefined;
  const emit = (observations: DhcpObservation[]) => {
    for (const observation of observations) {
      logger.info({ observation }, `${observation.kind} ${observation.mac}${observation.bootFile ? ` -> ${observation.bootFile}` : ''}`);
      try {
        publish(nc, events.nodeDhcp, observation);
      } catch (err) {
        logger.error({ err, observation }, 'could not publish a node event');
      }
    }
  };
  const onLine = (line: string) => {
    if (TROUBLE.test(line) && !ROUTINE.test(line)) logger.warn({ dnsmasq: line }, 'dnsmasq');
    else if (NOISY_FACILITY.test(line)) logger.debug({ dnsmasq: line }, 'dnsmasq');
    else logger.info({ dnsmasq: line }, 'dnsmasq');
    emit(parser.push(line, Date.now()));
    clearTimeout(flushTimer);
    flushTimer = setTimeout(() => emit(parser.flush()), config.BT_DHCP_LOG_FLUSH_MS);
  };

  const supervisor = new DnsmasqSupervisor({
    bin: config.BT_DNSMASQ_BIN,
    ...(options.commandPrefix ? { commandPrefix: options.commandPrefix } : {}),
    paths,
    backoff: { initialMs: config.BT_DHCP_RESTART_INITIAL_MS, maxMs: config.BT_DHCP_RESTART_MAX_MS, resetMs: config.BT_DHCP_RESTART_RESET_MS },
    startTimeoutMs: config.BT_DHCP_START_TIMEOUT_MS,
    stopGraceMs: config.BT_DHCP_STOP_GRACE_MS,
    logger,
    onLine,
  });
  await supervisor.reapOrphan();

  let applied: DhcpServiceStatus['applied'] = null;
  let appliedInterface = '';
  let rejected: Rejection | null = null;

  const reject = (revision: number, err: unknown) => {
    const code = isBtError(err) ? err.code : 'BT_DHCP_APPLY_FAILED';
    const message = err instanceof Error ? err.message : String(err);
    rejected = { revision, code, message };
    logger.error({ err, revision, code }, 'desired state not applied; the previous configuration stays in force');
    try {
      publish(nc, events.serviceError, {
        service: 'dhcp',
        instance,
        code,
        message,
        detail: { revision, ...(isBtError(err) && err.fix ? { fix: err.fix } : {}) },
        at: Date.now(),
      });
    } catch (publishErr) {
      logger.error({ err: publishErr }, 'could not publish the error event');
    }
  };

  const apply = async (desired: DhcpDesired | null, revision: number) => {
    if (desired === null || desired.mode === 'off') {
      await supervisor.stop();
      applied = desired === null ? null : { revision, mode: 'off' };
      rejected = null;
      logger.info({ revision }, desired === null ? 'desired state removed: dnsmasq stopped' : 'dhcp mode off: dnsmasq stopped');
      return;
    }
    const text = renderDnsmasqConfig(desired, paths);
    const serving = supervisor.status().state !== 'stopped';
    if (text !== null && !(serving && text === supervisor.configText)) {
      if (desired.tftp) {
        const owner = await tftpOwner(desired.user ?? DEFAULT_DNSMASQ_USER);
        await prepareTftpRoot({ ipxeDir: config.BT_IPXE_DIR, tftpRoot: paths.tftpRoot, owner, logger });
      }
      const previousParser = parser;
      parser = new DnsmasqLogParser(desired.mode);
      try {
        await supervisor.apply(text);
      } catch (err) {
        parser = previousParser;
        throw err;
      }
      logger.info({ revision, mode: desired.mode, interface: desired.interface, dnsmasqPid: supervisor.status().pid }, 'dnsmasq serving the desired state');
    }
    applied = { revision, mode: desired.mode };
    appliedInterface = desired.interface;
    rejected = null;
  };

  // Changes are applied one at a time; while one is applied, only the newest waiting one is kept.
  let latest: { value: DhcpDesired | null; revision: number } | null = null;
  let draining: Promise<void> | null = null;
  const kick = () => {
    if (draining) return;
    draining = (async () => {
      while (latest) {
        const change = latest;
        latest = null;
        await apply(change.value, change.revision).catch((err: unknown) => reject(change.revision, err));
      }
    })().finally(() => {
      draining = null;
      if (latest) kick();
    });
  };

  const bucket = await openBucket(nc, buckets.desired, logger);
  const stopWatching = await bucket.watch(
    (change) => {
      latest = { value: change.value as DhcpDesired | null, revision: change.revision };
      kick();
    },
    ['dhcp'],
  );

  const readiness = (): Readiness => {
    const note = rejected ? `; revision ${rejected.revision} rejected (${rejected.code})` : '';
    if (!applied) return { ready: false, detail: rejected ? `desired state rejected: ${rejected.message}` : 'waiting for desired state (bt_desired key dhcp)' };
    if (applied.mode === 'off') return { ready: true, detail: `dhcp mode off: no dnsmasq running${note}` };
    const status = supervisor.status();
    if (status.state !== 'running') return { ready: false, detail: `dnsmasq ${status.state} (deaths in a row: ${status.failures})${note}` };
    return { ready: true, detail: `dnsmasq ${applied.mode} on ${appliedInterface}, pid ${status.pid}, revision ${applied.revision}${note}` };
  };

  return {
    readiness,
    status: () => ({ applied, rejected, supervisor: supervisor.status() }),
    async close() {
      stopWatching();
      latest = null;
      await draining;
      clearTimeout(flushTimer);
      emit(parser.flush());
      await supervisor.stop();
    },
  };
}
