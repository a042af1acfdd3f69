import { hostname } from 'node:os';
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Structured JSON logs on stdout, one line per event, tagged with the service name. */
export function createLogger(service: string, options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  const config: LoggerOptions = {
    name: service,
    level: options.level ?? 'info',
    base: { service, pid: process.pid, host: hostname() },
    serializers: { err: pino.stdSerializers.err },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
