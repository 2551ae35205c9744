// Dial retries against a port nobody listens on: the kernel refuses the TCP connect, no
// SSH server is involved. Everything that needs sshd (sharing, session limits, idle close,
// broken connections, host keys, authentication, jump hosts) is tested against the lab's
// real sshd in test/integration/ssh-pool.test.ts and ssh.test.ts.

import { createServer, type AddressInfo } from "net";
import { SshDialError } from "../../../provider/ssh/errors";
import { exec } from "../../../provider/ssh/exec";
import { configureSshPool, resetSshPool, sshPoolStats, type SshPoolConfig } from "../../../provider/ssh/pool";
import { errorOf } from "../../support/errorOf";

let saved: SshPoolConfig;
const sleeps: number[] = [];


beforeAll(() => {
  saved = configureSshPool({
    dialBaseDelayMs: 1,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
});
beforeEach(async () => {
  await resetSshPool();
  sleeps.length = 0;
});
afterAll(async () => {
  configureSshPool(saved);
  await resetSshPool();
});

describe("dialing", () => {
  it("retries a refused TCP connect with backoff, then reports the attempt count", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const previous = configureSshPool({ dialAttempts: 3 });
    try {
      const err = await errorOf(exec({ host: "127.0.0.1", port: closedPort, password: "unused" }, ["true"]));
      expect(err).toBeInstanceOf(SshDialError);
      expect(err.message).toMatch(/after 3 attempts: connect ECONNREFUSED/);
      expect(sleeps).toEqual([1, 2]);
      expect(sshPoolStats().dials).toBe(3);
    } finally {
      configureSshPool({ dialAttempts: previous.dialAttempts });
    }
  });
});
