import type { DesiredState } from '@boottorrent/contracts';
import { networkAddress, parseDhcpRange } from './fields.js';
import type { LoadedProject } from './loader.js';

/** The menu's entries: boot.menu when given, otherwise every OS by name. */
export function menuEntries(project: LoadedProject): string[] {
  return project.config.boot.menu.length > 0 ? [...project.config.boot.menu] : project.oses.map((os) => os.name);
}

/**
 * Derives the desired state every service works from. Pure: the same project gives the same
 * state, so publishing it twice changes nothing.
 */
export function toDesiredState(project: LoadedProject): DesiredState {
  const { config } = project;
  const address = config.master.address;
  const apiUrl = `http://${address}:${config.boot.api_port}`;
  const range = parseDhcpRange(config.dhcp.range);
  const entries = menuEntries(project);

  return {
    network: {
      address,
      interface: config.master.interface,
      api: { port: config.boot.api_port, url: apiUrl },
      tracker: {
        enabled: config.tracker.enabled,
        port: config.tracker.port,
        announceInterval: config.tracker.announce_interval,
        announceUrls: config.tracker.enabled
          ? [`http://${address}:${config.tracker.port}/announce`, `udp://${address}:${config.tracker.port}`]
          : [],
      },
      seeder: {
        peerPort: config.seeder.peer_port,
        httpPort: config.seeder.http_port,
        webSeed: config.seeder.web_seed,
        baseUrl: `http://${address}:${config.seeder.http_port}`,
      },
    },
    dhcp: {
      mode: config.dhcp.mode,
      interface: config.master.interface,
      serverAddress: address,
      range: config.dhcp.mode === 'full' && typeof range !== 'string' ? { start: range.start, end: range.end, leaseTime: range.leaseTime } : null,
      proxyNetwork: config.dhcp.mode === 'proxy' ? networkAddress(address, config.master.netmask) : null,
      netmask: config.master.netmask,
      tftp: config.dhcp.tftp,
      uefiBootFile: config.dhcp.uefi_boot_file,
      bootScriptUrl: `${apiUrl}/boot.ipxe`,
      user: config.dhcp.user,
      hosts: project.nodes
        .filter((node) => node.address !== null || node.hostname !== null)
        .map((node) => ({ mac: node.mac, address: node.address, hostname: node.hostname })),
    },
    oses: {
      projectDir: project.dir,
      oses: project.oses.map((os) => ({
        name: os.name,
        dispname: os.dispname,
        method: os.method,
        dir: os.relDir,
        kernel: os.kernel,
        initrd: os.initrd,
        cmdline: os.cmdline,
        files: os.files.map((file) => ({ path: file.path, length: file.length, mtimeMs: file.mtimeMs })),
      })),
    },
    nodes: { nodes: project.nodes },
    policy: {
      menu: {
        timeout: config.boot.timeout,
        defaultOs: config.boot.default_os ?? entries[0] ?? null,
        entries,
      },
      unknownNodes: config.boot.unknown_nodes,
      linger: {
        untilSwarmDone: config.linger.until_swarm_done,
        minSeconds: config.linger.min_seconds,
        maxSeconds: Math.max(config.linger.max_seconds, config.linger.min_seconds),
        maxRatio: config.linger.max_ratio,
      },
      client: {
        peerExchange: config.phase1.peer_exchange,
        localPeerDiscovery: config.phase1.local_peer_discovery,
        logLevel: config.phase1.log_level,
        listenPort: config.phase1.listen_port,
        webSeedAfterSeconds: config.phase1.web_seed_after,
      },
    },
  };
}
