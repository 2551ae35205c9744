import { readFileSync } from "fs";
import { join } from "path";
import { steadyLoopResult } from "../../support/steadyClient";

// Captured from the lab's client (curl 7.88.1): four requests answered by rs1, then two to
// an address nobody holds, each timed out after 1 s (curl's exit 28, http_code 000).
const captured = readFileSync(join(__dirname, "../../fixtures/curl/steady-loop.txt"), "utf8");

describe("steadyLoopResult", () => {
  it("counts answers by body and timeouts as failed, and keeps the slowest answered time", () => {
    const result = steadyLoopResult(captured);
    expect(result.ok).toBe(4);
    expect(result.failed).toBe(2);
    expect(Object.fromEntries(result.answers)).toEqual({ rs1: 4, FAILED: 2 });
    expect(result.slowestAnsweredMs).toBe(34);
  });

  it("takes an answer other than 200 as failed, whatever its body", () => {
    const out = "Service Unavailable\n\n@@pulumi-lvs-request 0 503 0.004\nrs2\n\n@@pulumi-lvs-request 0 200 1.2505\n";
    const result = steadyLoopResult(out);
    expect(Object.fromEntries(result.answers)).toEqual({ FAILED: 1, rs2: 1 });
    expect(result.slowestAnsweredMs).toBe(1251);
  });

  it("counts nothing in an empty output", () => {
    expect(steadyLoopResult("")).toEqual({ ok: 0, failed: 0, answers: new Map(), slowestAnsweredMs: 0 });
  });
});
