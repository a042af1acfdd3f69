import type { z } from 'zod';

interface DefLike {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
}

function defOf(schema: z.ZodType): DefLike {
  return (schema as unknown as { _zod: { def: DefLike } })._zod.def;
}

/** Follows defaults, optionals and transforms down to the schema that gives a value its shape. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType && ['default', 'prefault', 'optional', 'nullable', 'catch', 'readonly'].includes(def.type)) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

/** What keys a mapping at `path` may have, per schema; null when any key is fine (records). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | null {
  let current = unwrap(schema);
  for (const segment of path) {
    const def = defOf(current);
    if (def.type === 'object' && def.shape) {
      const child = def.shape[String(segment)];
      if (!child) return null;
      current = unwrap(child);
    } else if (def.type === 'record' && def.valueType) {
      current = unwrap(def.valueType);
    } else {
      return null;
    }
  }
  const def = defOf(current);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : null;
}

/** The known key closest to a misspelt one (Levenshtein distance <= 3), for "did you mean". */
export function closestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 4;
  for (const candidate of known) {
    const distance = levenshtein(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
