import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MANIFEST_FILE, promote, readManifest, sha256File, toPhase1Artifacts, verifyArtifacts, type Phase1Manifest } from '../src/artifacts.js';
import { BuildLog, failingLine, stepOf } from '../src/build-log.js';
import { DEFAULT_IMAGES_DIR, serviceEnv } from '../src/config.js';
import { BuildScriptMissing, DigestMismatch, DockerUnavailable, ManifestInvalid } from '../src/errors.js';
import { buildContextFiles, containerOptions, CONTAINER_CACHE, CONTAINER_OUT, DockerRunner, dockerAvailable } from '../src/runner-docker.js';
import { LocalRunner } from '../src/runner-local.js';
import { selectRunner } from '../src/runner-select.js';

describe('build log', () => {
  it('knows the steps the build script prints', () => {
    assert.equal(stepOf('==> static aria2c (Debian source 1.36.0-1)'), 'static aria2c (Debian source 1.36.0-1)');
    assert.equal(stepOf('    aria2c 1.36.0-1: compiling'), null);
  });

  it('picks the line that explains a failure: the last error line, else the last line', () => {
    assert.equal(failingLine(['==> apt', 'error: apt-get update failed (is x reachable?)', 'cleanup']), 'error: apt-get update failed (is x reachable?)');
    assert.equal(failingLine(['==> pack', 'cpio: write error', '   ']), 'cpio: write error');
    assert.equal(failingLine([]), '(the build printed nothing)');
  });

  it('keeps the current step and only the last lines', () => {
    const log = new BuildLog(3);
    for (const line of ['==> one', 'a', '==> two', 'b', 'c']) log.add(line);
    assert.equal(log.step, 'two');
    assert.deepEqual(log.lines, ['==> two', 'b', 'c']);
  });
});

describe('artifacts', () => {
  let dir: string;
  let manifest: Phase1Manifest;

  async function writeBuild(target: string, kernel: string, initrd: string): Promise<Phase1Manifest> {
    await mkdir(target, { recursive: true });
    await writeFile(join(target, 'vmlinuz'), kernel);
    await writeFile(join(target, 'initrd'), initrd);
    const entry = async (file: string) => ({ file, size: (await readFile(join(target, file))).length, sha256: await sha256File(join(target, file)) });
    const value: Phase1Manifest = {
      format: 1,
      target: 'phase1',
      flavour: 'cloud',
      kernelVersion: '6.1.0-99-cloud-amd64',
      compression: 'xz',
      recipeHash: 'abc',
      sourceDateEpoch: 1,
      builtAt: 2,
      files: [await entry('vmlinuz'), await entry('initrd')],
      packages: { 'busybox-static': '1:1.35' },
      contents: { aria2c: 3 },
    };
    await writeFile(join(target, MANIFEST_FILE), JSON.stringify(value));
    return value;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bt-artifacts-'));
    manifest = await writeBuild(join(dir, 'current'), 'kernel-1', 'initrd-1');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads a manifest, verifies its digests and describes it for the boot API', async () => {
    assert.deepEqual(await readManifest(join(dir, 'current')), manifest);
    await verifyArtifacts(join(dir, 'current'), manifest);
    const artifacts = toPhase1Artifacts(join(dir, 'current'), manifest, 'p1-x');
    assert.equal(artifacts.dir, join(dir, 'current'));
    assert.equal(artifacts.kernel.file, 'vmlinuz');
    assert.equal(artifacts.initrd.sha256, manifest.files[1]?.sha256);
    assert.equal(await readManifest(join(dir, 'nothing-here')), null);
  });

  it('refuses a manifest that is not one, and files that do not match it', async () => {
    const bad = join(dir, 'bad');
    await mkdir(bad);
    await writeFile(join(bad, MANIFEST_FILE), '{ not json');
    await assert.rejects(readManifest(bad), ManifestInvalid);
    await writeFile(join(bad, MANIFEST_FILE), JSON.stringify({ ...manifest, files: [] }));
    await assert.rejects(readManifest(bad), /no entry for vmlinuz/);
    await writeFile(join(bad, MANIFEST_FILE), JSON.stringify({ ...manifest, flavour: 'tiny' }));
    await assert.rejects(readManifest(bad), ManifestInvalid);

    await writeFile(join(bad, 'vmlinuz'), 'kernel-1');
    await assert.rejects(verifyArtifacts(bad, manifest), (err: Error) => err instanceof DigestMismatch && /initrd.*missing/.test(err.message));
    await writeFile(join(bad, 'initrd'), 'initrd-2');
    await assert.rejects(verifyArtifacts(bad, manifest), /initrd does not match its manifest: sha256/);
    await writeFile(join(bad, 'initrd'), 'initrd-22');
    await assert.rejects(verifyArtifacts(bad, manifest), /size 9, manifest says 8/);
  });

  it('promotes a build file by file, manifest last, and removes the staging folder', async () => {
    const staging = join(dir, 'staging');
    const next = await writeBuild(staging, 'kernel-2', 'initrd-2');
    await promote(staging, join(dir, 'current'), next);
    assert.deepEqual(await readManifest(join(dir, 'current')), next);
    await verifyArtifacts(join(dir, 'current'), next);
    assert.equal(await readFile(join(dir, 'current', 'vmlinuz'), 'utf8'), 'kernel-2');
    assert.ok(!(await readdir(dir)).includes('staging'));
  });
});

