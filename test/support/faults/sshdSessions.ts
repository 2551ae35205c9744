// Dropping the SSH connections a run holds, for real: a control session per lab host, over
// the system's OpenSSH client (its own TCP connection and its own sshd session, host key
// pinned from the lab inventory), that on demand SIGKILLs every other sshd session process
// on the host. The provider's connections then die mid-command, as they do when a VPN drops.

import { spawn, type ChildProcessWithoutNullStreams } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { renderCommandLine } from "../../../provider/ssh";
import { labHost, loadLabInventory } from "../lab";

// Constant: the session's own ancestors (its sshd session process among them) are spared.
const KILLER = `anc=" "; p=$$
while [ "$p" -gt 1 ]; do anc="$anc$p "; p=$(cut -d' ' -f4 "/proc/$p/stat"); done
echo ready
while read -r _; do
  n=0
  for p in $(pgrep -f '^sshd: [^ ]+@notty'); do
    case "$anc" in *" $p "*) continue ;; esac
    kill -KILL "$p" 2>/dev/null && n=$((n + 1))
  done
  echo "dropped $n"
done`;

export class SshdSessionKiller {
  private readonly dir = mkdtempSync(join(tmpdir(), "lvs-killer-"));
  private readonly sessions = new Map<string, { child: ChildProcessWithoutNullStreams; lines: string[]; waiters: Array<(line: string) => void> }>();

  /** The lab host whose SSH endpoint is `target` ("user@127.0.0.1:2201", as the pool names it). */
  static hostOf(target: string): string {
    const port = Number(/:(\d+)$/.exec(target)?.[1]);
    const host = loadLabInventory().hosts.find((h) => h.ssh.port === port);
    if (!host) throw new Error(`no lab host listens on ${target}`);
    return host.name;
  }

  /** Kills every sshd session on `host` but the control one; resolves with how many died. */
  async drop(host: string): Promise<number> {
    const session = await this.session(host);
    const answer = this.next(session);
    session.child.stdin.write("drop\n");
    return Number(/dropped (\d+)/.exec(await answer)?.[1] ?? "0");
  }

  close(): void {
    for (const { child } of this.sessions.values()) child.kill("SIGTERM");
    this.sessions.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private next(session: { lines: string[]; waiters: Array<(line: string) => void> }): Promise<string> {
    const line = session.lines.shift();
    return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => session.waiters.push(resolve));
  }

  private async session(host: string) {
    const existing = this.sessions.get(host);
    if (existing && existing.child.exitCode === null) return existing;
    const h = labHost(host);
    const knownHosts = join(this.dir, `known_hosts_${host}`);
    writeFileSync(knownHosts, `[${h.ssh.host}]:${h.ssh.port} ${h.hostKey}\n`);
    const child = spawn("ssh", [
      "-T", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`,
      "-o", "ServerAliveInterval=10", "-i", loadLabInventory().sshKey.privateKeyPath, "-p", String(h.ssh.port),
      `root@${h.ssh.host}`, renderCommandLine(["sh", "-c", KILLER]),
    ]);
    const session = { child, lines: [] as string[], waiters: [] as Array<(line: string) => void> };
    let buffered = "";
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        const waiter = session.waiters.shift();
        if (waiter) waiter(line);
        else session.lines.push(line);
      }
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    this.sessions.set(host, session);
    const ready = await Promise.race([
      this.next(session),
      new Promise<string>((resolve) => child.on("exit", (code) => resolve(`exit ${code}: ${stderr}`))),
    ]);
    if (ready !== "ready") throw new Error(`the control session to ${host} did not start: ${ready}`);
    return session;
  }
}
