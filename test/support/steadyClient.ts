// A steady client through a VIP, as an operator measures a failover: one curl process on the
// lab's client starts a request every 1/rate s (`--rate`), each on a new connection
// (`Connection: close`, so none rides an established one) and given `maxSeconds`. One
// process and no fork per request: the shell loop of keepalivedLab.clientLoop manages about
// two requests a second on the emulated client, this one the rate asked. Transfers are
// serial, so a request that waits across a failover holds the next ones back, as a real
// client's would.

import { run } from "../../provider/ssh";
import type { ClientLoopResult } from "./keepalivedLab";
import { labConnection } from "./lab";

export interface SteadyLoopResult extends ClientLoopResult {
  /** The longest an answered request took, in ms: one that waited across the failover. */
  slowestAnsweredMs: number;
}

/** Written by curl after each transfer (`-w`): on its own line, whatever the body was. */
const MARK = "@@pulumi-lvs-request";

/** What curl printed for a steady loop: each body, then its `MARK exitcode http_code time_total` line. Pure. */
export function steadyLoopResult(out: string): SteadyLoopResult {
  const answers = new Map<string, number>();
  let ok = 0;
  let failed = 0;
  let slowestAnsweredMs = 0;
  let body: string[] = [];
  for (const line of out.split("\n")) {
    if (!line.startsWith(`${MARK} `)) {
      if (line.length > 0) body.push(line);
      continue;
    }
    const [exitCode, httpCode, seconds] = line.slice(MARK.length + 1).split(" ");
    const answered = exitCode === "0" && httpCode === "200";
    const answer = answered ? body.join("\n") : "FAILED";
    if (answered) {
      ok++;
      slowestAnsweredMs = Math.max(slowestAnsweredMs, Math.round(Number(seconds) * 1000));
    } else failed++;
    answers.set(answer, (answers.get(answer) ?? 0) + 1);
    body = [];
  }
  return { ok, failed, answers, slowestAnsweredMs };
}

// Constant: the rate, the bound, the count and the URL come as arguments. A failed
// request is an outcome to count, so curl's exit status is not the script's.
const STEADY_LOOP = `curl -s --rate "$1/s" --max-time "$2" -H "Connection: close" -w "\\n${MARK} %{exitcode} %{http_code} %{time_total}\\n" "$4?request=[1-$3]"; true`;

/** `seconds` × `rate` requests of `url` (no query of its own) from the client, each given `maxSeconds`. */
export async function steadyClientLoop(url: string, seconds: number, opts: { rate?: number; maxSeconds?: number } = {}): Promise<SteadyLoopResult> {
  const rate = opts.rate ?? 10;
  const maxSeconds = opts.maxSeconds ?? 2;
  const requests = Math.round(seconds * rate);
  // Each request can take maxSeconds: the loop's worst case, plus the SSH session's margin.
  const timeoutMs = (requests * maxSeconds + 30) * 1000;
  return steadyLoopResult((await run(labConnection("client"), ["sh", "-c", STEADY_LOOP, "steady-loop", String(rate), String(maxSeconds), String(requests), url], { timeoutMs })).stdout);
}
