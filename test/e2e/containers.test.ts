import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultHealthPorts, SwarmStats, type OsManifest, type Swarm } from '@boottorrent/contracts';
import {
  ComposeStack,
  composeMaster,
  DEMO_BANNER,
  DEMO_OS,
  ensureDemoOs,
  ensurePhase1,
  LAB_BRIDGE,
  LAB_MASTER_ADDRESS,
  LAB_PREFIX,
  runLab,
  STACK_SERVICES,
  startCleanEngine,
  writeLabProject,
  type DockerEngine,
  type LabResult,
  type StackContainer,
} from '@boottorrent/lab';
import { aria2cDone, freePort, LabNetwork, run, shapeEgress, shortId, startAria2c, startNatsServer, waitFor, type Netns } from '@boottorrent/testing';
import { repoRoot } from '../system/in-netns.js';
import { e2eLabOptions } from './lab-options.js';
import {
  BUILDER_IMAGE,
  buildBaseImages,
  claimDataRoot,
  composeConfig,
  copyImages,
  DOCKER_DATA_ROOT,
  engineRunDir,
  getJsonIn,
  interfaceBytes,
  SERVICE_IMAGES,
  serviceImage,
  sha256File,
  Timings,
  writeEnvFile,
} from './containers-helpers.js';

/*
 * The containerized master, end to end: every image builds (on local base images: no registry
 * is reachable), compose.yaml brings the stack up on the lab's bridge and qemu nodes boot the
 * demo OS from it; then, on a stack whose NATS is a three-server cluster across two hosts, one
 * service is swapped for a rebuilt image and an extra seeder on another host joins the swarm.
 *
 * Docker engines are our own (own data root, socket, pid file), started and stopped here by
 * PID. Builds need the Debian and npm registries, so the build engine runs on the host's
 * network; the stacks run on an engine started inside the lab's namespace, so that
 * `network_mode: host` means the lab's bridge. Both use the same data root, one after the other.
 */

const timings = new Timings();
const sizes = new Map<string, number>();
const PAYLOAD_MIB = 16;
/** Upload pace of each seeder while the leecher downloads (Mbit/s). */
const SEED_MBIT = 40;
let baseImages: Record<'DEBIAN_IMAGE' | 'NODE_IMAGE' | 'NATS_IMAGE', string>;

