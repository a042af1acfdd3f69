import { isAbsolute, resolve } from 'node:path';

/**
 * The directory the user typed the command in. `pnpm boottorrent ...` runs us from the repo
 * root but keeps the caller's directory in INIT_CWD, so relative paths mean what they look like.
 */
export function userCwd(): string {
  return process.env.INIT_CWD ?? process.cwd();
}

export function resolveUserPath(path: string): string {
  return isAbsolute(path) ? path : resolve(userCwd(), path);
}

/** --project, else BT_PROJECT, else the current directory (like the original: run it inside the project). */
export function resolveProjectDir(option: string | undefined): string {
  return resolveUserPath(option ?? process.env.BT_PROJECT ?? '.');
}
