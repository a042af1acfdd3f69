import { decideBoot, type BootDecision, type BootInputs } from './boot-decision.js';
import type { BootMenu } from './menu.js';

/*
 * iPXE scripts, rendered as plain text from desired state. Pure: no I/O, the same input gives
 * the same script, so the service, `boottorrent render ipxe` and the snapshot tests agree.
 *
 * iPXE splits a line into words at whitespace, treats a word starting with `#` as the start
 * of a comment and the words `||`, `&&` and `;` as command separators, and expands `${name}`
 * in every word (repeatedly, until none is left). Everything we write from user data goes
 * through ipxeText(); everything else is built from validated names, MACs and URLs.
 */

/** iPXE's ${platform}: how the kernel is handed its initrd depends on it. */
export type Platform = 'pcbios' | 'efi';

const LABEL = {
  menu: 'bt_menu',
  cancelled: 'bt_cancelled',
  failed: 'bt_failed',
  shell: 'bt_shell',
  retry: 'bt_retry',
} as const;
/** The iPXE setting `choose` stores the picked item's label in. */
export const CHOICE_SETTING = 'bt_choice';
/** How long a failed node waits for a key (iPXE shell) before it asks the boot API again. */
export const RETRY_PAUSE_MS = 15_000;
/** How long a refused node shows why before handing back to its firmware. */
export const REFUSE_PAUSE_S = 10;

export function osLabel(os: string): string {
  return `bt_os_${os}`;
}

/** The URL iPXE fetches to get its node's script; iPXE fills in the variables. */
export function bootScriptRequestUrl(apiUrl: string): string {
  return `${apiUrl}/boot.ipxe?mac=\${netX/mac}&arch=\${buildarch}&platform=\${platform}`;
}

/**
 * Makes user text (an OS's dispname) safe on an iPXE command line: control characters become
 * spaces, `${` cannot start an expansion, and a word that iPXE would read as a comment or a
 * separator is prefixed with `${}` (an empty expansion), so it prints as written.
 */
export function ipxeText(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replaceAll('${', '$ {')
    .split(/\s+/)
    .filter((word) => word.length > 0)
    .map((word) => (word === '||' || word === '&&' || word === ';' || word.startsWith('#') ? `\${}${word}` : word))
    .join(' ');
}

/** The failure path every script ends with: say so, offer the shell, then ask the API again. */
function failureSection(apiUrl: string): string[] {
  return [
    `:${LABEL.failed}`,
    'echo',
    'echo BootTorrent: this node could not boot (the error is above).',
    `echo Boot API: ${apiUrl}`,
    `prompt --timeout ${RETRY_PAUSE_MS} Press any key for the iPXE shell, or wait ${RETRY_PAUSE_MS / 1000} s to try again. && goto ${LABEL.shell} || goto ${LABEL.retry}`,
    `:${LABEL.shell}`,
    'echo Type exit to try again.',
    'shell',
    `:${LABEL.retry}`,
    `chain --replace --autofree ${bootScriptRequestUrl(apiUrl)} || goto ${LABEL.failed}`,
  ];
}

/** GET /boot.ipxe without ?mac=: chain back naming the node, so dnsmasq needs no iPXE variables. */
export function renderChainScript(apiUrl: string): string {
  return toScript([
    '#!ipxe',
    '# BootTorrent: ask the boot API again, naming this node, its architecture and platform.',
    `chain --autofree ${bootScriptRequestUrl(apiUrl)} || goto ${LABEL.failed}`,
    ...failureSection(apiUrl),
  ]);
}

export interface BootScriptOptions {
  desired: BootInputs;
  /** Normalized MAC (lowercase, colons). */
  mac: string;
  platform: Platform;
  /** Extra phase-1 kernel arguments (console=...), already validated as plain words. */
  kernelArgs: string;
  /** Pass when already computed (the service records it); otherwise decided here. */
  decision?: BootDecision;
}

