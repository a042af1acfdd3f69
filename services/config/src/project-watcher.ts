import { watch, type FSWatcher } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Logger } from '@boottorrent/runtime';

/** Editors save in bursts (write temp, rename, chmod): one reload per burst. */
export const DEFAULT_DEBOUNCE_MS = 400;
/** After the watch itself failed (folder replaced, inotify limit), try to watch again. */
const REWATCH_MS = 2000;

export interface ProjectWatcherOptions {
  dir: string;
  /** Folders to ignore (the state dir when it lies inside the project). */
  ignoreDirs?: string[];
  debounceMs?: number;
  logger: Logger;
  onChange: (paths: string[]) => void;
}

export interface ProjectWatcher {
  close(): void;
}

/**
 * Watches the project folder recursively and calls onChange once things have been quiet for
 * `debounceMs`. Paths with a segment starting with "." (the state dir `.boottorrent`, `.git`,
 * editor swap files) are ignored: the loader ignores them too, so they cannot change the state.
 */
export function watchProject(options: ProjectWatcherOptions): ProjectWatcher {
  const dir = resolve(options.dir);
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const log = options.logger.child({ component: 'project-watcher' });
  const ignored = (options.ignoreDirs ?? [])
    .map((path) => relative(dir, resolve(path)))
    .filter((rel) => rel !== '' && !rel.startsWith('..') && !isAbsolute(rel));
  let watcher: FSWatcher | null = null;
  let timer: NodeJS.Timeout | null = null;
  let rewatchTimer: NodeJS.Timeout | null = null;
  let pending = new Set<string>();
  let closed = false;

  const isIgnored = (path: string) =>
    path.split(/[\\/]/).some((segment) => segment.startsWith('.')) || ignored.some((prefix) => path === prefix || path.startsWith(prefix + sep));

  const fire = () => {
    timer = null;
    const paths = [...pending].sort();
    pending = new Set();
    log.info({ paths }, 'project folder changed');
    options.onChange(paths);
  };

  const start = () => {
    if (closed) return;
    try {
      watcher = watch(dir, { recursive: true }, (_event, filename) => {
        const path = filename === null ? '' : filename.toString();
        if (path !== '' && isIgnored(path)) return;
        pending.add(path || '.');
        if (timer) clearTimeout(timer);
        timer = setTimeout(fire, debounceMs);
      });
      watcher.on('error', (err) => {
        log.warn({ err, dir }, 'project watch failed; watching again shortly');
        restart();
      });
    } catch (err) {
      log.warn({ err, dir }, 'cannot watch the project folder; trying again shortly');
      restart();
    }
  };

  const restart = () => {
    watcher?.close();
    watcher = null;
    if (closed || rewatchTimer) return;
    rewatchTimer = setTimeout(() => {
      rewatchTimer = null;
      start();
      // Whatever changed while we were not watching is picked up by one reload.
      pending.add('.');
      if (!timer) timer = setTimeout(fire, debounceMs);
    }, REWATCH_MS);
    rewatchTimer.unref();
  };

  start();
  return {
    close() {
      closed = true;
      watcher?.close();
      if (timer) clearTimeout(timer);
      if (rewatchTimer) clearTimeout(rewatchTimer);
    },
  };
}
