import { z } from 'zod';

/** Dotted-quad IPv4 address, each octet 0-255, no leading zeros beyond "0". */
export const Ipv4 = z
  .string()
  .regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/, 'expected an IPv4 address like 192.168.1.1');
export type Ipv4 = z.infer<typeof Ipv4>;

/** A BitTorrent v1 info-hash as 40 lowercase hex characters. */
export const InfoHash = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{40}$/, 'expected a 40-character hex info-hash'));
export type InfoHash = z.infer<typeof InfoHash>;

/**
 * An OS is named by its folder under oss/. The name appears in URLs, kernel arguments
 * (bt.os=) and NATS KV keys, so it is restricted to characters that are safe in all three.
 */
export const OsName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'OS names use letters, digits, ".", "_" and "-" (at most 64, starting with a letter or digit)');
export type OsName = z.infer<typeof OsName>;

/** Milliseconds since the epoch; every event carries when it happened. */
export const Timestamp = z.number().int().nonnegative();

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest');

export const NonNegativeInt = z.number().int().nonnegative();

/** A problem found in user input, pointing at the file and line to fix. */
export const SourceProblem = z.object({
  file: z.string(),
  line: z.number().int().positive(),
  col: z.number().int().positive(),
  severity: z.enum(['error', 'warning']),
  code: z.string(),
  message: z.string(),
  fix: z.string(),
});
export type SourceProblem = z.infer<typeof SourceProblem>;
