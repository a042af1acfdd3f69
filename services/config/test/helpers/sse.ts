import { get, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { waitFor } from '@boottorrent/testing';
import { LiveEvent } from '../../src/live/events.js';

/*
 * A Server-Sent Events reader over a real HTTP connection, parsing frames the way EventSource
 * does (event:, data:, comments, blank line ends a frame) and validating every event against
 * the stream's schema, so a malformed event fails the test that received it.
 */

/** Each event type's payload. */
type DataOf = { [E in LiveEvent as E['type']]: E['data'] };

export interface SseFrame {
  type: string;
  data: string;
}

export class SseClient {
  readonly events: LiveEvent[] = [];
  /** When each of `events` arrived (Date.now()). */
  readonly arrivals: number[] = [];
  /** Raw frames in arrival order, as the page would receive them. */
  readonly frames: SseFrame[] = [];
  readonly comments: string[] = [];
  readonly invalid: string[] = [];
  retryMs: number | null = null;
  ended = false;
  private buffer = '';

  private constructor(
    private readonly response: IncomingMessage,
    readonly headers: IncomingHttpHeaders,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.read(chunk));
    response.on('close', () => (this.ended = true));
  }

  /** Opens the stream; a refusal (not 200) resolves as { status, body } instead. */
  static open(url: string): Promise<SseClient | { status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = get(url, { headers: { accept: 'text/event-stream' } }, (response) => {
        if (response.statusCode === 200) return resolve(new SseClient(response, response.headers));
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
    });
  }

  static async connect(url: string): Promise<SseClient> {
    const opened = await SseClient.open(url);
    if (!(opened instanceof SseClient)) throw new Error(`stream refused: ${opened.status} ${opened.body}`);
    return opened;
  }

  of<T extends keyof DataOf>(type: T): Array<DataOf[T]> {
    return this.events.filter((event) => event.type === type).map((event) => event.data as DataOf[T]);
  }

  /** The first event of `type` received so far or soon that satisfies `match`. */
  next<T extends keyof DataOf>(type: T, match: (data: DataOf[T]) => boolean = () => true, timeoutMs = 5000): Promise<DataOf[T]> {
    return waitFor(() => this.of(type).find(match), { timeoutMs, intervalMs: 20, what: `a ${type} event` });
  }

  close(): void {
    this.response.destroy();
  }

  private read(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let type = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('event: ')) type = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
        else if (line.startsWith('retry: ')) this.retryMs = Number(line.slice(7));
      }
      if (data.length === 0) continue;
      this.frames.push({ type, data: data.join('\n') });
      const parsed = LiveEvent.safeParse({ type, data: JSON.parse(data.join('\n')) });
      if (parsed.success) {
        this.events.push(parsed.data);
        this.arrivals.push(Date.now());
      }
      else this.invalid.push(`${type}: ${parsed.error.message}`);
    }
  }
}
