/**
 * Every error BootTorrent raises on purpose carries a stable code (BT_*), the HTTP status it
 * maps to, and, where the user can act, the fix. Services declare theirs in one errors.ts.
 */
export class BtError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly fix: string | undefined;

  constructor(code: string, message: string, options: { statusCode?: number; fix?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BtError';
    this.code = code;
    this.statusCode = options.statusCode ?? 500;
    this.fix = options.fix;
  }

  /** Attaches the underlying error (kept in logs, not shown to HTTP clients). */
  causedBy(cause: unknown): this {
    Object.defineProperty(this, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
    return this;
  }

  toJSON(): { code: string; message: string; fix?: string } {
    return { code: this.code, message: this.message, ...(this.fix ? { fix: this.fix } : {}) };
  }
}

export interface BtErrorClass<A extends unknown[]> {
  new (...args: A): BtError;
  readonly code: string;
}

/**
 * Declares an error kind once, fastify-error style:
 *   export const UnknownOs = defineError('BT_UNKNOWN_OS', 404, (os: string) => `no OS named "${os}"`);
 *   throw new UnknownOs('debian');
 */
export function defineError<A extends unknown[]>(
  code: string,
  statusCode: number,
  message: (...args: A) => string,
  fix?: string | ((...args: A) => string),
): BtErrorClass<A> {
  const DefinedError = class extends BtError {
    static readonly code = code;
    constructor(...args: A) {
      super(code, message(...args), { statusCode, fix: typeof fix === 'function' ? fix(...args) : fix });
    }
  };
  Object.defineProperty(DefinedError, 'name', { value: code });
  return DefinedError;
}

export function isBtError(err: unknown): err is BtError {
  return err instanceof BtError;
}
