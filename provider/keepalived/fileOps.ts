// A change to a node's generation as data: which files to write and remove. Pure, so the
// plan for a resource can be computed, shown and inverted without a host.

export type FileOp =
  | { op: "write"; path: string; content: string }
  | { op: "remove"; path: string }
  | { op: "removetree"; path: string };

/** What a file was before a change: its content, or absent. */
export interface PreviousFile {
  path: string;
  content?: string;
}

const SAFE_PATH = /^[A-Za-z0-9_.@%+=,-]+(\/[A-Za-z0-9_.@%+=,-]+)*$/;

/** A relative path the apply script accepts: no `..`, `.`, empty components or unusual characters. */
export function isSafeFilePath(path: string): boolean {
  return SAFE_PATH.test(path) && !path.split("/").some((c) => c === "." || c === "..");
}

function requireSafe(path: string): void {
  if (!isSafeFilePath(path)) {
    throw new Error(`refusing keepalived file path "${path}": relative, without .. or unusual characters`);
  }
}

/** The ops as the apply script reads them on stdin: one line each, contents in base64. */
export function encodeOps(ops: readonly FileOp[]): string {
  return ops
    .map((o) => {
      requireSafe(o.path);
      return o.op === "write" ? `write ${o.path} ${Buffer.from(o.content, "utf8").toString("base64")}\n` : `${o.op} ${o.path}\n`;
    })
    .join("");
}

/** The files as they were before, from the apply script's `previous`/`absent` lines. */
export function parsePreviousFiles(stdout: string): PreviousFile[] {
  const previous: PreviousFile[] = [];
  for (const line of stdout.split("\n")) {
    const [tag, path, data] = line.split(" ");
    if (tag === "previous" && path) previous.push({ path, content: Buffer.from(data ?? "", "base64").toString("utf8") });
    else if (tag === "absent" && path) previous.push({ path });
  }
  return previous;
}

/**
 * The ops that put the files back as they were (used to roll back a node that already
 * took a change when the other node refuses it). A removed tree is written back file by
 * file from what was under it before. Applying them to a node that never took the change
 * is harmless: the result is the same files.
 */
export function inverseOps(ops: readonly FileOp[], previous: readonly PreviousFile[]): FileOp[] {
  const before = new Map(previous.map((p) => [p.path, p.content]));
  const inverse: FileOp[] = [];
  for (const o of [...ops].reverse()) {
    if (o.op === "removetree") {
      // Names the layout never makes (a file placed there by hand) are not ours to put back.
      const under = previous.filter((p) => p.path.startsWith(`${o.path}/`) && p.content !== undefined && isSafeFilePath(p.path));
      inverse.push(...under.map((p): FileOp => ({ op: "write", path: p.path, content: p.content! })));
      continue;
    }
    const content = before.get(o.path);
    if (content !== undefined) inverse.push({ op: "write", path: o.path, content });
    else if (o.op === "write") inverse.push({ op: "remove", path: o.path });
  }
  return inverse;
}

/** What the read script saw, as the files before a change (absent ones without content). */
export function previousFromRead(files: ReadonlyMap<string, string | undefined>): PreviousFile[] {
  return [...files].map(([path, content]) => (content === undefined ? { path } : { path, content }));
}

/** `file <path> <base64>` / `absent <path>` lines of the read script. */
export function parseReadFiles(stdout: string): { files: Map<string, string | undefined>; main: "ours" | "foreign" | "absent" } {
  const files = new Map<string, string | undefined>();
  let main: "ours" | "foreign" | "absent" = "absent";
  for (const line of stdout.split("\n")) {
    const [tag, a, b] = line.split(" ");
    if (tag === "file" && a) files.set(a, Buffer.from(b ?? "", "base64").toString("utf8"));
    else if (tag === "absent" && a) files.set(a, undefined);
    else if (tag === "main" && (a === "ours" || a === "foreign" || a === "absent")) main = a;
  }
  return { files, main };
}

/** The read-adopted script's `file <base64 path> <base64 content>` lines, by absolute path. */
export function parseAdoptedFiles(stdout: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const [tag, path, data] = line.split(" ");
    if (tag === "file" && path) files[Buffer.from(path, "base64").toString("utf8")] = Buffer.from(data ?? "", "base64").toString("utf8");
  }
  return files;
}
