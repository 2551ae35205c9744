// A RealServerArpConfig batch that never got the registry's lock (issue 12): the error is
// HostLockTimeoutError naming the holder, not a failed step. The transport is replaced;
// the stderr is what the shared lock function prints (provider/resource/hostLock.ts).

jest.mock("../../../provider/ssh", () => ({
  ...jest.requireActual("../../../provider/ssh"),
  exec: jest.fn(),
}));

import { exec } from "../../../provider/ssh";
import { applyArpOps } from "../../../provider/arp/executor";
import { HostLockTimeoutError } from "../../../provider/resource/hostLock";

const connection = { host: "10.77.0.21", port: 22, user: "root" } as any;

it("maps a lock timeout to HostLockTimeoutError with the holder", async () => {
  (exec as jest.Mock).mockResolvedValue({
    exitCode: 75,
    stdout: "",
    stderr: "pulumi-lvs-lock-timeout: /run/pulumi-lvs/arp.lock is held by pid 4242 (pulumi-lvs-arp-register) since 2026-12-05T11:00:00Z\n",
  });
  const failure = applyArpOps(connection, [{ kind: "reloadSystemd" }]);
  await expect(failure).rejects.toBeInstanceOf(HostLockTimeoutError);
  await expect(failure).rejects.toThrow(/pid 4242/);
});

it("a step that failed under the lock is still an outcome naming the step", async () => {
  (exec as jest.Mock).mockResolvedValue({ exitCode: 1, stdout: "", stderr: "" });
  await expect(applyArpOps(connection, [{ kind: "reloadSystemd" }])).resolves.toMatchObject({ ok: false });
});
