/*
 * A structural check of iPXE scripts, after iPXE's own rules (src/core/exec.c, script.c,
 * hci/commands/menu_cmd.c): words split at whitespace; `#` starts a comment; `||`, `&&` and `;`
 * separate commands; `:name` lines are labels. It is not iPXE; it catches what would make a
 * script misbehave on a node: a missing `#!ipxe`, a goto to nowhere, a menu default that is
 * not an item, an unknown command or variable, or a script that can run off its end.
 */

/** Commands our scripts may use (all exist in Debian's iPXE). */
const KNOWN_COMMANDS = new Set(['chain', 'kernel', 'initrd', 'imgfetch', 'imgfree', 'boot', 'goto', 'echo', 'prompt', 'shell', 'sleep', 'exit', 'reboot', 'menu', 'item', 'choose', 'set', 'isset', 'iseq']);
/** Commands after which a script never falls through to the next line. */
const TERMINAL = new Set(['goto', 'exit', 'reboot', 'chain']);
/** iPXE settings our scripts may expand besides what `choose` sets ("" is the empty expansion used to escape words). */
const KNOWN_SETTINGS = new Set(['', 'netX/mac', 'net0/mac', 'buildarch', 'platform']);

export interface IpxeCommand {
  line: number;
  words: string[];
}

export interface IpxeScriptModel {
  labels: Map<string, number>;
  commands: IpxeCommand[];
  itemLabels: string[];
  /** Settings `choose` stores into. */
  chooseTargets: string[];
}

function splitCommands(words: string[]): string[][] {
  const commands: string[][] = [[]];
  for (const word of words) {
    if (word.startsWith('#')) break;
    if (word === '||' || word === '&&' || word === ';') commands.push([]);
    else commands[commands.length - 1]!.push(word);
  }
  return commands.filter((command) => command.length > 0);
}

/** Options of a command line: `--name value` pairs for the given names, flags otherwise. */
function options(words: string[], withValue: ReadonlySet<string>): { opts: Map<string, string>; rest: string[] } {
  const opts = new Map<string, string>();
  let index = 1;
  while (index < words.length && words[index]!.startsWith('--')) {
    const name = words[index]!;
    index++;
    if (name === '--') break;
    if (withValue.has(name)) {
      opts.set(name, words[index] ?? '');
      index++;
    } else {
      opts.set(name, '');
    }
  }
  return { opts, rest: words.slice(index) };
}

export function parseIpxe(script: string): IpxeScriptModel {
  const labels = new Map<string, number>();
  const commands: IpxeCommand[] = [];
  script.split('\n').forEach((text, index) => {
    const line = index + 1;
    if (text.startsWith(':')) {
      labels.set(text.slice(1).trim(), line);
      return;
    }
    for (const words of splitCommands(text.trim().split(/\s+/).filter(Boolean))) commands.push({ line, words });
  });
  const itemLabels: string[] = [];
  const chooseTargets: string[] = [];
  for (const { words } of commands) {
    if (words[0] === 'item') {
      const { opts, rest } = options(words, new Set(['--key']));
      if (!opts.has('--gap') && rest[0]) itemLabels.push(rest[0]);
    }
    if (words[0] === 'choose') {
      const { rest } = options(words, new Set(['--timeout', '--default', '--menu']));
      if (rest[0]) chooseTargets.push(rest[0]);
    }
  }
  return { labels, commands, itemLabels, chooseTargets };
}

/** Every structural problem found; an empty list means the script passes. */
export function lintIpxe(script: string): string[] {
  const problems: string[] = [];
  if (!script.startsWith('#!ipxe\n')) problems.push('the script does not start with "#!ipxe"');
  const lines = script.split('\n');
  const seen = new Set<string>();
  lines.forEach((text, index) => {
    if (!text.startsWith(':')) return;
    const label = text.slice(1).trim();
    if (!/^[A-Za-z0-9_.-]+$/.test(label)) problems.push(`line ${index + 1}: label "${label}" has unusual characters`);
    if (seen.has(label)) problems.push(`line ${index + 1}: label "${label}" is defined twice`);
    seen.add(label);
  });
  const model = parseIpxe(script);

  for (const { line, words } of model.commands) {
    const [command] = words;
    if (!command || !KNOWN_COMMANDS.has(command)) problems.push(`line ${line}: unknown command "${command ?? ''}"`);
    for (const word of words) {
      for (const match of word.matchAll(/\$\{([^}]*)\}/g)) {
        if (!KNOWN_SETTINGS.has(match[1]!) && !model.chooseTargets.includes(match[1]!)) problems.push(`line ${line}: unknown setting \${${match[1]}}`);
      }
    }
    if (command === 'goto') {
      const target = words[1] ?? '';
      const dynamic = /^\$\{([^}]+)\}$/.exec(target);
      if (dynamic) {
        if (!model.chooseTargets.includes(dynamic[1]!)) problems.push(`line ${line}: goto \${${dynamic[1]}} but no choose sets it`);
      } else if (!model.labels.has(target)) {
        problems.push(`line ${line}: goto ${target || '(nothing)'}: no such label`);
      }
    }
    if (command === 'choose') {
      const { opts, rest } = options(words, new Set(['--timeout', '--default', '--menu']));
      const timeout = opts.get('--timeout');
      if (timeout !== undefined && !/^\d+$/.test(timeout)) problems.push(`line ${line}: choose --timeout "${timeout}" is not milliseconds`);
      const fallback = opts.get('--default');
      if (fallback !== undefined && !model.itemLabels.includes(fallback)) problems.push(`line ${line}: choose --default ${fallback} is not a menu item`);
      if (!rest[0]) problems.push(`line ${line}: choose stores its choice nowhere`);
    }
    if (command === 'prompt') {
      const { opts } = options(words, new Set(['--timeout', '--key']));
      const timeout = opts.get('--timeout');
      if (timeout !== undefined && !/^\d+$/.test(timeout)) problems.push(`line ${line}: prompt --timeout "${timeout}" is not milliseconds`);
    }
  }
  for (const label of model.itemLabels) {
    if (!model.labels.has(label)) problems.push(`menu item ${label} has no label to boot`);
  }
  const last = model.commands.at(-1);
  if (!last || !TERMINAL.has(last.words[0] ?? '') || commandCount(last, model) > 1) {
    problems.push('the script can run off its end (the last line must be an unconditional goto, exit, reboot or chain)');
  }
  return problems;
}

/** More than one command on the last line means its first may be skipped by `||`/`&&`: fine only for chain ... || goto. */
function commandCount(last: IpxeCommand, model: IpxeScriptModel): number {
  const onLine = model.commands.filter((command) => command.line === last.line);
  return onLine.length === 2 && onLine[0]!.words[0] === 'chain' && onLine[1]!.words[0] === 'goto' ? 1 : onLine.length;
}
