import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { SourceProblem } from '@boottorrent/contracts';

/** A parsed YAML file that can point at the line of any value or key in it. */
export class YamlSource {
  private constructor(
    readonly file: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Parses with the YAML 1.2 core schema: `True`/`False` are booleans (as the original project
   * wrote them) while MAC addresses such as 52:54:00:00:00:01 stay strings (YAML 1.1 would
   * read some of them as base-60 numbers). Syntax errors come back as problems.
   */
  static parse(file: string, text: string): { source: YamlSource; problems: SourceProblem[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, version: '1.2' });
    const source = new YamlSource(file, doc, lines);
    const problems: SourceProblem[] = [];
    for (const error of doc.errors) {
      const { line, col } = lines.linePos(error.pos[0]);
      problems.push({
        file,
        line,
        col,
        severity: 'error',
        code: error.code === 'DUPLICATE_KEY' ? 'BT_YAML_DUPLICATE_KEY' : 'BT_YAML_SYNTAX',
        message: `YAML ${error.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'syntax error'}: ${firstLine(error.message)}`,
        fix:
          error.code === 'DUPLICATE_KEY'
            ? 'remove one of the two entries with this key'
            : 'check indentation (spaces, not tabs), closing quotes and brackets on this line or the one before',
      });
    }
    return { source, problems };
  }

  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 }) ?? null;
  }

  /**
   * Line and column of `path`. For a key that is present: its value (or, with `atKey`, the key).
   * For a missing key: the deepest parent that exists, so "missing x" points inside its section.
   */
  position(path: readonly PropertyKey[], atKey = false): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let offset = 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        const keyNode = pair.key as Node;
        offset = keyNode.range?.[0] ?? offset;
        node = pair.value;
        if (atKey && segment === path[path.length - 1]) return this.lines.linePos(offset);
        const valueStart = (pair.value as Node | null)?.range?.[0];
        if (valueStart !== undefined) offset = valueStart;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as Node | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return this.lines.linePos(offset);
  }

  problem(path: readonly PropertyKey[], fields: Omit<SourceProblem, 'file' | 'line' | 'col'>, atKey = false): SourceProblem {
    return { file: this.file, ...this.position(path, atKey), ...fields };
  }

  /** The keys of the mapping at `path` ([] for the top level), with their positions. */
  keysAt(path: readonly PropertyKey[]): string[] {
    const node = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
    if (!isMap(node)) return [];
    return node.items.filter((item) => isPair(item) && isScalar(item.key)).map((item) => String((item.key as { value: unknown }).value));
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
}