/** The script a node gets from GET /boot.ipxe?mac=..: menu, straight boot, or refusal. */
export function renderBootScript(options: BootScriptOptions): string {
  const { desired, mac } = options;
  const decision = options.decision ?? decideBoot(desired, mac);
  const apiUrl = desired.network.api.url;
  const header = ['#!ipxe', `# BootTorrent boot script for node ${mac} (${describe(decision)})`];

  switch (decision.kind) {
    case 'refuse':
      return toScript([
        ...header,
        `echo BootTorrent: this machine (${mac}) is not in the project and unknown nodes are refused.`,
        'echo To boot it, list it under nodes: in Boottorrent.yaml, or change boot.unknown_nodes.',
        `echo Handing back to the firmware (next boot device) in ${REFUSE_PAUSE_S} s.`,
        `sleep ${REFUSE_PAUSE_S}`,
        'exit 1',
      ]);
    case 'nothing':
      return toScript([...header, `echo BootTorrent: nothing to boot for ${mac}: ${ipxeText(decision.why)}.`, `goto ${LABEL.failed}`, ...failureSection(apiUrl)]);
    case 'assigned':
    case 'default':
      return toScript([...header, `goto ${osLabel(decision.os)}`, ...bootEntry(options, decision.os), ...failureSection(apiUrl)]);
    case 'menu':
      return toScript([
        ...header,
        ...menuSection(decision.menu, mac),
        ...decision.menu.entries.flatMap((entry) => bootEntry(options, entry.os)),
        ...failureSection(apiUrl),
      ]);
  }
}

function describe(decision: BootDecision): string {
  switch (decision.kind) {
    case 'assigned':
      return `assigned OS ${decision.os}`;
    case 'default':
      return decision.reason === 'unknown-node' ? `unknown node: default OS ${decision.os}` : `no countdown: default OS ${decision.os}`;
    case 'menu':
      return decision.menu.timeout < 0 ? 'menu, no countdown' : `menu, ${decision.menu.timeout} s countdown`;
    case 'refuse':
      return 'unknown node: refused';
    case 'nothing':
      return 'nothing to boot';
  }
}

function menuSection(menu: BootMenu, mac: string): string[] {
  const defaultEntry = menu.entries.find((entry) => entry.os === menu.defaultOs) ?? menu.entries[0]!;
  const defaultName = ipxeText(defaultEntry.dispname) || defaultEntry.os;
  const hint =
    menu.timeout > 0 ? `Starts ${defaultName} in ${menu.timeout} s unless you choose. Esc: iPXE shell.` : 'Choose an operating system. Esc: iPXE shell.';
  const timeout = menu.timeout > 0 ? `--timeout ${menu.timeout * 1000} ` : '';
  return [
    `:${LABEL.menu}`,
    `menu BootTorrent: node ${mac}`,
    ...menu.entries.map((entry) => `item ${osLabel(entry.os)} ${ipxeText(entry.dispname) || entry.os}`),
    'item --gap',
    `item --gap -- ${hint}`,
    `choose ${timeout}--default ${osLabel(defaultEntry.os)} ${CHOICE_SETTING} || goto ${LABEL.cancelled}`,
    `goto \${${CHOICE_SETTING}}`,
    `:${LABEL.cancelled}`,
    'echo Menu left. Type exit to return to it.',
    'shell',
    `goto ${LABEL.menu}`,
  ];
}

/** Loads phase-1 over HTTP with the kernel arguments naming the API, the OS and the node. */
function bootEntry(options: BootScriptOptions, os: string): string[] {
  const { desired, mac, platform } = options;
  const apiUrl = desired.network.api.url;
  const dispname = desired.oses.oses.find((candidate) => candidate.name === os)?.dispname ?? os;
  const args = [`bt.api=${apiUrl}`, `bt.os=${os}`, `bt.node=${mac}`];
  // The EFI stub finds its initrd by name among iPXE's images; BIOS gets it from iPXE directly.
  if (platform === 'efi') args.push('initrd=initrd');
  if (options.kernelArgs.trim()) args.push(options.kernelArgs.trim());
  return [
    `:${osLabel(os)}`,
    `echo BootTorrent: ${ipxeText(dispname) || os} on ${mac}: loading phase-1`,
    'imgfree',
    `kernel ${apiUrl}/phase1/kernel ${args.join(' ')} || goto ${LABEL.failed}`,
    `initrd --name initrd ${apiUrl}/phase1/initrd || goto ${LABEL.failed}`,
    `boot || goto ${LABEL.failed}`,
  ];
}

function toScript(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** iPXE reports ${platform} as "efi" or "pcbios"; anything else boots the BIOS way. */
export function platformOf(value: string | undefined): Platform {
  return value === 'efi' ? 'efi' : 'pcbios';
}
