import { readFile } from 'node:fs/promises';

/*
 * aria2c works on a one-second command loop: it waits about a second before its first tracker
 * request, another before connecting to the peers it got, and a last one for its "stopped"
 * announce before exiting. Those ~3 s are the same whoever seeds, and would swamp the
 * seeder's own speed on loopback. So the transfer is timed from aria2c's own log (log level
 * info): from the first "unchoke" a peer sent it to the last piece it received.
 */

const STAMP = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{6}) /;

function stampMs(line: string): number | null {
  const match = STAMP.exec(line);
  if (!match) return null;
  return Date.parse(`${match[1]!.replace(' ', 'T')}Z`) + Number(match[2]) / 1000;
}

export interface Aria2cWindow {
  /** First unchoke received, ms (log clock). */
  firstUnchokeMs: number;
  /** The last piece received ("we got new piece"), ms (log clock). */
  completeMs: number;
}

export async function transferWindow(logFile: string): Promise<Aria2cWindow> {
  const text = await readFile(logFile, 'utf8');
  let firstUnchokeMs: number | null = null;
  let completeMs: number | null = null;
  for (const line of text.split('\n')) {
    if (firstUnchokeMs === null && / - From: \S+ unchoke$/.test(line)) firstUnchokeMs = stampMs(line);
    if (line.includes('we got new piece')) completeMs = stampMs(line);
  }
  if (firstUnchokeMs === null || completeMs === null) throw new Error(`${logFile}: no unchoke or no piece in the log`);
  return { firstUnchokeMs, completeMs };
}
