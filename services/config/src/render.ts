/*
 * The pure renderers, without the service around them: `boottorrent render ipxe` imports this
 * (as @boottorrent/service-config/render) and prints exactly what the boot API would answer.
 */
export { decideBoot, decidedOs, type BootDecision, type BootInputs } from './boot-decision.js';
export { bootScriptRequestUrl, ipxeText, platformOf, renderBootScript, renderChainScript, type Platform } from './ipxe.js';
export { buildMenu, menuEnv, type BootMenu, type MenuEntry } from './menu.js';
export { buildManifest, manifestEnv, torrentMismatch } from './manifest.js';
export { shellQuote, toShellEnv, type ShellValue } from './shell-env.js';
export { DEFAULT_PHASE1_KERNEL_ARGS, KernelArgs } from './config.js';
