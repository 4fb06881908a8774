// Line numbers for configuration keys, so an operator error names the line to fix.
// A key is named by its path as gobgpd prints it: `neighbors[0].timers.config.hold-time`.
// TOML: a small scanner over table headers and `key =` lines (TOML 1.0 sections 2-3);
// YAML: the yaml package's parse tree with its LineCounter.

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

/** Maps a key path to the 1-based line where the key is written. */
export interface KeyLocator {
  /** The line of `path`, else of its nearest written ancestor, else 1. */
  lineOf(path: string): number;
}

class PathLines implements KeyLocator {
  constructor(private readonly lines: ReadonlyMap<string, number>) {}

  lineOf(path: string): number {
    let p = path;
    for (;;) {
      const line = this.lines.get(p);
      if (line !== undefined) return line;
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      if (cut <= 0) return 1;
      p = p.slice(0, cut);
    }
  }
}

/** Joins a key to a path: `a` + `b` = `a.b`. */
export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** Splits a dotted TOML key into its parts, honouring quoted parts. */
function splitDottedKey(text: string): string[] {
  const parts: string[] = [];
  let i = 0;
  let current = '';
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return [];
      current += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '.') {
      parts.push(current.trim());
      current = '';
      i++;
    } else {
      current += c;
      i++;
    }
  }
  parts.push(current.trim());
  return parts;
}

/** Net bracket depth a value adds on its line, ignoring brackets inside strings. */
function bracketDelta(text: string): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') break;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return depth;
}

/**
 * Locates keys in TOML text. Array-of-tables headers (`[[neighbors]]`) count their
 * elements per parent element, so `[neighbors.config]` after the second `[[neighbors]]`
 * is `neighbors[1].config`. Keys inside multi-line values fall back to the value's key.
 */
export function locateToml(text: string): KeyLocator {
  const lines = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  let table = '';
  let depth = 0;
  let multiline: string | undefined;

  // A header's dotted parts become a concrete path: every prefix that is an array of
  // tables takes its current (last) element.
  // Tables a header defines implicitly (`a` and `a.b` for `[a.b.c]`) get its line too.
  const concrete = (parts: readonly string[], isArrayHeader: boolean, lineNo: number): string => {
    let path = '';
    parts.forEach((part, i) => {
      path = childPath(path, part);
      if (!lines.has(path)) lines.set(path, lineNo);
      const count = arrayCounts.get(path);
      const isLast = i === parts.length - 1;
      if (isLast && isArrayHeader) {
        const next = (count ?? 0) + 1;
        arrayCounts.set(path, next);
        path = `${path}[${next - 1}]`;
      } else if (count !== undefined) {
        path = `${path}[${count - 1}]`;
      }
      if (!lines.has(path)) lines.set(path, lineNo);
    });
    return path;
  };

  text.split(/\r?\n/).forEach((raw, index) => {
    const lineNo = index + 1;
    if (multiline !== undefined) {
      if (raw.includes(multiline)) multiline = undefined;
      return;
    }
    if (depth > 0) {
      depth += bracketDelta(raw);
      return;
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const header = /^\[\[\s*([^\]]+?)\s*\]\]/.exec(line) ?? /^\[\s*([^\]]+?)\s*\]/.exec(line);
    if (header !== null) {
      const isArray = line.startsWith('[[');
      table = concrete(splitDottedKey(header[1]!), isArray, lineNo);
      return;
    }
    const eq = /^((?:"[^"]*"|'[^']*'|[A-Za-z0-9_.\- \t])+?)\s*=\s*(.*)$/.exec(line);
    if (eq === null) return;
    let path = table;
    for (const part of splitDottedKey(eq[1]!)) {
      path = childPath(path, part);
      if (!lines.has(path)) lines.set(path, lineNo);
    }
    const value = eq[2]!;
    const fence = value.startsWith('"""') ? '"""' : value.startsWith("'''") ? "'''" : undefined;
    if (fence !== undefined && !value.slice(3).includes(fence)) {
      multiline = fence;
      return;
    }
    depth = Math.max(0, bracketDelta(value));
  });
  return new PathLines(lines);
}

/** Locates keys in a parsed YAML document (keys and sequence items). */
export function locateYaml(doc: Document.Parsed, counter: LineCounter): KeyLocator {
  const lines = new Map<string, number>();
  const lineAt = (offset: number | undefined): number => (offset === undefined ? 1 : counter.linePos(offset).line);
  const walk = (node: unknown, path: string): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const child = childPath(path, key);
        const range = isScalar(pair.key) ? pair.key.range : undefined;
        lines.set(child, lineAt(range?.[0]));
        walk(pair.value, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const child = `${path}[${i}]`;
        const range = (item as { range?: [number, number, number] } | null)?.range;
        lines.set(child, lineAt(range?.[0]));
        walk(item, child);
      });
    }
  };
  walk(doc.contents, '');
  return new PathLines(lines);
}

/** Parses YAML keeping what is needed to locate keys afterwards. */
export function parseYamlWithLines(text: string): { doc: Document.Parsed; counter: LineCounter } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  return { doc, counter };
}
