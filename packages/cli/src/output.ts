import type { SourceProblem } from '@boottorrent/contracts';
import { formatProblem } from '@boottorrent/project';

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string) => (text: string) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);
export const color = { red: paint('31'), yellow: paint('33'), green: paint('32'), bold: paint('1'), dim: paint('2'), cyan: paint('36') };

export function printProblems(problems: readonly SourceProblem[], projectDir: string, stream: NodeJS.WriteStream = process.stderr): void {
  for (const problem of problems) {
    const text = formatProblem(problem, projectDir);
    stream.write(`${problem.severity === 'error' ? color.red(text) : color.yellow(text)}\n`);
  }
}

export function countBySeverity(problems: readonly SourceProblem[]): { errors: number; warnings: number } {
  const errors = problems.filter((problem) => problem.severity === 'error').length;
  return { errors, warnings: problems.length - errors };
}
