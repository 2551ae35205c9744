// exec's checks that run before any dial, and the argv it sends. Everything that needs a
// host (output, exit codes, signals, stdin, sudo, timeouts, logging) is tested against the
// lab's real sshd in test/integration/ssh-exec.test.ts.

import { parseSshConnection, type SshConnectionInput } from "../../../provider/ssh/connection";
import { ConnectionConfigError, UnsafeArgumentError } from "../../../provider/ssh/errors";
import { effectiveArgv, exec, redactCommandLine } from "../../../provider/ssh/exec";
import { configureSshPool, resetSshPool, sshPoolStats, type SshPoolConfig } from "../../../provider/ssh/pool";
import { renderCommandLine } from "../../../provider/ssh/quote";
import { errorOf } from "../../support/errorOf";

// Nothing listens on port 1: were a check below to let the command through, the dial
// would fail fast (one attempt) and the dial count would show it.
const unreachable: SshConnectionInput = { host: "127.0.0.1", port: 1, password: "unused" };
let saved: SshPoolConfig;


beforeAll(() => {
  saved = configureSshPool({ dialAttempts: 1 });
});
beforeEach(resetSshPool);
afterAll(async () => {
  configureSshPool(saved);
  await resetSshPool();
});

describe("exec, before dialing", () => {
  it("refuses NUL before dialing", async () => {
    await expect(exec(unreachable, ["echo", "a\0b"])).rejects.toBeInstanceOf(UnsafeArgumentError);
    expect(sshPoolStats().dials).toBe(0);
  });

  it("refuses an invalid connection before dialing, listing every problem", async () => {
    const err = await errorOf(exec({ host: "bad host", port: 0 }, ["true"]));
    expect(err).toBeInstanceOf(ConnectionConfigError);
    expect(err.message).toMatch(/connection\.host: .*\n.*connection\.port: /s);
    expect(sshPoolStats().dials).toBe(0);
  });
});

describe("effectiveArgv", () => {
  it("wraps argv in `sudo -n --` for non-root users, before quoting", () => {
    const lab = parseSshConnection({ ...unreachable, user: "lab" });
    const root = parseSshConnection(unreachable);
    const sent = (conn: typeof lab, sudo?: boolean) => renderCommandLine(effectiveArgv(conn, ["printf", "%s", "a b"], sudo));
    expect(effectiveArgv(lab, ["printf", "%s", "a b"])).toEqual(["sudo", "-n", "--", "printf", "%s", "a b"]);
    expect(sent(lab)).toBe("sudo -n -- printf %s 'a b'");
    expect(sent(lab, false)).toBe("printf %s 'a b'");
    expect(sent(root)).toBe("printf %s 'a b'");
    expect(sent(root, true)).toBe("sudo -n -- printf %s 'a b'");
  });
});

describe("redactCommandLine", () => {
  it("redacts an argument equal to a secret, bare or shell-quoted, and nothing else", () => {
    const line = renderCommandLine(["chpasswd", "--key", "k", "it's", "a b", "keep"]);
    expect(line).toBe("chpasswd --key k 'it'\\''s' 'a b' keep");
    expect(redactCommandLine(line, ["k", "it's", "a b"])).toBe("chpasswd --key [REDACTED] [REDACTED] [REDACTED] keep");
  });
});
