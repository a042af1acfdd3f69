import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@boottorrent/testing';
import { fullDesired } from './fixtures.js';
import { startDhcpLab, udhcpc, type DhcpLab } from './lab.js';

/*
 * Faults with real parts: dnsmasq killed under the service, and desired states that cannot be
 * rendered, that dnsmasq --test rejects, or that dnsmasq refuses at start. Each time the
 * previous configuration must keep serving and the operator must get an error event.
 */

let macCounter = 0;
function nextMac(): string {
  macCounter += 1;
  return `52:54:00:b9:00:${macCounter.toString(16).padStart(2, '0')}`;
}

describe('dhcp service faults (namespaces)', { timeout: 120_000 }, () => {
  let lab: DhcpLab;

  const servesBios = async (what: string) => {
    const lease = await udhcpc(await lab.client(nextMac()), lab.workDir, ['-x', '0x5d:0000']);
    assert.equal(lease.boot_file, 'undionly.kpxe', what);
    return lease;
  };

  before(async () => {
    lab = await startDhcpLab();
    await lab.putDesired(fullDesired());
    await waitFor(() => lab.service.readiness().ready, { what: 'the service to be ready' });
  });

  after(async () => {
    await lab?.dispose();
  });

  it('dnsmasq killed (SIGKILL) -> restarted with backoff and serving again', async () => {
    const first = lab.service.status().supervisor.pid;
    assert.ok(first);
    process.kill(first, 'SIGKILL');
    await waitFor(() => lab.service.readiness().ready === false, { what: 'the death to be noticed', timeoutMs: 5_000 });
    await waitFor(() => lab.service.status().supervisor.state === 'running', { what: 'dnsmasq to be restarted', timeoutMs: 10_000 });
    const status = lab.service.status().supervisor;
    assert.notEqual(status.pid, first);
    assert.equal(status.restarts, 1);
    await servesBios('served after the restart');
  });

  it('killed twice in a row -> the second restart waits longer (backoff grows)', async () => {
    for (const expected of [2, 3]) {
      const pid = lab.service.status().supervisor.pid;
      assert.ok(pid);
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      await waitFor(() => lab.service.status().supervisor.restarts === expected, { what: `restart ${expected}`, timeoutMs: 10_000 });
      const waited = Date.now() - killedAt;
      // Lab settings: 200 ms initial delay, doubled per death in a row (this streak began in the test above).
      const delay = 200 * 2 ** (expected - 1);
      assert.ok(waited >= delay, `restart ${expected} after ${waited} ms, expected at least ${delay} ms`);
    }
    assert.equal(lab.service.status().supervisor.failures, 3, 'deaths in a row are counted');
    await servesBios('served after the restarts');
  });

  it('a desired state dnsmasq --test rejects: the previous configuration keeps serving, an error event says why', async () => {
    const pid = lab.service.status().supervisor.pid;
    const before = await readFile(join(lab.stateDir, 'dnsmasq.conf'), 'utf8');
    const revision = await lab.putDesired(fullDesired({ range: { start: '10.77.0.50', end: '10.77.0.150', leaseTime: 'forever' } }));

    const error = await waitFor(() => lab.errors.find((e) => e.detail.revision === revision), { what: 'the error event' });
    assert.equal(error.service, 'dhcp');
    assert.equal(error.code, 'BT_DHCP_CONFIG_REJECTED');
    assert.match(error.message, /bad dhcp-range/);
    assert.equal(lab.service.status().rejected?.revision, revision);

    assert.equal(lab.service.status().supervisor.pid, pid, 'the running dnsmasq was not touched');
    assert.equal(await readFile(join(lab.stateDir, 'dnsmasq.conf'), 'utf8'), before);
    assert.equal(lab.service.readiness().ready, true);
    assert.match(lab.service.readiness().detail, new RegExp(`revision ${revision} rejected \\(BT_DHCP_CONFIG_REJECTED\\)`));
    await servesBios('still served by the previous configuration');
  });

  it('a desired state that cannot be rendered safely: rejected before dnsmasq sees it', async () => {
    const pid = lab.service.status().supervisor.pid;
    const revision = await lab.putDesired(fullDesired({ bootScriptUrl: 'http://10.77.0.1:8080/boot.ipxe?x=1,dhcp-range=10.0.0.0' }));
    const error = await waitFor(() => lab.errors.find((e) => e.detail.revision === revision), { what: 'the error event' });
    assert.equal(error.code, 'BT_DHCP_INVALID_DESIRED');
    assert.equal(lab.service.status().supervisor.pid, pid);
    await servesBios('still served');
  });

  it('a desired state dnsmasq refuses at start (no such interface): the previous configuration is put back', async () => {
    const revision = await lab.putDesired(fullDesired({ interface: 'nosuch0' }));
    const error = await waitFor(() => lab.errors.find((e) => e.detail.revision === revision), { what: 'the error event' });
    assert.equal(error.code, 'BT_DHCP_START_FAILED');
    assert.match(error.message, /unknown interface nosuch0/);
    await waitFor(() => lab.service.status().supervisor.state === 'running', { what: 'the previous configuration to run again' });
    assert.match(await readFile(join(lab.stateDir, 'dnsmasq.conf'), 'utf8'), /^interface=br0$/m);
    await servesBios('served by the restored configuration');
  });

  it('a good desired state afterwards is applied and clears the rejection', async () => {
    const revision = await lab.putDesired(fullDesired({ uefiBootFile: 'snponly.efi' }));
    assert.equal(lab.service.status().applied?.revision, revision);
    assert.equal(lab.service.status().rejected, null);
    const lease = await udhcpc(await lab.client(nextMac()), lab.workDir, ['-x', '0x5d:0007']);
    assert.equal(lease.boot_file, 'snponly.efi');
  });

  it('DHCP mode off stops dnsmasq and is ready with nothing running', async () => {
    const pid = lab.service.status().supervisor.pid;
    assert.ok(pid);
    await lab.putDesired(fullDesired({ mode: 'off' }));
    assert.equal(lab.service.status().supervisor.state, 'stopped');
    assert.deepEqual(lab.service.readiness(), { ready: true, detail: 'dhcp mode off: no dnsmasq running' });
    await assert.rejects(readFile(`/proc/${pid}/cmdline`), 'the old dnsmasq is gone');
    await assert.rejects(udhcpc(await lab.client(nextMac()), lab.workDir, ['-x', '0x5d:0000']), /no lease/);
  });
});
