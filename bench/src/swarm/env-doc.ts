/*
 * The boot API's `?format=env` documents (docs/boot-flow.md): one NAME='value' per line,
 * with ' written as '\''. The benchmark reads the manifest and the swarm view this way, exactly
 * as the phase-1 agent does.
 */

export class EnvDocError extends Error {
  readonly code = 'BT_BENCH_ENV_DOC';
}

export function parseEnvDoc(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const match = /^([A-Z][A-Z0-9_]*)='((?:[^']|'\\'')*)'$/.exec(line);
    if (!match) throw new EnvDocError(`line ${index + 1} is not a NAME='value' assignment: ${line.slice(0, 80)}`);
    out[match[1] as string] = (match[2] as string).replaceAll("'\\''", "'");
  });
  return out;
}

/** The linger policy as the manifest states it. */
export interface LingerPolicy {
  untilSwarmDone: boolean;
  minSeconds: number;
  maxSeconds: number;
  maxRatio: number;
}

export function lingerOf(manifest: Record<string, string>): LingerPolicy {
  return {
    untilSwarmDone: manifest.BT_LINGER_UNTIL_DONE === '1',
    minSeconds: Number(manifest.BT_LINGER_MIN),
    maxSeconds: Number(manifest.BT_LINGER_MAX),
    maxRatio: Number(manifest.BT_LINGER_RATIO),
  };
}

export function sameLinger(a: LingerPolicy, b: LingerPolicy): boolean {
  return a.untilSwarmDone === b.untilSwarmDone && a.minSeconds === b.minSeconds && a.maxSeconds === b.maxSeconds && a.maxRatio === b.maxRatio;
}
