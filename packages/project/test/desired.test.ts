import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { DhcpDesired, NetworkDesired, OsesDesired, PolicyDesired, NodesDesired } from '@boottorrent/contracts';
import { loadProject, toDesiredState } from '../src/index.js';
import { MINIMAL_V1_FILE, makeProject, osFiles } from './fixtures.js';

const created: string[] = [];
after(async () => {
  await Promise.all(created.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function desiredFor(yaml: string, files = osFiles('testos')) {
  const dir = await makeProject({ 'Boottorrent.yaml': yaml, ...files });
  created.push(dir);
  const { project, problems } = await loadProject(dir);
  assert.ok(project, JSON.stringify(problems));
  return toDesiredState(project);
}

describe('toDesiredState', () => {
  it('derives every key so that it passes its contract schema', async () => {
    const state = await desiredFor(`${MINIMAL_V1_FILE}dhcp:\n  range: "10.77.0.50,10.77.0.99,1h"\n`);
    DhcpDesired.parse(state.dhcp);
    NetworkDesired.parse(state.network);
    OsesDesired.parse(state.oses);
    PolicyDesired.parse(state.policy);
    NodesDesired.parse(state.nodes);
    assert.equal(state.dhcp.bootScriptUrl, 'http://10.77.0.1:8080/boot.ipxe');
    assert.deepEqual(state.dhcp.range, { start: '10.77.0.50', end: '10.77.0.99', leaseTime: '1h' });
    assert.deepEqual(state.network.tracker.announceUrls, ['http://10.77.0.1:6969/announce', 'udp://10.77.0.1:6969']);
    assert.equal(state.oses.oses[0]?.dir, 'oss/testos');
    assert.equal(state.policy.menu.defaultOs, 'testos', 'no default_os: the first menu entry');
  });

  it('gives proxy mode the network address and no range', async () => {
    const state = await desiredFor(`${MINIMAL_V1_FILE}  netmask: 255.255.0.0\ndhcp:\n  mode: proxy\n`);
    assert.equal(state.dhcp.mode, 'proxy');
    assert.equal(state.dhcp.range, null);
    assert.equal(state.dhcp.proxyNetwork, '10.77.0.0');
  });

  it('passes only nodes with pinned addresses or names to DHCP', async () => {
    const state = await desiredFor(`${MINIMAL_V1_FILE}nodes:\n  "52:54:00:00:00:01": {os: testos}\n  "52:54:00:00:00:02": {hostname: n2}\n`);
    assert.deepEqual(state.dhcp.hosts, [{ mac: '52:54:00:00:00:02', address: null, hostname: 'n2' }]);
    assert.equal(state.nodes.nodes.length, 2);
  });

  it('keeps linger.max_seconds at least min_seconds', async () => {
    const state = await desiredFor(`${MINIMAL_V1_FILE}linger:\n  min_seconds: 300\n  max_seconds: 60\n`);
    assert.equal(state.policy.linger.maxSeconds, 300);
  });

  it('lists the menu in the configured order, or every OS by name', async () => {
    const files = { ...osFiles('zeta', 'dispname: Z\nkernel: vmlinuz\n'), ...osFiles('alpha', 'dispname: A\nkernel: vmlinuz\n') };
    assert.deepEqual((await desiredFor(MINIMAL_V1_FILE, files)).policy.menu.entries, ['alpha', 'zeta']);
    assert.deepEqual((await desiredFor(`${MINIMAL_V1_FILE}boot:\n  menu: [zeta, alpha]\n`, files)).policy.menu.entries, ['zeta', 'alpha']);
  });
});