describe('runners', () => {
  it('runs the builder container with output and cache mounted and the host network', () => {
    const options = containerOptions({ flavour: 'generic', outDir: '/srv/phase1.staging-x', cacheDir: '/srv/cache' }, 'boottorrent/phase1-builder:local');
    assert.equal(options.Image, 'boottorrent/phase1-builder:local');
    assert.deepEqual(options.Cmd, ['--flavour', 'generic', '--out', CONTAINER_OUT, '--cache', CONTAINER_CACHE]);
    assert.deepEqual(options.HostConfig?.Binds, [`/srv/phase1.staging-x:${CONTAINER_OUT}`, `/srv/cache:${CONTAINER_CACHE}`]);
    assert.equal(options.HostConfig?.NetworkMode, 'host');
  });

  it('sends the Dockerfile, the build script, the agent and the library as build context, no docs or tests', async () => {
    const files = await buildContextFiles(DEFAULT_IMAGES_DIR);
    for (const file of ['phase1/Dockerfile', 'phase1/build.sh', 'phase1/agent/bt-agent', 'phase1/agent/init', 'phase1/agent/lib/aria2.sh', 'lib/common.sh']) {
      assert.ok(files.includes(file), file);
    }
    assert.ok(files.every((file) => !file.endsWith('.md') && !file.includes('/test/')));
    const dockerfile = await readFile(join(DEFAULT_IMAGES_DIR, 'phase1/Dockerfile'), 'utf8');
    assert.match(dockerfile, /COPY lib \/src\/images\/lib/);
    assert.match(dockerfile, /ENTRYPOINT \["bash", "\/src\/images\/phase1\/build\.sh"\]/);
  });

  describe('without a Docker engine', () => {
    let dir: string;
    let silent: ReturnType<typeof createServer>;
    let silentSocket: string;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'bt-docker-'));
      // A socket that accepts connections and never answers, like a wedged engine.
      silentSocket = join(dir, 'silent.sock');
      silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(silentSocket, resolve));
    });
    after(async () => {
      silent.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('finds no engine on a missing or mute socket', async () => {
      assert.equal(await dockerAvailable(join(dir, 'missing.sock')), false);
      assert.equal(await dockerAvailable(silentSocket), false);
    });

    it('auto picks the local script; docker is refused with the reason', async () => {
      const choice = { imagesDir: DEFAULT_IMAGES_DIR, dockerSocket: join(dir, 'missing.sock'), builderImage: 'x', builderBaseImage: 'y' };
      assert.equal((await selectRunner({ ...choice, runner: 'auto' })).kind, 'local');
      assert.equal((await selectRunner({ ...choice, runner: 'local' })).kind, 'local');
      const docker = await selectRunner({ ...choice, runner: 'docker' });
      assert.ok(docker instanceof DockerRunner);
      await assert.rejects(docker.run({ flavour: 'cloud', outDir: dir, cacheDir: dir }, () => undefined), DockerUnavailable);
    });
  });

  it('says where the build script should be when it is missing', async () => {
    const runner = new LocalRunner('/nonexistent/images');
    await assert.rejects(runner.run({ flavour: 'cloud', outDir: '/tmp/x', cacheDir: '/tmp/y' }, () => undefined), BuildScriptMissing);
  });

  it('derives its folders from BT_STATE_DIR unless each is set', () => {
    const env = serviceEnv.parse({ BT_STATE_DIR: '/var/lib/bt' });
    assert.equal(env.BT_ARTIFACT_DIR, '/var/lib/bt/phase1');
    assert.equal(env.BT_BUILD_CACHE, '/var/lib/bt/phase1-build');
    assert.equal(env.BT_RUNNER, 'auto');
    assert.equal(env.BT_BUILD_ON_START, 'missing');
    assert.equal(serviceEnv.parse({ BT_STATE_DIR: '/s', BT_ARTIFACT_DIR: '/a' }).BT_ARTIFACT_DIR, '/a');
    assert.equal(serviceEnv.safeParse({ BT_RUNNER: 'podman' }).success, false);
  });
});
