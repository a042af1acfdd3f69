import { normalizeMac } from '@boottorrent/contracts';
import { parseInput } from '@boottorrent/runtime';
import { z } from 'zod';
import { BadMac } from '../errors.js';

/** A MAC from a URL (path or query): any of iPXE's spellings, normalized; 400 BT_BAD_MAC otherwise. */
export function parseMac(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  const mac = typeof value === 'string' && value.length <= 64 ? normalizeMac(value) : null;
  if (mac === null) throw new BadMac(text.slice(0, 64));
  return mac;
}

/** `?format=env` asks for shell assignments (the busybox agent); JSON otherwise. */
export const FormatQuery = z.object({ format: z.enum(['json', 'env']).default('json') });

export function parseFormat(query: unknown): 'json' | 'env' {
  return parseInput(FormatQuery, query ?? {}, 'query').format;
}

export const ENV_CONTENT_TYPE = 'text/plain; charset=utf-8';
