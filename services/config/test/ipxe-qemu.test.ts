import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ManagedProcess } from '@boottorrent/testing';
import { waitFor } from '@boottorrent/testing';
import { buildBootApi } from '../src/boot-api.js';
import { BootState } from '../src/boot-state.js';
import { LiveFeed } from '../src/live/feed.js';
import { masterView, snapshotOf } from '../src/live/views.js';
import { NodeRegistry } from '../src/registry.js';
import { captureLogger, createPhase1Artifacts, createTestProject, desiredOf, type Phase1Fixture, type TestProject } from './helpers/fixtures.js';
import { BOOT_API_ADDRESS, GUEST_MAC, IPXE_BIOS, IPXE_EFI, consoleText, startIpxeNode } from './helpers/qemu-ipxe.js';

/*
 * The scripts in a real iPXE (Debian's, in qemu): DHCP -> GET /boot.ipxe -> chain with the MAC
 * -> menu with a 1 s countdown -> /phase1/kernel + /phase1/initrd -> boot. As the phase-1
 * "kernel" we serve an iPXE image: it is a bootable kernel, and the BIOS one prints the
 * command line it was given, which shows that the bt.* arguments arrive.
 */

const encodedMac = encodeURIComponent(GUEST_MAC);
let project: TestProject;
let biosKernel: Phase1Fixture;
let efiKernel: Phase1Fixture;
let app: FastifyInstance | null = null;
let node: ManagedProcess | null = null;

before(async () => {
  project = await createTestProject({ address: BOOT_API_ADDRESS, apiPort: 80, timeout: 1, defaultOs: 'debian', nodes: { '52:54:00:00:00:99': 'alpine' } });
  biosKernel = await createPhase1Artifacts({ kernel: IPXE_BIOS, initrd: 4096 });
  efiKernel = await createPhase1Artifacts({ kernel: IPXE_EFI, initrd: 4096 });
});
after(async () => {
  await project.remove();
  await biosKernel.remove();
  await efiKernel.remove();
});
afterEach(async () => {
  await node?.stop();
  node = null;
  await app?.close();
  app = null;
});

async function serve(phase1: Phase1Fixture | null): Promise<{ state: BootState; registry: NodeRegistry; requests: string[]; port: number }> {
  const { logger } = captureLogger('info');
  const state = new BootState();
  state.desired = await desiredOf(project.dir);
  state.phase1 = phase1?.artifacts ?? null;
  const registry = new NodeRegistry(logger, { changed: () => undefined, progress: () => undefined });
  const requests: string[] = [];
  const live = new LiveFeed({ logger, snapshot: () => snapshotOf(state, registry.list(), Date.now()), master: () => masterView(state) });
  app = await buildBootApi({ logger, state, registry, kernelArgs: 'console=ttyS0', readiness: () => ({ ready: true, detail: '' }), live });
  app.addHook('onResponse', async (request, reply) => void requests.push(`${reply.statusCode} ${request.url}`));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  return { state, registry, requests, port: address.port };
}

function failWith(node: ManagedProcess, requests: string[]) {
  return (err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nrequests: ${requests.join(', ')}\nconsole:\n${consoleText(node).slice(-3000)}`);
  };
}

describe('the boot script in a real iPXE (qemu)', () => {
  test('BIOS: chain with the MAC, menu countdown, phase-1 loaded over HTTP with bt.* arguments', { timeout: 120_000 }, async () => {
    const { requests, registry, port } = await serve(biosKernel);
    node = startIpxeNode({ platform: 'pcbios', apiPort: port });
    const running = node;
    await running.waitForLine(/bt\.api=http:\/\/10\.0\.2\.100:80/, 90_000).catch(failWith(running, requests));
    assert.deepEqual(requests.slice(0, 4), [
      '200 /boot.ipxe',
      `200 /boot.ipxe?mac=${encodedMac}&arch=i386&platform=pcbios`,
      '200 /phase1/kernel',
      '200 /phase1/initrd',
    ]);
    assert.match(consoleText(running), /BootTorrent: node 52:54:00:12:34:56/);
    assert.equal(registry.get(GUEST_MAC)?.state, 'ipxe');
  });

  test('UEFI: platform=efi, and the pinned OS boots without a menu', { timeout: 180_000 }, async () => {
    const desired = await desiredOf(project.dir);
    desired.nodes.nodes.push({ mac: GUEST_MAC, os: 'alpine', address: null, hostname: null });
    const { requests, state, registry, port } = await serve(efiKernel);
    state.desired = desired;
    node = startIpxeNode({ platform: 'efi', apiPort: port });
    const running = node;
    await waitFor(() => requests.includes('200 /phase1/initrd'), { timeoutMs: 150_000, intervalMs: 500 }).catch(failWith(running, requests));
    assert.deepEqual(requests.slice(0, 4), [
      '200 /boot.ipxe',
      `200 /boot.ipxe?mac=${encodedMac}&arch=x86_64&platform=efi`,
      '200 /phase1/kernel',
      '200 /phase1/initrd',
    ]);
    assert.doesNotMatch(consoleText(running), /BootTorrent: node /, 'no menu for a pinned node');
    assert.equal(registry.get(GUEST_MAC)?.os, 'alpine');
  });

  test('phase-1 not built yet: the node says so, waits, asks again, and boots once it is there', { timeout: 150_000 }, async () => {
    const { requests, state, port } = await serve(null);
    node = startIpxeNode({ platform: 'pcbios', apiPort: port });
    const running = node;
    await waitFor(() => requests.includes('503 /phase1/kernel'), { timeoutMs: 60_000, intervalMs: 250 }).catch(failWith(running, requests));
    await running.waitForLine(/this node could not boot/, 10_000).catch(failWith(running, requests));
    state.phase1 = biosKernel.artifacts;
    await waitFor(() => requests.includes('200 /phase1/initrd'), { timeoutMs: 60_000, intervalMs: 250 }).catch(failWith(running, requests));
    const scripts = requests.filter((request) => request.startsWith(`200 /boot.ipxe?mac=${encodedMac}`));
    assert.equal(scripts.length, 2, `the retry fetched the script again: ${requests.join(', ')}`);
  });
});
