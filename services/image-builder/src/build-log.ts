/**
 * The build script's output, understood: `==> step` lines start a step (images/lib/common.sh
 * prints them), `error: ...` lines say why a build failed.
 */

const STEP = /^==> (.+)$/;
const ERROR = /^(error|fatal|E):\s/i;

/** The step a line starts, or null. */
export function stepOf(line: string): string | null {
  const match = STEP.exec(line.trimEnd());
  return match ? (match[1] ?? null) : null;
}

/**
 * The line that explains a failed build: the last `error: ...` line, else the last line
 * that is not blank, else a placeholder.
 */
export function failingLine(lines: readonly string[]): string {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim() ?? '';
    if (ERROR.test(line)) return line;
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim() ?? '';
    if (line.length > 0) return line;
  }
  return '(the build printed nothing)';
}

/** Keeps the last `limit` lines of a build's output (a compile can print thousands). */
export class BuildLog {
  readonly lines: string[] = [];
  step = 'starting';

  constructor(private readonly limit = 2000) {}

  /** Records a line; returns the step it starts, if any. */
  add(line: string): string | null {
    this.lines.push(line);
    if (this.lines.length > this.limit) this.lines.splice(0, this.lines.length - this.limit);
    const step = stepOf(line);
    if (step !== null) this.step = step;
    return step;
  }

  failingLine(): string {
    return failingLine(this.lines);
  }
}
