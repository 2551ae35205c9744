// Reads the README's reference tables as data: the rows of a section's tables, the input
// names a cell names (`address`, `port` is two), the default cell split in the same order
// (—, `ipv4`), and object shapes written as `{ name, port? (gue), type: a | b = a }`.
// Pure text handling; what the names and defaults must be is the test's business.

export interface ReadmeRow {
  /** 1-based line in the markdown, for messages. */
  line: number;
  /** Cells in column order, trimmed, with `\|` unescaped. */
  cells: string[];
}

export interface ReadmeTable {
  columns: string[];
  rows: ReadmeRow[];
}

/** One field of a shape such as `{ timeoutSeconds = 300, type: ipip | gue = ipip, port? (gue) }`. */
export interface ShapeField {
  name: string;
  /** Written with `?`. */
  optional: boolean;
  /** After `:`, split on `|` (`ipip | gue | gre`), without a trailing `(note)`. */
  values?: string[];
  /** After ` = `. */
  default?: string;
}

/** An input a cell names: `persistence`, `timeouts.connectMs`, or `sorryServer: { address, port }`. */
export interface NamedInput {
  name: string;
  shape?: string;
}

const HEADING = /^(#{1,6}) /;
const FENCE = /^\s*```/;

/**
 * The tables between `heading` (the whole heading line, or its start up to a space) and the
 * next heading of the same or a higher level. Lines inside code fences are not headings.
 */
export function tablesUnder(markdown: string, heading: string): ReadmeTable[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l === heading || l.startsWith(`${heading} `));
  if (start < 0) return [];
  const level = HEADING.exec(heading)?.[1]?.length ?? 6;
  const tables: ReadmeTable[] = [];
  let inFence = false;
  let current: ReadmeTable | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (FENCE.test(line)) inFence = !inFence;
    const h = inFence ? null : HEADING.exec(line);
    if (h && h[1]!.length <= level) break;
    if (inFence || !line.startsWith("|")) {
      current = undefined;
      continue;
    }
    const cells = splitRow(line);
    if (!current) {
      current = { columns: cells, rows: [] };
      tables.push(current);
    } else if (!cells.every((c) => /^:?-+:?$/.test(c))) {
      current.rows.push({ line: i + 1, cells });
    }
  }
  return tables;
}

/** `| a | b \| c |` → ["a", "b | c"]. */
function splitRow(line: string): string[] {
  const cells = line.trim().split(/(?<!\\)\|/);
  return cells.slice(1, cells.at(-1)?.trim() === "" ? -1 : undefined).map((c) => c.trim().replace(/\\\|/g, "|"));
}

/** The contents of a cell's code spans, in order. */
export function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
}

const INPUT = /^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?:\s*:\s*(\{[\s\S]*\}))?$/;

/**
 * The inputs an input cell names, one per code span (prose such as "(secret)" is ignored),
 * and the code spans that do not read as an input name.
 */
export function inputsOfCell(cell: string): { inputs: NamedInput[]; unreadable: string[] } {
  const inputs: NamedInput[] = [];
  const unreadable: string[] = [];
  for (const span of codeSpans(cell)) {
    const m = INPUT.exec(span.trim());
    if (m) inputs.push({ name: m[1]!, ...(m[2] ? { shape: m[2] } : {}) });
    else unreadable.push(span);
  }
  return { inputs, unreadable };
}

/**
 * A default cell split into one part per input of its row: `—, \`ipv4\`` or
 * `\`false\` / —` into two; a cell with one part applies to every input of the row.
 * Undefined when the parts do not match the inputs.
 */
export function defaultsOfCell(cell: string, inputCount: number): string[] | undefined {
  if (inputCount <= 1) return [cell];
  const parts = splitOutside(cell, [", ", " / "], { code: true });
  if (parts.length === 1) return Array<string>(inputCount).fill(cell);
  return parts.length === inputCount ? parts : undefined;
}

/** The shape a meaning cell starts its code with (`{ … }` or `[{ … }]`), if any. */
export function shapeOfMeaning(cell: string): string | undefined {
  const first = codeSpans(cell)[0]?.trim();
  return first !== undefined && /^\[?\{/.test(first) ? first : undefined;
}

/** The fields of `{ a, b? = 1, c: x | y }` or `[{ … }]`; undefined when it is not one. */
export function parseShape(text: string): ShapeField[] | undefined {
  let t = text.trim();
  if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1).trim();
  if (!t.startsWith("{") || !t.endsWith("}")) return undefined;
  const fields: ShapeField[] = [];
  for (const item of splitOutside(t.slice(1, -1), [","], { nesting: true })) {
    const m = /^("[^"]*"|[A-Za-z_]\w*)(\?)?([\s\S]*)$/.exec(item.trim());
    if (!m) return undefined;
    let rest = m[3]!;
    const parts = splitOutside(rest, [" = "], { nesting: true });
    const field: ShapeField = { name: m[1]!, optional: m[2] === "?" };
    if (parts.length > 1) {
      field.default = parts.at(-1)!.trim();
      rest = parts.slice(0, -1).join(" = ");
    }
    const values = /^\s*:\s*([\s\S]*?)\s*(\([^)]*\))?\s*$/.exec(rest);
    if (values) field.values = values[1]!.split("|").map((v) => v.trim());
    fields.push(field);
  }
  return fields;
}

/**
 * `text` split on any of `separators` where they are outside code spans (`code`) or
 * outside brackets and double quotes (`nesting`).
 */
function splitOutside(text: string, separators: string[], mode: { code?: boolean; nesting?: boolean }): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inCode = false;
  let inQuote = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (mode.code && ch === "`") inCode = !inCode;
    if (mode.nesting && ch === '"') inQuote = !inQuote;
    if (mode.nesting && !inQuote && "{[(".includes(ch)) depth++;
    if (mode.nesting && !inQuote && "}])".includes(ch)) depth--;
    if (inCode || inQuote || depth > 0) continue;
    const sep = separators.find((s) => text.startsWith(s, i));
    if (sep) {
      parts.push(text.slice(from, i).trim());
      from = i + sep.length;
      i = from - 1;
    }
  }
  parts.push(text.slice(from).trim());
  return parts;
}
