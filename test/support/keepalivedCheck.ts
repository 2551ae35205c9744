// The real `keepalived -t` as a test oracle. keepalived 2.2.7 checks a configuration
// against the host it runs on: it refuses interfaces that do not exist (and cannot use
// `lo` for VRRP), so each jest worker gets a network namespace of its own holding the
// interfaces the test configs name (eth1..eth3: veth pairs, both ends inside it, so
// deleting the namespace removes everything). Needs root, as the lab does.
//
// What keepalived -t was seen to do: exit 0 and print nothing for a valid tree; exit 5
// with `(<file>: Line N) <complaint>` lines for errors, and for many warnings too (a value
// it clamps or drops). Some problems are only printed, with exit 0 (an include that
// matches nothing), so `complaints` collects every line a valid tree must not produce.
// Some are not even printed (a script that does not exist), and some kill it (exit 143).

import { spawnSync } from "child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { constants, tmpdir } from "os";
import { dirname, join } from "path";

export const CHECK_NAMESPACE = `lvs-kacheck-${process.pid}`;
/** Interfaces that exist inside the namespace; configs may name these. */
export const CHECK_INTERFACES = ["eth1", "eth2", "eth3"] as const;

let ready = false;

/** Exit status as a shell reports it: 128 + the signal's number when killed (keepalived -t can kill itself). */
function run(argv: string[]): { status: number; output: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", cwd: "/" });
  if (r.error) throw r.error;
  const killed = r.signal ? `(killed by ${r.signal})\n` : "";
  return { status: r.status ?? 128 + (r.signal ? constants.signals[r.signal] : 0), output: `${r.stdout}${r.stderr}${killed}` };
}

function must(argv: string[]): void {
  const r = run(argv);
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}: ${r.output.trim()}`);
}

function namespaceExists(): boolean {
  return run(["ip", "netns", "list"]).output.split("\n").some((l) => l.split(" ")[0] === CHECK_NAMESPACE);
}

function ensureNamespace(): void {
  if (ready) return;
  // One left behind by a crashed run of a process with the same pid: start clean.
  if (namespaceExists()) must(["ip", "netns", "del", CHECK_NAMESPACE]);
  must(["ip", "netns", "add", CHECK_NAMESPACE]);
  const ns = ["ip", "-n", CHECK_NAMESPACE];
  CHECK_INTERFACES.forEach((name, i) => {
    const peer = `kac${i + 1}a`;
    must([...ns, "link", "add", name, "type", "veth", "peer", "name", peer]);
    must([...ns, "link", "set", peer, "up"]);
    must([...ns, "link", "set", name, "up"]);
  });
  must([...ns, "link", "set", "lo", "up"]);
  ready = true;
}

/** Deletes this worker's namespace (and its veth pairs). Call from afterAll. */
export function removeKeepalivedNamespace(): void {
  if (namespaceExists()) must(["ip", "netns", "del", CHECK_NAMESPACE]);
  ready = false;
}

export interface KeepalivedCheck {
  exitCode: number;
  /** stdout and stderr, with the temporary directory replaced by `<tree>/`. */
  output: string;
}

/**
 * Writes `files` (paths relative to the tree) to a temporary directory and runs
 * `keepalived -t -f <tree>/<mainFile>` from `/` inside the namespace, so relative
 * includes resolve as they do on a node (against the including file's directory).
 */
export function validateWithKeepalived(files: Record<string, string>, mainFile = "keepalived.conf"): KeepalivedCheck {
  ensureNamespace();
  const tree = mkdtempSync(join(tmpdir(), "kacheck-"));
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), content);
    }
    const r = run(["ip", "netns", "exec", CHECK_NAMESPACE, "unshare", "--pid", "--fork", "keepalived", "-t", "-f", join(tree, mainFile)]);
    return { exitCode: r.status, output: r.output.split(`${tree}/`).join("<tree>/") };
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

/**
 * The lines of keepalived's output that a config we render must never produce: anything
 * keepalived printed. A valid tree prints nothing at all (seen with 2.2.7), so every line
 * is either an error, a warning about something we wrote, or news worth a look.
 */
export function complaints(check: KeepalivedCheck): string[] {
  return check.output.split("\n").filter((l) => l.trim() !== "");
}
