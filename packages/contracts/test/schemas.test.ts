import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { events, InfoHash, Ipv4, Mac, macToKvKey, normalizeMac, Phase1Report, kvKeyToMac } from '../src/index.js';

describe('MAC addresses', () => {
  it('normalizes colon, hyphen and bare forms to lowercase colons', () => {
    for (const input of ['52:54:00:AB:cd:01', '52-54-00-ab-CD-01', '525400abcd01', ' 52:54:00:ab:cd:01 ']) {
      assert.equal(normalizeMac(input), '52:54:00:ab:cd:01', input);
    }
  });

  it('rejects what is not six hex pairs', () => {
    for (const input of ['52:54:00:ab:cd', '52:54:00:ab:cd:0g', '', '52:54:00:ab:cd:01:02', '../../etc']) {
      assert.equal(normalizeMac(input), null, input);
      assert.equal(Mac.safeParse(input).success, false, input);
    }
  });

  it('round-trips through the KV key form (KV keys cannot hold ":")', () => {
    const key = macToKvKey('52:54:00:ab:cd:01');
    assert.equal(key, '52-54-00-ab-cd-01');
    assert.equal(kvKeyToMac(key), '52:54:00:ab:cd:01');
  });
});

describe('primitives', () => {
  it('accepts IPv4 dotted quads only', () => {
    assert.ok(Ipv4.safeParse('10.77.0.1').success);
    for (const bad of ['10.77.0', '10.77.0.256', '010.1.1.1', '1.2.3.4.5', 'host']) assert.equal(Ipv4.safeParse(bad).success, false, bad);
  });

  it('lowercases info-hashes and refuses other lengths', () => {
    assert.equal(InfoHash.parse('A'.repeat(40)), 'a'.repeat(40));
    assert.equal(InfoHash.safeParse('a'.repeat(39)).success, false);
  });
});

describe('Phase1Report', () => {
  it('accepts a full progress report', () => {
    const report = Phase1Report.parse({ state: 'downloading', os: 'debian', bytesDone: 10, bytesTotal: 20, downloadRate: 5, peers: 3 });
    assert.equal(report.state, 'downloading');
  });

  it('refuses unknown fields, negative numbers and states phase-1 cannot report', () => {
    assert.equal(Phase1Report.safeParse({ state: 'downloading', extra: 1 }).success, false);
    assert.equal(Phase1Report.safeParse({ state: 'downloading', bytesDone: -1 }).success, false);
    assert.equal(Phase1Report.safeParse({ state: 'dhcp' }).success, false);
  });
});

describe('subjects', () => {
  it('derives per-node subjects from the payload', () => {
    const subject = events.nodeDhcp.subjectOf(
      events.nodeDhcp.schema.parse({ mac: '52:54:00:00:00:01', kind: 'ack', mode: 'full', at: 1 }),
    );
    assert.equal(subject, 'bt.node.52:54:00:00:00:01.dhcp');
  });

  it('keeps every subject lowercase and rooted at "bt."', () => {
    for (const [name, def] of Object.entries(events)) {
      assert.match(def.pattern, /^bt\.[a-z0-9.*-]+$/, name);
    }
  });
});
