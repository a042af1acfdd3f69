import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DhcpObservation, NodeRecord, nodeStates, type NodeStateName, type Phase1Report } from '@boottorrent/contracts';
import { applyNodeEvent, type NodeEvent, type NodeOutcome } from '../src/node-transitions.js';

const MAC = '52:54:00:00:00:07';
let clock = 1_000_000;

function dhcp(kind: DhcpObservation['kind'], fields: Partial<DhcpObservation> = {}): NodeEvent {
  clock += 10;
  return { kind: 'dhcp', observation: DhcpObservation.parse({ mac: MAC, kind, mode: 'full', at: clock, ...fields }) };
}
/** The firmware's PXE DHCP: it sends its architecture (option 93). */
const pxe = (kind: DhcpObservation['kind'] = 'discover') => dhcp(kind, { clientArch: 0 });
const ipxeDhcp = () => dhcp('request', { ipxe: true, clientArch: 0 });
const script = (os: string | null = null): NodeEvent => ({ kind: 'ipxe', at: (clock += 10), os });
const report = (state: Phase1Report['state'], fields: Partial<Phase1Report> = {}): NodeEvent => ({ kind: 'report', at: (clock += 10), report: { state, ...fields } });

/** Applies events in order; every record produced must satisfy the NodeRecord schema. */
function run(events: NodeEvent[], start: NodeRecord | null = null): { record: NodeRecord | null; outcomes: NodeOutcome[] } {
  let record = start;
  const outcomes: NodeOutcome[] = [];
  for (const event of events) {
    const outcome = applyNodeEvent(record, MAC, event);
    outcomes.push(outcome);
    if (outcome.kind !== 'ignored') {
      assert.ok(NodeRecord.safeParse(outcome.record).success, JSON.stringify(outcome.record));
      record = outcome.record;
    }
  }
  return { record, outcomes };
}

function at(state: NodeStateName): NodeRecord {
  // A failed node got as far as downloading first.
  const last = state === 'failed' ? 'downloading' : state;
  const path = nodeStates.slice(0, nodeStates.indexOf(last) + 1);
  const events: NodeEvent[] = [pxe()];
  for (const name of path.slice(1)) events.push(name === 'ipxe' ? script() : report(name as Phase1Report['state']));
  if (state === 'failed') events.push(report('failed', { error: { code: 'BT_P1_TEST', message: 'boom' } }));
  const { record } = run(events);
  assert.equal(record?.state, state);
  return record!;
}

