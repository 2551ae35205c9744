// What the keepalived suites look at on the lab: who holds a VIP, what keepalived put in a
// director's live IPVS table, a client loop through the VIP, and what scripts keepalived
// ran (a recorder script each test installs on the directors).

import { getVrrpStatus } from "../../provider/keepalived/vrrpStatus";
import { run } from "../../provider/ssh";
import { labConnection, labHost } from "./lab";
import type { Deployed, ProviderUnderTest } from "./providerSteps";

export const DIRECTORS = ["dir1", "dir2"] as const;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 250 ms until it returns true; resolves with the elapsed ms. */
export async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await probe()) return Date.now() - start;
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Which director(s) hold `vip` ("dir1", "dir2", "dir1+dir2"), or undefined. */
export async function vipHolder(vip: string): Promise<string | undefined> {
  const status = await getVrrpStatus([labConnection("dir1"), labConnection("dir2")], { vips: [vip] });
  const names = status.nodes.filter((n) => n.vipsHeld.includes(vip)).map((n) => (n.host.includes(String(labHost("dir1").ssh.port)) ? "dir1" : "dir2"));
  return names.join("+") || undefined;
}

/** The real servers (address, or address:weight with `weights`) keepalived put under `protocol vip:port` in a director's live IPVS table. */
export async function liveRealServers(director: string, vip: string, port: number, options: { protocol?: "tcp" | "udp"; weights?: boolean } = {}): Promise<string[]> {
  const flag = options.protocol === "udp" ? "-u" : "-t";
  const out = (await run(labConnection(director), ["ipvsadm", "-S", "-n"])).stdout;
  return out
    .split("\n")
    .filter((l) => l.startsWith(`-a ${flag} ${vip}:${port} `))
    .map((l) => {
      const words = l.split(" ");
      const address = words[words.indexOf("-r") + 1]!.split(":")[0]!;
      return options.weights ? `${address}:${words[words.indexOf("-w") + 1]}` : address;
    })
    .sort();
}

/**
 * Who answers `url` over `requests` requests from the client, one after another, each given
 * `maxSeconds`: each answer's body (the lab's web servers answer with their name) and how
 * often, "FAILED" for a request that got none.
 */
