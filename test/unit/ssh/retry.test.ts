import {
  HostKeyMismatchError,
  RemoteCommandError,
  RetryExhaustedError,
  SshAuthError,
  SshDialError,
} from "../../../provider/ssh/errors";
import { backoffDelay, isTransientDialError, withRetry, type RetryOptions } from "../../../provider/ssh/retry";

function errno(code: string, message = `connect ${code} 127.0.0.1:2201`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** Options with a fake clock: records requested delays, never waits. */
function fake(over: Partial<RetryOptions> = {}) {
  const sleeps: number[] = [];
  const logs: string[] = [];
  const opts: RetryOptions = {
    attempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 250,
    isRetryable: isTransientDialError,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    log: (m) => logs.push(m),
    ...over,
  };
  return { opts, sleeps, logs };
}

describe("backoffDelay", () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [10, 1000],
  ])("after %d failure(s) waits %d ms (base 100, cap 1000)", (failures, ms) => {
    expect(backoffDelay(failures, 100, 1000)).toBe(ms);
  });
});

describe("withRetry", () => {
  it("returns the first success and logs attempt n of N", async () => {
    const { opts, sleeps, logs } = fake();
    let calls = 0;
    const result = await withRetry(
      "connect lab@127.0.0.1:2201",
      async (attempt) => {
        calls++;
        if (attempt < 3) throw errno("ECONNREFUSED");
        return "ok";
      },
      opts,
    );
    expect(result).toBe("ok");
    expect(calls).toBe(3);
    expect(sleeps).toEqual([100, 200]);
    expect(logs.filter((l) => /attempt \d of 4$/.test(l))).toEqual([
      "connect lab@127.0.0.1:2201: attempt 1 of 4",
      "connect lab@127.0.0.1:2201: attempt 2 of 4",
      "connect lab@127.0.0.1:2201: attempt 3 of 4",
    ]);
  });

  it("caps the backoff and wraps the last error with the attempt count", async () => {
    const { opts, sleeps } = fake();
    const p = withRetry("boot wait", async () => Promise.reject(errno("ETIMEDOUT")), opts);
    await expect(p).rejects.toBeInstanceOf(RetryExhaustedError);
    await expect(p).rejects.toThrow(/boot wait: failed after 4 attempts: connect ETIMEDOUT/);
    expect(sleeps).toEqual([100, 200, 250]);
  });

  it("turns an exhausted dial error into an SshDialError that names the count", async () => {
    const { opts } = fake({ attempts: 3 });
    const dial = new SshDialError({ target: "root@127.0.0.1:2201", reason: "connect ECONNREFUSED 127.0.0.1:2201", transient: true });
    const p = withRetry("connect root@127.0.0.1:2201", async () => Promise.reject(dial), opts);
    await expect(p).rejects.toBeInstanceOf(SshDialError);
    await expect(p).rejects.toThrow(/could not connect to root@127\.0\.0\.1:2201 after 3 attempts: connect ECONNREFUSED/);
  });

  it("keeps the proxy: label when a jump host dial is exhausted", async () => {
    const { opts } = fake({ attempts: 2 });
    const dial = new SshDialError({ target: "root@127.0.0.1:2202", reason: "connect ECONNRESET", transient: true }).labelledHop("proxy");
    await expect(withRetry("x", async () => Promise.reject(dial), opts)).rejects.toThrow(/^proxy: could not connect .* after 2 attempts/);
  });

  const finalErrors: Array<[string, () => unknown]> = [
    ["auth", () => new SshAuthError({ target: "root@h:22", methodsOffered: ["publickey"], methodsAccepted: ["publickey"] })],
    ["host key", () => new HostKeyMismatchError({ target: "root@h:22", host: "h", port: 22, expected: "SHA256:a", presented: "SHA256:b", source: "pinned" })],
    ["command", () => new RemoteCommandError({ target: "root@h:22", command: "false", exitCode: 1, stderr: "" })],
    ["non-transient dial", () => new SshDialError({ target: "root@h:22", reason: "getaddrinfo ENOTFOUND h", transient: false })],
    ["plain error", () => new Error("something else")],
    ["not an error", () => "string thrown"],
  ];
  it.each(finalErrors)("never retries a %s error and rethrows it unchanged", async (_name, make) => {
    const { opts, sleeps } = fake();
    const err = make();
    let calls = 0;
    await expect(
      withRetry(
        "x",
        async () => {
          calls++;
          throw err;
        },
        opts,
      ),
    ).rejects.toBe(err);
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
  });
});

describe("isTransientDialError", () => {
  it.each([
    [errno("ECONNREFUSED"), true],
    [errno("ECONNRESET"), true],
    [errno("ETIMEDOUT"), true],
    [errno("EHOSTUNREACH"), true],
    [new Error("Timed out while waiting for handshake"), true],
    [new Error("Connection lost before handshake"), true],
    [errno("ENOTFOUND"), false],
    [new Error("All configured authentication methods failed"), false],
    [new Error("Host denied (verification failed)"), false],
  ])("%s → %s", (err, transient) => {
    expect(isTransientDialError(err)).toBe(transient);
  });
});