describe('node state machine', () => {
  test('a whole boot: dhcp -> ipxe -> phase1 -> downloading -> seeding -> kexec -> booted, with timestamps', () => {
    const { record, outcomes } = run([
      pxe('discover'),
      pxe('offer'),
      pxe('request'),
      dhcp('ack', { clientArch: 0, ip: '10.77.0.150' }),
      dhcp('tftp', { bootFile: 'undionly.kpxe' }),
      ipxeDhcp(),
      script('debian'),
      report('phase1', { ip: '10.77.0.150' }),
      report('downloading', { bytesDone: 10, bytesTotal: 100, peers: 2 }),
      report('downloading', { bytesDone: 60 }),
      report('seeding', { bytesDone: 100, uploaded: 50 }),
      report('kexec'),
      dhcp('discover', { ip: null }),
      dhcp('ack', { ip: '10.77.0.151' }),
      report('booted'),
    ]);
    assert.ok(record);
    assert.deepEqual(
      record.history.map((step) => step.state),
      ['dhcp', 'ipxe', 'phase1', 'downloading', 'seeding', 'kexec', 'booted'],
    );
    for (let i = 1; i < record.history.length; i++) assert.ok(record.history[i]!.at > record.history[i - 1]!.at);
    assert.equal(record.bootCount, 1);
    assert.equal(record.os, 'debian');
    assert.equal(record.ip, '10.77.0.151', 'the booted OS got a new address: recorded, no new boot');
    assert.deepEqual(record.progress, { bytesDone: 100, bytesTotal: 100, downloadRate: 0, uploadRate: 0, uploaded: 50, peers: 2, seeders: 0 });
    assert.equal(outcomes.filter((outcome) => outcome.kind !== 'ignored' && outcome.stateChanged).length, 7);
  });

  test('steps may be skipped, but states never go back', () => {
    const { record, outcomes } = run([script(), report('downloading'), report('phase1'), report('downloading', { bytesDone: 5 })], null);
    assert.equal(record?.state, 'downloading');
    assert.equal(outcomes[0]!.kind, 'created');
    assert.equal(outcomes[1]!.kind, 'transition');
    assert.equal(outcomes[2]!.kind, 'ignored');
    assert.equal(outcomes[3]!.kind, 'updated');
    assert.equal(record?.progress?.bytesDone, 5);
  });

  test('failed is reachable from every non-final state, and keeps its error', () => {
    for (const state of ['dhcp', 'ipxe', 'phase1', 'downloading', 'seeding', 'kexec'] as const) {
      const { record, outcomes } = run([report('failed', { error: { code: 'BT_P1_DISK', message: 'no RAM' } })], at(state));
      assert.equal(outcomes[0]!.kind, 'transition', state);
      assert.equal(record?.state, 'failed');
      assert.deepEqual(record?.error, { code: 'BT_P1_DISK', message: 'no RAM' });
    }
  });

  test('a transient error is shown while it lasts', () => {
    const { record } = run([report('downloading', { error: { code: 'BT_P1_TRACKER', message: 'tracker down' } })], at('phase1'));
    assert.equal(record?.error?.code, 'BT_P1_TRACKER');
    assert.equal(run([report('downloading')], record).record?.error, null);
  });

  test('reports to a node in a final state are ignored', () => {
    for (const state of ['booted', 'failed'] as const) {
      const start = at(state);
      const { record, outcomes } = run([report('downloading'), report('booted'), report('failed')], start);
      assert.ok(outcomes.every((outcome) => outcome.kind === 'ignored'), state);
      assert.deepEqual(record, start);
    }
  });

  test('a PXE boot after a final state starts a new boot', () => {
    for (const state of ['booted', 'failed'] as const) {
      const start = at(state);
      const { record, outcomes } = run([pxe('discover')], start);
      assert.equal(outcomes[0]!.kind, 'new-boot');
      assert.equal(record?.bootCount, start.bootCount + 1);
      assert.deepEqual(record?.history.map((step) => step.state), ['dhcp']);
      assert.equal(record?.progress, null);
      assert.equal(record?.error, null);
      assert.equal(record?.firstSeenAt, start.firstSeenAt);
    }
    const viaScript = run([script('alpine')], at('booted')).record;
    assert.equal(viaScript?.state, 'ipxe');
    assert.equal(viaScript?.bootCount, 2);
  });

  test('a node that reboots mid-download starts a new boot; its own OS DHCP does not', () => {
    assert.equal(run([pxe('request')], at('downloading')).record?.bootCount, 2);
    assert.equal(run([script()], at('seeding')).record?.bootCount, 2);
    // phase-1's udhcpc and the booted OS's client send no architecture: not a boot.
    const renewal = run([dhcp('request', { ip: '10.77.0.160' }), dhcp('ack', { ip: '10.77.0.160' })], at('booted'));
    assert.equal(renewal.record?.state, 'booted');
    assert.equal(renewal.record?.bootCount, 1);
    assert.equal(renewal.record?.ip, '10.77.0.160');
    // iPXE asking DHCP again (or re-fetching its script) before phase-1 is the same boot.
    assert.equal(run([ipxeDhcp(), script()], at('ipxe')).record?.bootCount, 1);
  });

  test('unknown nodes: a report or a boot signal creates the record; a DHCP release does not', () => {
    const created = run([report('downloading', { bytesDone: 1 })]).record;
    assert.equal(created?.state, 'downloading');
    assert.equal(created?.bootCount, 1);
    assert.equal(run([dhcp('release')]).outcomes[0]!.kind, 'ignored');
    assert.equal(run([ipxeDhcp()]).record?.state, 'ipxe');
  });
});