export async function answersTo(url: string, requests: number, maxSeconds: number): Promise<Map<string, number>> {
  const script = 'for i in $(seq "$1"); do curl -sk --max-time "$3" "$2" || echo FAILED; done';
  const out = (await run(labConnection("client"), ["sh", "-c", script, "answers", String(requests), url, String(maxSeconds)])).stdout;
  const counts = new Map<string, number>();
  for (const line of out.split("\n").filter((l) => l.length > 0)) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

/**
 * Deletes what a suite deployed as the engine destroys: each layer's resources together (a
 * pair's real servers then go in one apply), a layer only once the one before it is gone.
 * Deleted entries leave `stack`.
 */
export async function destroyInLayers(stack: Array<[ProviderUnderTest, Deployed]>, layers: readonly ProviderUnderTest[][]): Promise<void> {
  for (const layer of layers) {
    const now = stack.filter(([p]) => layer.includes(p));
    await Promise.all(now.map(([p, d]) => p.delete(d.id, d.state)));
    for (const entry of now) stack.splice(stack.indexOf(entry), 1);
  }
}

/** The client's answers: how many were answered and how many failed, and who answered. */
export interface ClientLoopResult {
  ok: number;
  failed: number;
  answers: Map<string, number>;
}

function countAnswers(out: string): ClientLoopResult {
  const answers = new Map<string, number>();
  let ok = 0;
  let failed = 0;
  for (const line of out.split("\n").filter((l) => l.length > 0)) {
    if (line === "FAILED") failed++;
    else ok++;
    answers.set(line, (answers.get(line) ?? 0) + 1);
  }
  return { ok, failed, answers };
}

/** One `curl` every 100 ms, each given $3 seconds, until $1 (epoch seconds) or until the file $4 exists. */
const LOOP_SCRIPT =
  'end=$(($(date +%s) + $1)); while [ "$(date +%s)" -lt "$end" ] && { [ -z "$4" ] || [ ! -e "$4" ]; }; do curl -sk --max-time "$3" "$2" || echo FAILED; echo; sleep 0.1; done; [ -z "$4" ] || rm -f "$4"';

/**
 * A request loop on the client: one `curl` of `url` every 100 ms, each given `maxSeconds`,
 * for `seconds`. How many were answered and how many failed, and who answered.
 */
export async function clientLoop(url: string, seconds: number, maxSeconds = 1): Promise<ClientLoopResult> {
  return countAnswers((await run(labConnection("client"), ["sh", "-c", LOOP_SCRIPT, "loop", String(seconds), url, String(maxSeconds), ""], { timeoutMs: (seconds + 30) * 1000 })).stdout);
}

/**
 * The request loop of clientLoop around `work`: it starts before `work` and stops once
 * `work` has settled and `tailSeconds` more have passed (at most after `limitSeconds`), so
 * it covers the whole of a step whose length the lab decides. `work`'s error, if any, is
 * thrown after the loop has stopped.
 */
export async function clientLoopDuring<T>(url: string, work: () => Promise<T>, opts: { tailSeconds?: number; limitSeconds?: number } = {}): Promise<ClientLoopResult & { result: T; workSeconds: number }> {
  const limit = opts.limitSeconds ?? 900;
  const stopFile = `/tmp/pulumi-lvs-test-loop-stop.${process.pid}.${Date.now()}`;
  const loop = run(labConnection("client"), ["sh", "-c", LOOP_SCRIPT, "loop", String(limit), url, "1", stopFile], { timeoutMs: (limit + 30) * 1000 });
  const started = Date.now();
  const outcome = await work().then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  const workSeconds = (Date.now() - started) / 1000;
  await sleep((opts.tailSeconds ?? 5) * 1000);
  await run(labConnection("client"), ["touch", stopFile]);
  const counted = countAnswers((await loop).stdout);
  if ("error" in outcome) throw outcome.error;
  return { ...counted, result: outcome.result, workSeconds };
}

/** VRRP state changes keepalived logged on `host` since `since` (the host's own epoch seconds). */
export async function vrrpTransitions(host: string, since: number): Promise<number> {
  const script = 'journalctl -q -o cat -u keepalived --since "@$1" | grep -c "Entering [A-Z]* STATE" || true';
  return Number((await run(labConnection(host), ["sh", "-c", script, "transitions", String(since)])).stdout.trim());
}

/**
 * A script for keepalived to run (notify, quorum_up/down, notify_up/down): it appends its
 * arguments to a log, one line per run, so a test can assert what ran, where and in what
 * order. Installed root-owned and not writable by others, as keepalived's
 * enable_script_security requires.
 */
export const RECORDER = "/usr/local/sbin/pulumi-lvs-test-record";
const RECORD_LOG = "/run/pulumi-lvs-test-record.log";

export async function installRecorder(hosts: readonly string[]): Promise<void> {
  const body = `#!/bin/sh\necho "$*" >>${RECORD_LOG}\n`;
  for (const h of hosts) await run(labConnection(h), ["sh", "-c", 'printf "%s" "$1" >"$2" && chmod 0755 "$2" && rm -f "$3"', "install", body, RECORDER, RECORD_LOG]);
}

/** The lines the recorder wrote on `host`, oldest first. */
export async function recorded(host: string): Promise<string[]> {
  const out = (await run(labConnection(host), ["sh", "-c", 'cat "$1" 2>/dev/null || true', "read", RECORD_LOG])).stdout;
  return out.split("\n").filter((l) => l.length > 0);
}

export async function removeRecorder(hosts: readonly string[]): Promise<void> {
  for (const h of hosts) await run(labConnection(h), ["rm", "-f", RECORDER, RECORD_LOG]);
}

/**
 * A long-lived TCP connection through a VIP: the client reads `url`, a page the real server
 * writes a line at a time (STREAM_CGI), in a transient unit on the client so it outlives the
 * SSH command that started it; the body is counted in a file and curl's exit code written
 * when it ends. The client ACKs every line through the director, so a director that takes
 * over without the connection in its table answers the next ACK with a reset.
 */
export async function startStream(name: string, url: string): Promise<void> {
  const script = 'curl -sS -N -o "/run/lvs-stream-$1.out" "$2" 2>"/run/lvs-stream-$1.err"; echo $? >"/run/lvs-stream-$1.rc"';
  await run(labConnection("client"), ["sh", "-c", 'systemctl stop "lvs-stream-$1" 2>/dev/null; rm -f "/run/lvs-stream-$1".*; true', "reset", name]);
  await run(labConnection("client"), ["systemd-run", `--unit=lvs-stream-${name}`, "--collect", "--", "sh", "-c", script, "stream", name, url]);
}

/**
 * A CGI for the lab's busybox httpd: `?N` writes N lines, one every 0.02 s. Often, because a
 * DR director sees only the client's half of a connection and the sync daemon sends an
 * established connection again only every 50 of those packets (net.ipv4.vs.sync_period).
 */
export const STREAM_CGI = '#!/bin/sh\necho "Content-Type: text/plain"\necho\ni=0\nwhile [ "$i" -lt "${QUERY_STRING:-10}" ]; do echo "line $i"; i=$((i + 1)); sleep 0.02; done\n';

/** Installs STREAM_CGI as /cgi-bin/stream on the real servers' web server. */
export async function installStreamCgi(hosts: readonly string[]): Promise<void> {
  for (const h of hosts) await run(labConnection(h), ["sh", "-c", 'mkdir -p /var/www/lab/cgi-bin && printf "%b" "$1" >/var/www/lab/cgi-bin/stream && chmod 0755 /var/www/lab/cgi-bin/stream', "install", STREAM_CGI]);
}

/** The IPVS connection sync daemons running in a director's kernel (`ipvsadm -L --daemon`), one line each. */
export async function syncDaemons(director: string): Promise<string[]> {
  return (await run(labConnection(director), ["ipvsadm", "-L", "--daemon"])).stdout.split("\n").filter((l) => l.length > 0);
}

export async function removeStreamCgi(hosts: readonly string[]): Promise<void> {
  for (const h of hosts) await run(labConnection(h), ["rm", "-rf", "/var/www/lab/cgi-bin"]);
}

export interface StreamState {
  bytes: number;
  /** curl's exit code once it has ended (0: the whole body arrived; 56: reset). */
  exitCode?: number;
  error: string;
}

export async function streamState(name: string): Promise<StreamState> {
  const script = 'stat -c %s "/run/lvs-stream-$1.out" 2>/dev/null || echo 0; cat "/run/lvs-stream-$1.rc" 2>/dev/null || echo running; cat "/run/lvs-stream-$1.err" 2>/dev/null; true';
  const [bytes, rc, ...error] = (await run(labConnection("client"), ["sh", "-c", script, "state", name])).stdout.split("\n");
  return { bytes: Number(bytes), ...(rc === "running" ? {} : { exitCode: Number(rc) }), error: error.join(" ").trim() };
}

/** Whether the stream is alive: not ended in error, and receiving (its byte count grows over 2 s). */
export async function streamAlive(name: string): Promise<{ alive: boolean; state: StreamState }> {
  const before = await streamState(name);
  await sleep(2000);
  const state = await streamState(name);
  return { alive: state.exitCode === 0 || (state.exitCode === undefined && state.bytes > before.bytes), state };
}

export async function stopStreams(names: readonly string[]): Promise<void> {
  for (const name of names) await run(labConnection("client"), ["sh", "-c", 'systemctl stop "lvs-stream-$1" 2>/dev/null; rm -f "/run/lvs-stream-$1".*; true', "stop", name]);
}
