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

function requireSafe(path: string): void {
  if (!SAFE_PATH.test(path) || path.split("/").some((c) => c === "." || c === "..")) {
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
 * took a change when the other node refuses it). A removed tree is restored file by file
 * from what the caller read before.
 */
export function inverseOps(ops: readonly FileOp[], previous: readonly PreviousFile[]): FileOp[] {
  const before = new Map(previous.map((p) => [p.path, p.content]));
  const inverse: FileOp[] = [];
  for (const o of [...ops].reverse()) {
    const content = before.get(o.path);
    if (content !== undefined) inverse.push({ op: "write", path: o.path, content });
    else if (o.op === "write") inverse.push({ op: "remove", path: o.path });
  }
  return inverse;
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
