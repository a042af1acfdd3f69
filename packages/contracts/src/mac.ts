import { z } from 'zod';

const macHexPairs = /^([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})$/;

/**
 * Canonical MAC form: lowercase, colon separated (what iPXE prints for ${mac}).
 * Accepts colons, hyphens (${mac:hexhyp}) or no separators, any case. Returns null otherwise.
 */
export function normalizeMac(input: string): string | null {
  const match = macHexPairs.exec(input.trim().toLowerCase());
  if (!match) return null;
  return match.slice(1, 7).join(':');
}

export const Mac = z.string().transform((value, ctx) => {
  const mac = normalizeMac(value);
  if (mac === null) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a MAC address (expected six hex pairs like 52:54:00:12:34:56)` });
    return z.NEVER;
  }
  return mac;
});
export type Mac = z.infer<typeof Mac>;

/** NATS KV keys may not contain ":"; nodes are keyed by the hyphenated form. */
export function macToKvKey(mac: string): string {
  return mac.replaceAll(':', '-');
}

export function kvKeyToMac(key: string): string | null {
  return normalizeMac(key);
}
