// What dialOnce hands ssh2, checked against an in-process SSH server (no lab).

import { Client, type ConnectConfig } from "ssh2";
import { keepaliveSettings } from "../../../provider/ssh/dial";
import { exec } from "../../../provider/ssh/exec";
import { configureSshPool, resetSshPool, type SshPoolConfig } from "../../../provider/ssh/pool";
import { startInProcessSshd, type InProcessSshd } from "../../support/inProcessSshd";

let target: InProcessSshd;
let jump: InProcessSshd;
let saved: SshPoolConfig;

beforeAll(async () => {
  saved = configureSshPool({ dialAttempts: 1 });
  target = await startInProcessSshd({ passwords: { lab: "target-pw" } });
  jump = await startInProcessSshd({ passwords: { hop: "jump-pw" }, allowForwarding: true });
});
afterEach(async () => {
  jest.restoreAllMocks();
  await resetSshPool();
});
afterAll(async () => {
  configureSshPool(saved);
  await Promise.all([target.close(), jump.close()]);
});

describe("keepaliveSettings", () => {
  it.each([
    [300_000, 15_000],
    [160_000, 10_000],
    [16_000, 1_000],
    [1_000, 1_000],
    [2_147_483_647, 15_000],
  ])("commandMs %d → a ping every %d ms, 3 unanswered pings allowed", (commandMs, interval) => {
    const s = keepaliveSettings({ connectMs: 20_000, commandMs });
    expect(s).toEqual({ keepaliveInterval: interval, keepaliveCountMax: 3 });
    // A dead peer is declared within (countMax + 1) pings: never more than a minute, and
    // within a quarter of the command timeout whenever pings can be that frequent.
    const detectMs = (s.keepaliveCountMax + 1) * s.keepaliveInterval;
    expect(detectMs).toBeLessThanOrEqual(60_000);
    if (commandMs >= 16_000) expect(detectMs).toBeLessThanOrEqual(commandMs / 4);
  });
});

describe("dialOnce", () => {
  it("sets ssh2's keepalive on the target and on the jump host, each from its own timeouts", async () => {
    const configs: ConnectConfig[] = [];
    const connect = Client.prototype.connect;
    jest.spyOn(Client.prototype, "connect").mockImplementation(function (this: Client, config: ConnectConfig) {
      configs.push(config);
      return connect.call(this, config);
    });
    const result = await exec(
      {
        host: "127.0.0.1",
        port: target.port,
        user: "lab",
        password: "target-pw",
        hostKey: target.hostKey.line,
        timeouts: { commandMs: 40_000 },
        proxy: { host: "127.0.0.1", port: jump.port, user: "hop", password: "jump-pw", hostKey: jump.hostKey.fingerprint },
      },
      ["true"],
      { sudo: false },
    );
    expect(result.exitCode).toBe(0);
    expect(configs.map((c) => [c.username, c.keepaliveInterval, c.keepaliveCountMax])).toEqual([
      ["hop", 15_000, 3],
      ["lab", 2_500, 3],
    ]);
  });
});