async function imageSize(engine: DockerEngine, image: string): Promise<number> {
  return Number((await engine.docker(['image', 'inspect', '--format', '{{.Size}}', image])).trim());
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

describe('containers: images, compose on the lab bridge, extra seeders, swapping a service', { timeout: 85 * 60_000 }, () => {
  let scratch: string;
  let releaseDataRoot: (() => Promise<void>) | undefined;

  before(async () => {
    releaseDataRoot = await claimDataRoot(DOCKER_DATA_ROOT);
    scratch = await mkdtemp(join(tmpdir(), 'bt-containers-'));
    await timings.time('phase-1 artifacts (build.sh, cached)', () => ensurePhase1(repoRoot, join(repoRoot, '.cache', 'phase1'), () => undefined));
  });

  after(async () => {
    await releaseDataRoot?.();
    await rm(scratch, { recursive: true, force: true });
    const report = [
      'container test, wall clock by phase:',
      timings.table(),
      'image sizes (uncompressed, as `docker images` reports them):',
      ...[...sizes].map(([image, bytes]) => `${image.padEnd(44)} ${mib(bytes).padStart(8)}`),
    ];
    process.stdout.write(`${report.join('\n').replace(/^/gm, '    # ')}\n`);
  });

  describe('compose files and Dockerfiles', () => {
    it('docker-compose accepts compose.yaml with the documented .env: host networking, health-gated start, read-only project', async () => {
      const envFile = await writeEnvFile(scratch, join(repoRoot, 'deploy', '.env.example'), { BT_PROJECT: '/srv/lab1' });
      const config = await composeConfig(join(repoRoot, 'compose.yaml'), envFile);
      const running = ['nats', 'config', 'tracker', 'seeder', 'image-builder', 'dhcp'];
      assert.deepEqual(Object.keys(config.services).sort(), [...running, 'phase1-builder'].sort());
      for (const name of running) {
        const service = config.services[name];
        assert.ok(service, name);
        assert.equal(service.network_mode, 'host', `${name} uses the host's network`);
        assert.equal(service.restart, 'unless-stopped', `${name} restarts`);
        if (name !== 'nats') {
          assert.equal(service.image, serviceImage(name));
          assert.equal(service.build?.dockerfile, `services/${name}/Dockerfile`);
          assert.equal(service.build?.network, 'host', `${name} builds on the host network (engines without a bridge)`);
          assert.equal(service.read_only, true, `${name} has a read-only root file system`);
        }
      }
      assert.deepEqual(config.services['phase1-builder']?.profiles, ['builder'], 'the builder image is built, never run, by compose');
      // Health-gated order: NATS, config, then the rest; DHCP answers nodes only when all are ready.
      assert.deepEqual(config.services.config?.depends_on, { nats: { condition: 'service_healthy' } });
      assert.deepEqual(Object.keys(config.services.dhcp?.depends_on ?? {}).sort(), ['config', 'image-builder', 'seeder', 'tracker']);
      for (const [name, service] of Object.entries(config.services)) {
        for (const dependency of Object.values(service.depends_on ?? {})) assert.equal(dependency.condition, 'service_healthy', name);
      }
      assert.ok(config.services.nats?.healthcheck?.test.join(' ').includes('/healthz'), 'NATS has a health check');
      // The project read-only where it is mounted; runtime state in named volumes.
      for (const name of ['config', 'seeder']) {
        assert.ok(config.services[name]?.volumes?.includes('/srv/lab1:/project:ro'), `${name} mounts the project read-only: ${config.services[name]?.volumes}`);
      }
      assert.deepEqual(Object.keys(config.volumes ?? {}).sort(), ['config-state', 'dhcp-state', 'nats-data', 'seeder-state']);
      // DHCP: three capabilities, nothing else; the others none.
      assert.deepEqual(config.services.dhcp?.cap_drop, ['ALL']);
      assert.deepEqual(config.services.dhcp?.cap_add?.sort(), ['NET_ADMIN', 'NET_BIND_SERVICE', 'NET_RAW']);
      for (const name of ['config', 'seeder', 'tracker', 'image-builder']) {
        assert.deepEqual(config.services[name]?.cap_drop, ['ALL'], name);
        assert.ok(config.services[name]?.security_opt?.includes('no-new-privileges:true'), name);
      }
      // The image-builder sees its data folder at the host's path, and so does config (read-only).
      assert.ok(config.services['image-builder']?.volumes?.includes('/var/lib/boottorrent:/var/lib/boottorrent:rw'));
      assert.ok(config.services.config?.volumes?.includes('/var/lib/boottorrent:/var/lib/boottorrent:ro'));

      for (const example of ['extra-seeder', 'nats-cluster']) {
        const exampleEnv = await writeEnvFile(scratch, join(repoRoot, 'deploy', example, '.env.example'), {});
        const exampleConfig = await composeConfig(join(repoRoot, 'deploy', example, 'compose.yaml'), exampleEnv);
        for (const [name, service] of Object.entries(exampleConfig.services)) assert.equal(service.network_mode, 'host', `${example}: ${name}`);
      }
    });

    it('every service Dockerfile shares one build stage, checks health on its port and runs unprivileged (but the image-builder)', async () => {
      const stages = new Set<string>();
      for (const service of SERVICE_IMAGES) {
        const text = await readFile(join(repoRoot, 'services', service, 'Dockerfile'), 'utf8');
        assert.match(text, /^ARG NODE_IMAGE=node:22-bookworm-slim$/m, `${service}: upstream Node 22 slim by default`);
        // Identical build stages share their layers: the workspace installs and compiles once.
        const build = text.slice(text.indexOf('ARG NODE_IMAGE'), text.indexOf('# --- runtime')).replace(`service-${service}`, 'service-X');
        stages.add(build);
        assert.match(text, new RegExp(`BT_HEALTH_PORT=${defaultHealthPorts[service]}\\b`), `${service}: its health port`);
        assert.match(text, /^HEALTHCHECK .*healthcheck\.mjs/m, `${service}: HEALTHCHECK`);
        assert.ok(text.includes(`\nRUN sh deploy/docker/deploy.sh @boottorrent/service-${service} /out\n`), `${service}: production dependencies only`);
        if (service === 'image-builder') assert.doesNotMatch(text, /^USER /m);
        else assert.match(text, /^USER boottorrent$/m, `${service} runs unprivileged`);
      }
      assert.equal(stages.size, 1, 'one build stage, textually identical in every Dockerfile');
      const dhcp = await readFile(join(repoRoot, 'services', 'dhcp', 'Dockerfile'), 'utf8');
      assert.match(dhcp, /dnsmasq-base ipxe/);
      assert.match(dhcp, /setcap cap_net_bind_service,cap_net_raw,cap_net_admin=\+ep \/usr\/sbin\/dnsmasq/);
    });
  });

  describe('building every image (engine on the host network: builds fetch from the Debian and npm registries)', () => {
    let engine: DockerEngine;
    let envFile: string;

    before(async () => {
      engine = await timings.time('engine start (build)', () =>
        startCleanEngine({ dataRoot: DOCKER_DATA_ROOT, runDir: engineRunDir('build'), logFile: join(scratch, 'dockerd-build.log') }),
      );
    });
    after(async () => {
      await engine?.removeAllContainers().catch(() => undefined);
      await engine?.stop();
    });

    it('builds local stand-ins for the base images (mmdebstrap, docker import, the Node 22 binary), skipped when present', async () => {
      baseImages = await timings.time('base images (debian, node, nats)', () => buildBaseImages(engine));
      for (const image of Object.values(baseImages)) sizes.set(image, await imageSize(engine, image));
      const node = await engine.docker(['run', '--rm', '--network', 'none', baseImages.NODE_IMAGE, 'node', '-p', 'process.versions.node']);
      assert.match(node.trim(), /^22\./);
      const again = Date.now();
      assert.deepEqual(await buildBaseImages(engine), baseImages);
      assert.ok(Date.now() - again < 30_000, 'a second run finds every tag and builds nothing');
    });

    it('builds the five service images and the phase-1 builder image with docker-compose', async () => {
      envFile = await writeEnvFile(scratch, join(repoRoot, 'deploy', '.env.example'), { ...baseImages, BT_PROJECT: scratch, BT_REVISION: 'e2e' });
      const compose = (args: string[]) => engine.compose(['--file', join(repoRoot, 'compose.yaml'), '--env-file', envFile, ...args], { cwd: repoRoot });
      // One at a time, to time each: the first pays for the shared build stage.
      for (const service of SERVICE_IMAGES) await timings.time(`image ${service}`, () => compose(['build', service]));
      await timings.time('image phase1-builder', () => compose(['--profile', 'builder', 'build', 'phase1-builder']));
      for (const image of [...SERVICE_IMAGES.map(serviceImage), BUILDER_IMAGE]) {
        sizes.set(image, await imageSize(engine, image));
      }
      // Untagged images of earlier runs (replaced layers) would pile up in the kept data root;
      // this week's stay, as the build cache of the next run.
      await engine.docker(['image', 'prune', '--force', '--filter', 'until=168h']);
      for (const service of SERVICE_IMAGES) {
        const labels = JSON.parse(await engine.docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', serviceImage(service)])) as Record<string, string>;
        assert.equal(labels['org.opencontainers.image.revision'], 'e2e', `${service} carries the revision label`);
      }
    });

    it('service images hold their compiled service and production dependencies, nothing of the build', async () => {
      for (const service of SERVICE_IMAGES) {
        const app = `/app/services/${service}`;
        const script = [
          `test -f ${app}/dist/src/main.js`,
          `test ! -e ${app}/src && test ! -e ${app}/test && test ! -e ${app}/dist/test`,
          // No dev dependencies (the compiler, test helpers), no other service, no build tools.
          "! ls /app/node_modules/.pnpm | grep -q '^typescript@'",
          'test ! -e /app/packages/testing && test "$(ls /app/services)" = ' + service,
          '! command -v pnpm >/dev/null',
          'id -u',
        ].join(' && ');
        const uid = (await engine.docker(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', serviceImage(service), '-c', script])).trim();
        assert.equal(uid, service === 'image-builder' ? '0' : '10001', `${service} user`);
      }
      // dnsmasq carries file capabilities: it starts only where compose grants the three (and
      // only those three are needed: every other capability is dropped).
      const dhcpCaps = ['--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN', '--cap-add', 'NET_RAW', '--cap-add', 'NET_BIND_SERVICE'];
      const dhcp = await engine.docker(['run', '--rm', '--network', 'none', ...dhcpCaps, '--entrypoint', 'sh', serviceImage('dhcp'), '-c', 'ls /usr/lib/ipxe/undionly.kpxe /usr/lib/ipxe/ipxe.efi /usr/lib/ipxe/snponly.efi && /usr/sbin/dnsmasq --version']);
      assert.match(dhcp, /Dnsmasq version 2\.\d+/);
      await assert.rejects(
        engine.docker(['run', '--rm', '--network', 'none', '--cap-drop', 'ALL', '--entrypoint', '/usr/sbin/dnsmasq', serviceImage('dhcp'), '--version']),
        'without the capabilities the kernel refuses to run dnsmasq',
      );
      // Each service's own imports resolve in its image (pnpm deploy kept what it needs, the
      // link: override of webrtc-polyfill included).
      for (const [service, module] of [['seeder', 'webtorrent'], ['tracker', 'bittorrent-tracker'], ['image-builder', 'dockerode'], ['config', 'fastify']] as const) {
        await engine.docker(['run', '--rm', '--network', 'none', '--workdir', `/app/services/${service}`, '--entrypoint', 'node', serviceImage(service), '--input-type=module', '-e', `await import('${module}')`]);
      }
    });

    it('the image-builder builds phase-1 in the builder container through the engine, into a shared folder', async () => {
      // Host network: the builder container fetches from Debian. NATS and the health port on
      // loopback; the build cache is the repo's (warm after the phase-1 tests: no compiling).
      const nats = await startNatsServer();
      const data = join(scratch, 'image-builder-data');
      const cache = join(repoRoot, '.cache', 'phase1-build');
      const name = `bt-ib-${shortId(6)}`;
      try {
        await run('mkdir', ['-p', data]);
        const healthPort = await freePort();
        await timings.time('phase-1 build via image-builder container', async () => {
          await engine.docker([
            // As compose.yaml runs it: root without capabilities, read-only root file system.
            'run', '--detach', '--name', name, '--network', 'host', '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges:true',
            '--env', `BT_NATS_URL=${nats.url}`, '--env', `BT_HEALTH_PORT=${healthPort}`,
            '--env', `BT_STATE_DIR=${data}`, '--env', `BT_BUILD_CACHE=${cache}`,
            '--env', `BT_BUILDER_IMAGE=${BUILDER_IMAGE}`, '--env', `BT_BUILDER_BASE_IMAGE=${baseImages.DEBIAN_IMAGE}`,
            '--volume', `${engine.socket}:/var/run/docker.sock`, '--volume', `${data}:${data}`, '--volume', `${cache}:${cache}`,
            serviceImage('image-builder'),
          ]);
          await waitFor(
            async () => {
              const logs = await engine.docker(['logs', name]).catch(() => '');
              if (/phase-1 build failed/.test(logs)) throw new Error(`the build failed:\n${logs.slice(-3000)}`);
              return /phase-1 build done/.test(logs);
            },
            { timeoutMs: 15 * 60_000, intervalMs: 2000, what: 'the image-builder container to finish a phase-1 build' },
          );
        });
        const logs = await engine.docker(['logs', name]);
        assert.match(logs, /"runner":"docker"/, 'the docker runner did the build');
        assert.match(logs, /phase-1 build started \(docker\)/);
        const manifest = JSON.parse(await readFile(join(data, 'phase1', 'manifest.json'), 'utf8')) as { recipeHash: string; files: Array<{ file: string; sha256: string }> };
        const recipe = (await run('bash', [join(repoRoot, 'images', 'phase1', 'build.sh'), '--print-recipe-hash'])).trim();
        assert.equal(manifest.recipeHash, recipe, 'built from this checkout\'s recipe');
        for (const file of manifest.files) assert.equal(await sha256File(join(data, 'phase1', file.file)), file.sha256, file.file);
        // The builder is reproducible: the container's build equals the host's, byte for byte.
        for (const file of ['vmlinuz', 'initrd']) {
          assert.equal(await sha256File(join(data, 'phase1', file)), await sha256File(join(repoRoot, '.cache', 'phase1', file)), `${file} equals the host-built one`);
        }
        assert.deepEqual((await readdir(data)).filter((entry) => entry.includes('.staging-')), [], 'no staging folder left');
      } finally {
        await engine.docker(['rm', '--force', name]).catch(() => undefined);
        await nats.dispose();
      }
    });
  });

  describe('2 qemu nodes boot the demo OS from the compose stack on the lab bridge', () => {
    let workDir: string;
    let result: LabResult;
    let atUp = new Map<string, StackContainer>();
    let upSeconds = 0;

    before(async () => {
      assert.ok(baseImages, 'the build steps ran');
      workDir = await mkdtemp(join(tmpdir(), 'bt-e2e-compose-'));
      const started = Date.now();
      result = await timings.time('compose up + 2-node boot (total)', () =>
        runLab(
          e2eLabOptions({
            nodes: 2,
            payloadMib: PAYLOAD_MIB,
            workDir,
            master: composeMaster({
              projectName: `btlab${shortId(6)}`,
              env: { ...baseImages, NATS_LISTEN: LAB_MASTER_ADDRESS, BT_NATS_URL: `nats://${LAB_MASTER_ADDRESS}:4222` },
              startEngine: (netns, dir) => startCleanEngine({ dataRoot: DOCKER_DATA_ROOT, runDir: engineRunDir('lab'), netns, logFile: join(dir, 'dockerd.log') }),
              onUp: async (stack) => {
                upSeconds = (Date.now() - started) / 1000;
                atUp = await stack.containers();
              },
            }),
          }),
        ),
      );
      timings.rows.push({ what: '  of which engine start + compose up', seconds: upSeconds });
      timings.rows.push({ what: '  of which 2-node boot (first power-on to last booted)', seconds: result.totalSeconds ?? -1 });
      process.stdout.write(`${result.timelineText.replace(/^/gm, '    # ')}\n`);
    });
    after(async () => {
      await rm(workDir, { recursive: true, force: true });
    });

    it('compose brought every service up healthy, from the images just built', () => {
      assert.deepEqual([...atUp.keys()].sort(), [...STACK_SERVICES].sort());
      for (const [service, container] of atUp) {
        assert.equal(container.health, 'healthy', service);
        if (service !== 'nats') assert.equal(container.image, serviceImage(service));
      }
    });

    it('both nodes booted the demo OS, through every step, and their consoles show its banner', async () => {
      assert.ok(result.ok, result.reason);
      for (const name of ['node1', 'node2']) {
        const node = result.nodes.find((n) => n.name === name);
        assert.equal(node?.record?.state, 'booted', `${name}: ${JSON.stringify(node?.record?.error)}`);
        assert.match(await readFile(node.consoleFile, 'utf8'), DEMO_BANNER);
        assert.deepEqual(
          node.record.history.map((step) => step.state).filter((state, i, all) => all.indexOf(state) === i),
          ['ipxe', 'phase1', 'downloading', 'seeding', 'kexec', 'booted'],
        );
      }
    });

    it('the containers served them: dnsmasq in the dhcp container leased both, no `boottorrent start` ran', async () => {
      const log = await readFile(join(workDir, 'compose', 'compose.log'), 'utf8');
      for (const node of result.nodes) {
        assert.match(log, new RegExp(`dhcp_1 .*"msg":"ack ${node.mac}`), `the dhcp container's dnsmasq acknowledged ${node.mac}`);
      }
      assert.match(log, /seeder_1 .*"msg":"seeding"/, 'the seeder container seeded');
      await assert.rejects(readFile(join(workDir, 'master.log'), 'utf8'), 'no master process log');
    });
  });

  describe('a NATS cluster across two hosts, swapping the seeder, an extra seeder on another host', () => {
    let lab: LabNetwork;
    let host2: Netns;
    let leecherNs: Netns;
    let work: string;
    let master: DockerEngine | undefined;
    let remote: DockerEngine | undefined;
    const stacks: ComposeStack[] = [];
    let manifest: OsManifest;
    let projectCopy: string;

    const natsCluster = {
      NATS_CONFIG: './deploy/nats-cluster/nats.conf',
      NATS_CLUSTER_NAME: 'boottorrent',
      NATS_ROUTE_1: `nats-route://${LAB_MASTER_ADDRESS}:6222`,
      NATS_ROUTE_2: `nats-route://${LAB_PREFIX}.3:6222`,
      // The third member shares the master's host here (other ports); in production, a third host.
      NATS_ROUTE_3: `nats-route://${LAB_MASTER_ADDRESS}:6223`,
    };
    const natsUrls = [`nats://${LAB_MASTER_ADDRESS}:4222`, `nats://${LAB_MASTER_ADDRESS}:4223`, `nats://${LAB_PREFIX}.3:4222`];
    const swarmOf = async (infoHash: string): Promise<Swarm | undefined> =>
      SwarmStats.parse(await getJsonIn(lab.ns, `http://${LAB_MASTER_ADDRESS}:8080/api/swarms`)).swarms.find((swarm) => swarm.infoHash === infoHash);

    before(async () => {
      assert.ok(baseImages, 'the build steps ran');
      work = await mkdtemp(join(tmpdir(), 'bt-e2e-scale-'));
      const demo = await ensureDemoOs(repoRoot, join(repoRoot, '.cache', 'demo-os'), PAYLOAD_MIB, () => undefined);
      const projectDir = join(work, 'project');
      await writeLabProject({ projectDir, dhcp: 'full', os: DEMO_OS, nodes: [], osFolders: { [DEMO_OS]: demo } });
      lab = await LabNetwork.create({ prefix: LAB_PREFIX, bridge: LAB_BRIDGE, nsPrefix: 'btctr' });
      host2 = await lab.attach({ hostOctet: 3, nsPrefix: 'bthost' });
      leecherNs = await lab.attach({ hostOctet: 4, nsPrefix: 'btleech' });

      await timings.time('cluster: engines, NATS members, master stack', async () => {
        master = await startCleanEngine({ dataRoot: DOCKER_DATA_ROOT, runDir: engineRunDir('mst'), netns: lab.ns.name, logFile: join(work, 'dockerd-master.log') });
        remote = await startCleanEngine({ dataRoot: join(work, 'host2-docker'), runDir: engineRunDir('h2'), netns: host2.name, logFile: join(work, 'dockerd-host2.log') });
        await copyImages(master, remote, [serviceImage('seeder'), baseImages.NATS_IMAGE], join(work, 'images.tar'));
        // Cluster members first: the master's NATS waits for them to elect a JetStream leader.
        const member = (engine: DockerEngine, name: string, address: string, offset: number) =>
          ComposeStack.up({
            engine,
            repoRoot,
            projectName: `bt${name}${shortId(4)}`,
            workDir: join(work, name),
            projectDir: projectDir,
            composeFile: join(repoRoot, 'deploy', 'nats-cluster', 'compose.yaml'),
            envExample: join(repoRoot, 'deploy', 'nats-cluster', '.env.example'),
            services: ['nats'],
            env: {
              NATS_IMAGE: baseImages.NATS_IMAGE,
              NATS_SERVER_NAME: name,
              NATS_LISTEN: address,
              NATS_PORT: String(4222 + offset),
              NATS_CLUSTER_PORT: String(6222 + offset),
              NATS_MONITOR: `127.0.0.1:${8222 + offset}`,
              ...natsCluster,
            },
          });
        stacks.push(await member(remote, 'nats2', `${LAB_PREFIX}.3`, 0));
        stacks.push(await member(master, 'nats3', LAB_MASTER_ADDRESS, 1));
        stacks.push(
          await ComposeStack.up({
            engine: master,
            repoRoot,
            projectName: `btmst${shortId(4)}`,
            workDir: join(work, 'master'),
            projectDir,
            artifactsDir: join(repoRoot, '.cache', 'phase1'),
            env: { ...baseImages, ...natsCluster, NATS_SERVER_NAME: 'nats1', NATS_LISTEN: LAB_MASTER_ADDRESS, NATS_CLUSTER_PORT: '6222', BT_NATS_URL: natsUrls.join(',') },
          }),
        );
      });
      manifest = await waitFor(() => getJsonIn<OsManifest>(lab.ns, `http://${LAB_MASTER_ADDRESS}:8080/api/manifest/${DEMO_OS}`).catch(() => null), {
        timeoutMs: 120_000,
        intervalMs: 1000,
        what: 'the demo OS manifest',
      });
      // "Another host" has its own copy of the project, as an operator would rsync it there.
      projectCopy = join(work, 'host2-project');
      await cp(projectDir, projectCopy, { recursive: true });
    });

    after(async () => {
      for (const stack of stacks.reverse()) await stack.down().catch((err: unknown) => process.stdout.write(`    # compose down failed: ${String(err)}\n`));
      await remote?.stop();
      await master?.stop();
      await lab?.delete();
      await rm(work, { recursive: true, force: true });
    });

    it('the master\'s services run against a three-server NATS cluster spanning two hosts', async () => {
      const jsz = await getJsonIn<{ meta_cluster?: { cluster_size: number; leader?: string } }>(lab.ns, 'http://127.0.0.1:8222/jsz');
      assert.equal(jsz.meta_cluster?.cluster_size, 3, JSON.stringify(jsz.meta_cluster));
      assert.ok(jsz.meta_cluster?.leader, 'a JetStream meta leader was elected');
      const routez = await getJsonIn<{ num_routes: number }>(lab.ns, 'http://127.0.0.1:8222/routez');
      assert.equal(routez.num_routes, 2, 'nats1 routes to nats2 (other host) and nats3');
      assert.match(manifest.infoHash, /^[0-9a-f]{40}$/);
    });

    it('swaps the seeder for a rebuilt image (`up -d --no-deps seeder`) without restarting anything else', async () => {
      const stack = stacks.at(-1)!;
      const before = await stack.containers();
      await timings.time('swap: rebuild seeder + up --no-deps', async () => {
        // A new revision label: a rebuilt image with a new id (every other layer from cache, offline).
        await stack.compose(['build', 'seeder'], { BT_REVISION: 'swapped' });
        await stack.compose(['up', '--detach', '--no-deps', 'seeder'], { BT_REVISION: 'swapped' });
        await stack.waitHealthy(['seeder']);
      });
      const afterSwap = await stack.containers();
      const seederBefore = before.get('seeder');
      const seederAfter = afterSwap.get('seeder');
      assert.ok(seederBefore && seederAfter);
      assert.notEqual(seederAfter.id, seederBefore.id, 'a new seeder container');
      const label = (await master!.docker(['inspect', '--format', '{{index .Config.Labels "org.opencontainers.image.revision"}}', seederAfter.id])).trim();
      assert.equal(label, 'swapped', 'running the rebuilt image');
      for (const service of ['nats', 'config', 'tracker', 'image-builder', 'dhcp']) {
        const was = before.get(service);
        const now = afterSwap.get(service);
        assert.ok(was && now, service);
        assert.equal(now.id, was.id, `${service} is the same container`);
        assert.equal(now.startedAt, was.startedAt, `${service} was not restarted`);
        assert.equal(now.restarts, was.restarts, `${service} restart count`);
      }
      // The new seeder hashed the same files into the same torrent and the tracker has it again.
      const again = await getJsonIn<OsManifest>(lab.ns, `http://${LAB_MASTER_ADDRESS}:8080/api/manifest/${DEMO_OS}`);
      assert.equal(again.infoHash, manifest.infoHash);
      await waitFor(async () => (await swarmOf(manifest.infoHash))?.peers.some((peer) => peer.address === `${LAB_MASTER_ADDRESS}:6881` && peer.complete), {
        timeoutMs: 60_000,
        intervalMs: 1000,
        what: 'the swapped seeder to announce again',
      });
    });

    it('an extra seeder on another host, on its own NATS member and project copy, seeds the same info-hash', async () => {
      await timings.time('extra seeder on host2 up', async () => {
        stacks.push(
          await ComposeStack.up({
            engine: remote!,
            repoRoot,
            projectName: `btxs${shortId(4)}`,
            workDir: join(work, 'extra-seeder'),
            projectDir: projectCopy,
            composeFile: join(repoRoot, 'deploy', 'extra-seeder', 'compose.yaml'),
            envExample: join(repoRoot, 'deploy', 'extra-seeder', '.env.example'),
            services: ['seeder'],
            env: {
              // Its own cluster member first: it reaches the rest of NATS through it.
              BT_NATS_URL: `nats://${LAB_PREFIX}.3:4222`,
              BT_BIND_HOST: `${LAB_PREFIX}.3`,
              BT_ADVERTISE_ADDRESS: `${LAB_PREFIX}.3`,
              BT_INSTANCE: 'seeder-host2',
            },
          }),
        );
      });
      const swarm = await waitFor(
        async () => {
          const found = await swarmOf(manifest.infoHash);
          return found?.peers.some((peer) => peer.address === `${LAB_PREFIX}.3:6881` && peer.complete) ? found : null;
        },
        { timeoutMs: 120_000, intervalMs: 1000, what: 'the extra seeder to announce the demo OS torrent as complete' },
      );
      const seeds = swarm.peers.filter((peer) => peer.complete).map((peer) => peer.address).sort();
      assert.deepEqual(seeds, [`${LAB_MASTER_ADDRESS}:6881`, `${LAB_PREFIX}.3:6881`]);
    });

    it('a BitTorrent peer on the boot network downloads the OS from both seeders', async () => {
      const dir = join(work, 'leecher');
      const magnet = `magnet:?xt=urn:btih:${manifest.infoHash}&tr=${encodeURIComponent(manifest.trackers[0] ?? '')}`;
      // Both seeders at a node NIC's pace (tbf on host2's uplink and on the master's side of the
      // bridge, which only the master's own traffic passes): at line rate the first seeder aria2c
      // reaches serves the whole OS in half a second, and the other has nothing left to give.
      await shapeEgress(host2, 'eth0', SEED_MBIT);
      await shapeEgress(lab.ns, LAB_BRIDGE, SEED_MBIT);
      const remoteSentBefore = await interfaceBytes(host2, 'eth0', 'tx');
      const receivedBefore = await interfaceBytes(leecherNs, 'eth0', 'rx');
      await timings.time('leecher download from both seeders', async () => {
        // A magnet (no web seeds): every byte comes from peers, i.e. from the two seeders.
        const leecher = startAria2c('aria2c leecher', { torrent: magnet, dir, listenPort: 6991, netns: leecherNs });
        await aria2cDone(leecher, 180_000);
        process.stdout.write(`${leecher.lines.filter((line) => /CN:\d/.test(line)).slice(-3).join('\n').replace(/^/gm, '    # ')}\n`);
      });
      const fromRemote = (await interfaceBytes(host2, 'eth0', 'tx')) - remoteSentBefore;
      const received = (await interfaceBytes(leecherNs, 'eth0', 'rx')) - receivedBefore;
      const fromMaster = received - fromRemote;
      process.stdout.write(`    # leecher received ${mib(received)}: ${mib(fromRemote)} sent by host2's seeder, ${mib(fromMaster)} by the master's\n`);
      for (const file of manifest.files) {
        assert.equal(await sha256File(join(dir, manifest.name, file.path)), await sha256File(join(work, 'project', 'oss', DEMO_OS, file.path)), file.path);
      }
      assert.ok(fromRemote > 2 ** 20, `host2's seeder sent ${fromRemote} bytes`);
      assert.ok(fromMaster > 2 ** 20, `the master's seeder sent ${fromMaster} bytes`);
    });
  });
});
