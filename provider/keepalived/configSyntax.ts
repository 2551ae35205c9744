// keepalived.conf syntax, independent of what the keywords mean: a file is a list of
// statements, each a keyword with arguments and an optional `{ … }` block. The renderers
// build statements and write them with writeStatements; `read` tokenises the files back
// with parseStatements, so drift in a hand-edited file shows up.
//
// Grammar as keepalived 2.2.7 reads it (parser.c): `#` and `!` start comments, tokens are
// separated by whitespace, `{` and `}` are tokens of their own, and a double-quoted string
// is one token. A backslash escapes (`"\"` is an unterminated string), and a quoted lone
// `{` still opens a block, so values that hold a quote, brace, backslash, comment sign or
// newline are refused by our schemas before they get here. So are control characters, and
// values too long for keepalived's line buffer (keywords.ts): writeStatements refuses both
// rather than write a file keepalived would read differently.

import { ParseError } from "./errors";
import { MAX_LINE_BYTES } from "./keywords";

export interface Statement {
  keyword: string;
  args: string[];
  /** The statements inside `{ … }`, when the statement has a block. */
  block?: Statement[];
  /** 1-based line of the keyword (for error messages). */
  line?: number;
}

const BARE_TOKEN = /^[^\s{}"#!]+$/;

/** A token as keepalived reads it back: bare when it can be, else double-quoted. */
export function writeToken(token: string): string {
  if (/[\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f]/.test(token)) throw new Error(`keepalived cannot carry the control characters of ${JSON.stringify(token)} (schemas refuse them)`);
  if (token.includes("$_")) throw new Error(`keepalived would replace the $_ parameter in ${JSON.stringify(token)} (schemas refuse it)`);
  if (BARE_TOKEN.test(token)) return token;
  if (/["\n\r\\{}]/.test(token)) throw new Error(`keepalived cannot represent ${JSON.stringify(token)} as one token (schemas refuse it)`);
  return `"${token}"`;
}

/** A line as keepalived 2.2.7 reads it: whole only within MAX_LINE_BYTES (schemas bound every value to fit). */
function checkedLine(line: string): string {
  const bytes = Buffer.byteLength(line);
  if (bytes > MAX_LINE_BYTES) throw new Error(`keepalived would cut this ${bytes}-byte line at 1023 bytes (schemas bound every value to fit): ${JSON.stringify(line.slice(0, 80))}…`);
  return line;
}

/**
 * A keyword as keepalived reads it: a bare word that does not start with what its parser
 * acts on before it reads a keyword (`@config-id`, `$NAME=`, `~SEQ`).
 */
function checkedKeyword(keyword: string): string {
  if (!/^[^\s{}"#!@$~\u0000-\u001f\u007f][^\s{}"#!$\u0000-\u001f\u007f]*$/.test(keyword)) throw new Error(`keepalived would not read ${JSON.stringify(keyword)} as a keyword (schemas refuse it)`);
  return keyword;
}

export function statement(keyword: string, args: ReadonlyArray<string | number> = [], block?: Statement[]): Statement {
  return { keyword, args: args.map(String), ...(block ? { block } : {}) };
}

/** Statements as keepalived.conf text, two spaces per level. */
export function writeStatements(statements: readonly Statement[], depth = 0): string {
  const indent = "  ".repeat(depth);
  return statements
    .map((s) => {
      const head = [checkedKeyword(s.keyword), ...s.args.map(writeToken)].join(" ");
      if (!s.block) return `${checkedLine(indent + head)}\n`;
      return `${checkedLine(`${indent}${head} {`)}\n${writeStatements(s.block, depth + 1)}${indent}}\n`;
    })
    .join("");
}

interface Token {
  text: string;
  line: number;
  quoted: boolean;
}

function tokenise(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    const line = index + 1;
    let i = 0;
    while (i < raw.length) {
      const c = raw[i]!;
      if (/\s/.test(c)) {
        i++;
      } else if (c === "#" || c === "!") {
        break;
      } else if (c === "{" || c === "}") {
        tokens.push({ text: c, line, quoted: false });
        i++;
      } else if (c === '"') {
        const end = raw.indexOf('"', i + 1);
        if (end < 0) throw new ParseError(file, line, "unterminated double-quoted string");
        tokens.push({ text: raw.slice(i + 1, end), line, quoted: true });
        i = end + 1;
      } else {
        let j = i;
        while (j < raw.length && !/[\s{}"#!]/.test(raw[j]!)) j++;
        tokens.push({ text: raw.slice(i, j), line, quoted: false });
        i = j;
      }
    }
    tokens.push({ text: "\n", line, quoted: false });
  });
  return tokens;
}

/** Parses keepalived.conf text into statements. Throws ParseError with the line on bad nesting. */
export function parseStatements(text: string, file = "keepalived.conf"): Statement[] {
  const tokens = tokenise(text, file);
  let pos = 0;
  const parseList = (depth: number): Statement[] => {
    const list: Statement[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos]!;
      if (t.text === "\n" && !t.quoted) {
        pos++;
        continue;
      }
      if (t.text === "}" && !t.quoted) {
        if (depth === 0) throw new ParseError(file, t.line, "unexpected }");
        pos++;
        return list;
      }
      if (t.text === "{" && !t.quoted) throw new ParseError(file, t.line, "unexpected { without a keyword");
      const s: Statement = { keyword: t.text, args: [], line: t.line };
      pos++;
      while (pos < tokens.length) {
        const a = tokens[pos]!;
        if (!a.quoted && a.text === "\n") break;
        if (!a.quoted && a.text === "{") {
          pos++;
          s.block = parseList(depth + 1);
          break;
        }
        if (!a.quoted && a.text === "}") break;
        s.args.push(a.text);
        pos++;
      }
      list.push(s);
    }
    if (depth > 0) throw new ParseError(file, tokens[tokens.length - 1]?.line ?? 0, "missing }");
    return list;
  };
  return parseList(0);
}

/** The first statement with this keyword. */
export function find(statements: readonly Statement[] | undefined, keyword: string): Statement | undefined {
  return statements?.find((s) => s.keyword === keyword);
}

export function findAll(statements: readonly Statement[] | undefined, keyword: string): Statement[] {
  return statements?.filter((s) => s.keyword === keyword) ?? [];
}
