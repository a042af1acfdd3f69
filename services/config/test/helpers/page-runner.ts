import { runInNewContext } from 'node:vm';
import { DASHBOARD_SCRIPT } from '../../src/dashboard/page.js';
import type { SseFrame } from './sse.js';

/*
 * Runs the dashboard page's own script under node, in a fresh context holding only the few
 * browser objects it touches: two elements, an EventSource that the test drives with frames
 * taken from a real stream, and timers that run when the test says. These stand-ins carry no
 * logic of their own; what is tested is the page's script (event names, JSON, rendering).
 */

interface Element {
  innerHTML: string;
  textContent: string;
  className: string;
  addEventListener(): void;
}

class StandInEventSource {
  static readonly CLOSED = 2;
  static last: StandInEventSource | null = null;
  readyState = 0;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  readonly listeners = new Map<string, (event: { data: string }) => void>();
  constructor(readonly url: string) {
    StandInEventSource.last = this;
  }
  addEventListener(type: string, listener: (event: { data: string }) => void): void {
    this.listeners.set(type, listener);
  }
}

export interface PageRun {
  main: Element;
  conn: Element;
  /** The URL the page opened its stream at. */
  url: string;
  open(): void;
  /** Delivers frames as EventSource would, then runs the page's pending render. */
  deliver(frames: SseFrame[]): void;
  /** Types the page listens for. */
  listensTo(): string[];
}

export function runPage(): PageRun {
  const element = (): Element => ({ innerHTML: '', textContent: '', className: '', addEventListener: () => undefined });
  const main = element();
  const conn = element();
  const timeouts: Array<() => void> = [];
  const context = {
    document: { getElementById: (id: string) => (id === 'main' ? main : id === 'conn' ? conn : null) },
    EventSource: StandInEventSource,
    setTimeout: (fn: () => void) => timeouts.push(fn),
    setInterval: () => 0,
  };
  runInNewContext(DASHBOARD_SCRIPT, context);
  const source = StandInEventSource.last;
  if (!source) throw new Error('the page did not open an EventSource');
  return {
    main,
    conn,
    url: source.url,
    open: () => source.onopen?.(),
    deliver(frames) {
      for (const frame of frames) source.listeners.get(frame.type)?.({ data: frame.data });
      for (const fn of timeouts.splice(0)) fn();
    },
    listensTo: () => [...source.listeners.keys()],
  };
}
