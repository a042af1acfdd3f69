import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buckets,
  events,
  openBucket,
  request,
  RequestFailed,
  requests,
  subscribe,
  type ImageBuildFailed,
  type ImageBuildProgress,
  type Phase1Artifacts,
} from '@boottorrent/contracts';
import { createLogger } from '@boottorrent/runtime';
import { startNatsServer, waitFor, type NatsServerHandle } from '@boottorrent/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startImageBuilder, type ImageBuilderConfig, type ImageBuilderService } from '../src/app.js';
import { readManifest } from '../src/artifacts.js';
import { DEFAULT_IMAGES_DIR } from '../src/config.js';
import { BUILD_CACHE, ensurePhase1 } from './helpers/phase1.js';

/*
 * The image-builder service over a real nats-server, with the real build script: it
 * publishes artifacts found on disk, answers `image build`, streams progress, replaces the
 * artifacts only with a verified build, and keeps them when a build fails.
 */

const logger = createLogger('image-builder', { level: (process.env.BT_TEST_LOG as 'info' | undefined) ?? 'silent' });

describe('image-builder service', { timeout: 1_800_000 }, () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let work: string;
  let artifactDir: string;
  const progress: ImageBuildProgress[] = [];
  const ready: Phase1Artifacts[] = [];
  const failed: ImageBuildFailed[] = [];

  const config = (overrides: Partial<ImageBuilderConfig> = {}): ImageBuilderConfig => ({
    BT_ARTIFACT_DIR: artifactDir,
    BT_BUILD_CACHE: BUILD_CACHE,
    BT_RUNNER: 'local',
    BT_BUILD_ON_START: 'missing',
    BT_PHASE1_FLAVOUR: 'cloud',
    BT_IMAGES_DIR: DEFAULT_IMAGES_DIR,
    BT_DOCKER_SOCKET: join(work, 'no-docker.sock'),
    BT_BUILDER_IMAGE: 'boottorrent/phase1-builder:test',
    BT_BUILDER_BASE_IMAGE: 'debian:bookworm-slim',
    ...overrides,
  });

  before(async () => {
    const built = await ensurePhase1();
    work = await mkdtemp(join(tmpdir(), 'bt-image-builder-'));
    artifactDir = join(work, 'phase1');
    await mkdir(artifactDir);
    for (const file of ['vmlinuz', 'initrd', 'manifest.json']) await copyFile(join(built.dir, file), join(artifactDir, file));
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    subscribe(nc, events.imageProgress, (event) => void progress.push(event), { logger });
    subscribe(nc, events.phase1Ready, (event) => void ready.push(event), { logger });
    subscribe(nc, events.imageFailed, (event) => void failed.push(event), { logger });
    await nc.flush();
  });

  after(async () => {
    await nc?.close();
    await nats?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('with artifacts on disk', () => {
    let service: ImageBuilderService;
    let existing: Phase1Artifacts;

    before(async () => {
      service = await startImageBuilder({ nc, logger, config: config() });
    });
    after(async () => {
      await service?.close();
    });

    it('publishes them at start without building (KV bt_artifacts/phase1 and phase1.ready)', async () => {
      assert.equal(service.startupBuild, null);
      const manifest = await readManifest(artifactDir);
      existing = await waitFor(() => ready[0], { what: 'bt.image.phase1.ready' });
      assert.equal(existing.dir, artifactDir);
      assert.deepEqual([existing.kernel, existing.initrd], manifest?.files);
      const kv = await openBucket(nc, buckets.artifacts, logger);
      assert.deepEqual(await kv.get('phase1'), existing);
      assert.match(service.readiness().detail, /phase-1 cloud 6\.1\.0-\d+-cloud-amd64/);
    });

    it('answers `image build` at once and finds the artifacts up to date', async () => {
      const accepted = await request(nc, requests.imageBuild, { target: 'phase1' });
      assert.equal(accepted.runner, 'local');
      const published = await waitFor(() => ready.find((artifacts) => artifacts.buildId === accepted.buildId), { what: 'the up-to-date build to publish' });
      assert.deepEqual(published.initrd, existing.initrd);
      assert.ok(progress.some((event) => event.buildId === accepted.buildId && /up to date/.test(event.line)));
    });

    it('rebuilds on force, streaming progress, joins a second request and refuses another flavour meanwhile', async () => {
      const accepted = await request(nc, requests.imageBuild, { target: 'phase1', force: true });
      const joined = await request(nc, requests.imageBuild, { target: 'phase1', force: true });
      assert.equal(joined.buildId, accepted.buildId, 'the same build');
      await assert.rejects(request(nc, requests.imageBuild, { target: 'phase1', flavour: 'generic' }), (err: unknown) => err instanceof RequestFailed && err.code === 'BT_IMAGE_BUSY');
      const published = await waitFor(() => ready.find((artifacts) => artifacts.buildId === accepted.buildId), {
        timeoutMs: 1_500_000,
        intervalMs: 500,
        what: 'the forced build to publish',
      });
      const steps = [...new Set(progress.filter((event) => event.buildId === accepted.buildId).map((event) => event.step))];
      for (const step of ['apt: private package lists', 'assemble the initramfs tree', 'pack initrd (cpio newc + xz)', 'manifest']) {
        assert.ok(steps.includes(step), `progress step "${step}" in ${steps.join(' | ')}`);
      }
      // Same inputs, same bytes; the new build replaced the files in place.
      assert.deepEqual([published.kernel, published.initrd], [existing.kernel, existing.initrd]);
      assert.equal(published.dir, artifactDir);
      const kv = await openBucket(nc, buckets.artifacts, logger);
      assert.equal((await kv.get('phase1'))?.buildId, accepted.buildId);
      assert.ok(!(await readdir(work)).some((name) => name.includes('staging')), 'the staging folder is gone');
    });
  });

  it('keeps the previous artifacts when a build fails, and reports the failing line', async () => {
    const before = await readFile(join(artifactDir, 'manifest.json'), 'utf8');
    const service = await startImageBuilder({ nc, logger, config: config({ BT_BUILD_CACHE: join(work, 'empty-cache') }) });
    // The mirror is a closed port on loopback: apt-get update fails at once, nothing leaves the host.
    const saved = { main: process.env.BT_DEBIAN_MIRROR, security: process.env.BT_DEBIAN_SECURITY_MIRROR };
    process.env.BT_DEBIAN_MIRROR = 'http://127.0.0.1:9/debian';
    process.env.BT_DEBIAN_SECURITY_MIRROR = 'http://127.0.0.1:9/debian-security';
    try {
      const accepted = await request(nc, requests.imageBuild, { target: 'phase1', force: true });
      const failure = await waitFor(() => failed.find((event) => event.buildId === accepted.buildId), { timeoutMs: 120_000, what: 'bt.image.failed' });
      assert.match(failure.failingLine, /^error: apt-get update failed \(is http:\/\/127\.0\.0\.1:9\/debian reachable\?\)/);
      assert.match(failure.message, /BT_IMAGE_BUILD_FAILED|failed/);
    } finally {
      process.env.BT_DEBIAN_MIRROR = saved.main;
      process.env.BT_DEBIAN_SECURITY_MIRROR = saved.security;
      if (saved.main === undefined) delete process.env.BT_DEBIAN_MIRROR;
      if (saved.security === undefined) delete process.env.BT_DEBIAN_SECURITY_MIRROR;
      await service.close();
    }
    assert.equal(await readFile(join(artifactDir, 'manifest.json'), 'utf8'), before, 'the artifacts are untouched');
    const kv = await openBucket(nc, buckets.artifacts, logger);
    assert.equal((await kv.get('phase1'))?.initrd.sha256, JSON.parse(before).files[1].sha256);
    assert.ok(!(await readdir(work)).some((name) => name.includes('staging')), 'no staging folder left behind');
  });
});

