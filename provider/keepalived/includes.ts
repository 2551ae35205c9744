// keepalived's `include` as keepalived reads it: the included files' text in place of the
// line, globs matched against whole paths, a relative path resolved against the including
// file's directory. Used where a keepalived.conf written by hand is read: by the importer,
// and by a KeepalivedPair that adopts one (carryOver.ts).

import { posix } from "path";
import { INCLUDE_KEYWORDS } from "./keywords";
import { KEEPALIVED_CONF } from "./layout";

/** keepalived's include globs (`*`, `?`, `[…]`) as a regular expression over whole paths. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${body}$`);
}

/** The expanded text, and for each of its lines the file and line it came from. */
export interface Expanded {
  lines: string[];
  origins: string[];
}

export interface ExpandOptions {
  /** Notes an include that names no file of `files` (or nests too deep). */
  warnings?: string[];
  /**
   * Keep such an include as a line `include <absolute pattern>`, so the text still reads
   * at run time what keepalived read (the files are elsewhere). Otherwise it is dropped.
   */
  keepUnresolved?: boolean;
}

function expand(files: Readonly<Record<string, string>>, path: string, options: ExpandOptions, depth: number): Expanded {
  const out: Expanded = { lines: [], origins: [] };
  (files[path] ?? "").split("\n").forEach((line, i) => {
    const m = /^\s*(\S+)\s+(\S+)/.exec(line);
    if (!m || !INCLUDE_KEYWORDS.includes(m[1]!)) {
      out.lines.push(line);
      out.origins.push(`${path}:${i + 1}`);
      return;
    }
    const pattern = posix.normalize(m[2]!.startsWith("/") ? m[2]! : posix.join(posix.dirname(path), m[2]!));
    const matched = Object.keys(files).filter((f) => globToRegExp(pattern).test(f)).sort();
    const unresolved = (why: string) => {
      options.warnings?.push(`${path}:${i + 1}: \`${line.trim()}\` ${why}`);
      if (options.keepUnresolved) {
        out.lines.push(`${m[1]} ${pattern}`);
        out.origins.push(`${path}:${i + 1}`);
      }
    };
    if (matched.length === 0) unresolved("names no file the import could read (only /etc/keepalived is read): what it includes is not in the program");
    else if (depth >= 8) unresolved("is nested deeper than 8 levels of includes: not followed");
    else
      for (const f of matched) {
        const inner = expand(files, f, options, depth + 1);
        out.lines.push(...inner.lines);
        out.origins.push(...inner.origins);
      }
  });
  return out;
}

/** The file at `path` with its includes expanded in place, line by line, with each line's origin. */
export function expandWithOrigins(files: Readonly<Record<string, string>>, path = KEEPALIVED_CONF, options: ExpandOptions = {}): Expanded {
  return expand(files, path, options, 0);
}

/** The main file with its includes expanded in place, as keepalived reads it. */
export function expandIncludes(files: Readonly<Record<string, string>>, path = KEEPALIVED_CONF, warnings: string[] = []): string {
  return expand(files, path, { warnings }, 0).lines.join("\n");
}
