/** pino's numeric levels, as words. */
const levelNames: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const levelColors: Record<string, string> = { TRACE: '2', DEBUG: '2', INFO: '32', WARN: '33', ERROR: '31', FATAL: '31;1' };
const serviceColors = ['36', '35', '34', '33', '32', '96', '95'];

/** Keys every pino line has; the rest is shown as key=value. */
const envelopeKeys = new Set(['level', 'time', 'msg', 'service', 'pid', 'host', 'hostname', 'name', 'v']);

function colorize(enabled: boolean, code: string, text: string): string {
  return enabled ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  if (value !== null && typeof value === 'object' && 'message' in value && 'type' in value) {
    return JSON.stringify((value as { message: unknown }).message);
  }
  return JSON.stringify(value);
}

export interface PrettyOptions {
  color: boolean;
  /** Width of the service column, so lines align. */
  width: number;
}

/**
 * One child output line for a terminal: `12:00:01 seeder   INFO  seeding debian infoHash=ab12...`.
 * Lines that are not pino JSON (dnsmasq, nats-server) pass through under the service prefix.
 */
export function prettyLine(service: string, line: string, serviceIndex: number, options: PrettyOptions): string {
  const prefix = colorize(options.color, serviceColors[serviceIndex % serviceColors.length]!, service.padEnd(options.width));
  let record: Record<string, unknown> | null = null;
  if (line.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed !== null && typeof parsed === 'object' && 'level' in parsed) record = parsed as Record<string, unknown>;
    } catch {
      record = null;
    }
  }
  if (!record) return `${' '.repeat(8)} ${prefix} ${line}`;
  const time = typeof record.time === 'number' ? new Date(record.time).toTimeString().slice(0, 8) : ' '.repeat(8);
  const level = levelNames[Number(record.level)] ?? String(record.level);
  const fields = Object.entries(record)
    .filter(([key]) => !envelopeKeys.has(key))
    .map(([key, value]) => `${key}=${fieldValue(value)}`)
    .join(' ');
  const msg = typeof record.msg === 'string' ? record.msg : '';
  return `${colorize(options.color, '2', time)} ${prefix} ${colorize(options.color, levelColors[level] ?? '0', level.padEnd(5))} ${msg}${fields ? ` ${colorize(options.color, '2', fields)}` : ''}`;
}

/** The same line for `--json`: pino JSON stays as is; anything else is wrapped as a JSON record. */
export function jsonLine(service: string, line: string): string {
  if (line.startsWith('{')) {
    try {
      JSON.parse(line);
      return line;
    } catch {
      // not JSON after all: wrapped below
    }
  }
  return JSON.stringify({ level: 30, time: Date.now(), service, msg: line });
}
