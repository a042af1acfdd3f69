/** The dhcp service's public surface: the service itself, and the pure pieces the CLI reuses. */
export { createDhcpService, type DhcpService, type DhcpServiceOptions, type DhcpServiceStatus, type Rejection } from './app.js';
export { serviceEnv, type ServiceEnv, DEFAULT_STATE_DIR, DEFAULT_IPXE_DIR, DEFAULT_DNSMASQ_BIN } from './config.js';
export { renderDnsmasqConfig, DEFAULT_DNSMASQ_USER, type RenderPaths } from './render.js';
export { statePaths, type StatePaths } from './paths.js';
export { DnsmasqLogParser } from './log-parser.js';
export { archRoutes, IPXE_BINARIES, BIOS_BOOT_FILE } from './client-arch.js';
export * from './errors.js';
