/*
 * The `format=env` answers: one `NAME='value'` line per variable, for the phase-1 agent (a
 * busybox sh script) to `.`-source. Single quotes keep every character literal in sh, so the
 * only thing to escape is the quote itself: ' becomes '\''. Lists are comma-separated and
 * booleans are 1/0, so the agent needs no JSON parser.
 */

export type ShellValue = string | number | boolean | null | readonly (string | number)[];

const SHELL_NAME = /^[A-Z_][A-Z0-9_]*$/;

export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

function shellText(value: ShellValue): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as a shell value`);
    return String(value);
  }
  if (typeof value === 'string') return value;
  return value.map(String).join(',');
}

/** Encodes a record as shell assignments, in the record's key order. */
export function toShellEnv(record: Readonly<Record<string, ShellValue>>): string {
  const lines = Object.entries(record).map(([name, value]) => {
    // Names are ours, never user input; a bad one is a bug, caught by the tests.
    if (!SHELL_NAME.test(name)) throw new Error(`"${name}" is not a shell variable name`);
    return `${name}=${shellQuote(shellText(value))}`;
  });
  return `${lines.join('\n')}\n`;
}
