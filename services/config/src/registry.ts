import type { DhcpObservation, NodeProgressEvent, NodeRecord, Phase1Report } from '@boottorrent/contracts';
import type { Logger } from '@boottorrent/runtime';
import { applyNodeEvent, type AcceptedOutcome, type NodeEvent, type NodeOutcome } from './node-transitions.js';

/** Where the registry's news goes: NATS events and the KV bucket in the service, a list in tests. */
export interface RegistryListener {
  /** A record changed (state or fields); it should be persisted. */
  changed(record: NodeRecord, outcome: AcceptedOutcome): void;
  /** A phase-1 report was accepted. */
  progress(event: NodeProgressEvent): void;
}

/**
 * The boot API's node registry: one record per MAC, fed by dhcp's observations, by iPXE
 * fetching its script and by phase-1's progress reports. The rules live in node-transitions;
 * this keeps the records and tells the listener.
 */
export class NodeRegistry {
  private readonly records = new Map<string, NodeRecord>();

  constructor(
    private readonly logger: Logger,
    private readonly listener: RegistryListener,
  ) {}

  /** Restores records persisted by an earlier run; a record already updated in this run wins. */
  restore(records: Iterable<NodeRecord>): number {
    let restored = 0;
    for (const record of records) {
      const current = this.records.get(record.mac);
      if (current && current.updatedAt >= record.updatedAt) continue;
      this.records.set(record.mac, record);
      restored++;
    }
    return restored;
  }

  get(mac: string): NodeRecord | null {
    return this.records.get(mac) ?? null;
  }

  /** Every node, most recently updated first. */
  list(): NodeRecord[] {
    return [...this.records.values()].sort((a, b) => b.updatedAt - a.updatedAt || (a.mac < b.mac ? -1 : 1));
  }

  observeDhcp(observation: DhcpObservation): NodeOutcome {
    return this.apply(observation.mac, { kind: 'dhcp', observation });
  }

  bootScriptRequested(mac: string, os: string | null, at = Date.now()): NodeOutcome {
    return this.apply(mac, { kind: 'ipxe', at, os });
  }

  report(mac: string, report: Phase1Report, at = Date.now()): NodeOutcome {
    const outcome = this.apply(mac, { kind: 'report', report, at });
    if (outcome.kind !== 'ignored') this.listener.progress({ ...report, mac, at });
    return outcome;
  }

  private apply(mac: string, event: NodeEvent): NodeOutcome {
    const outcome = applyNodeEvent(this.records.get(mac) ?? null, mac, event);
    if (outcome.kind === 'ignored') {
      const log = { mac, event: event.kind, state: outcome.record?.state ?? null, reason: outcome.reason };
      // A report to a finished node is worth an operator's look; a DHCP release is not.
      if (event.kind === 'report') this.logger.warn({ ...log, code: 'BT_NODE_REPORT_IGNORED' }, 'ignored a progress report');
      else this.logger.debug(log, 'node event ignored');
      return outcome;
    }
    this.records.set(mac, outcome.record);
    if (outcome.stateChanged) {
      this.logger.info({ mac, state: outcome.record.state, bootCount: outcome.record.bootCount, via: event.kind, change: outcome.kind }, 'node state');
    }
    this.listener.changed(outcome.record, outcome);
    return outcome;
  }
}
