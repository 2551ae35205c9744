// A real reboot of a lab VM, and the wait for it to come back. Used by every test that
// proves something survives a reboot (reboot.test.ts: IPVS rules, a Director, an ARP configuration, on three hosts at once).

import { exec, type SshConnectionInput } from "../../provider/ssh";

async function bootId(connection: SshConnectionInput): Promise<string | undefined> {
  try {
    const result = await exec(connection, ["cat", "/proc/sys/kernel/random/boot_id"], { timeoutMs: 10_000 });
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  } catch {
    return undefined; // down, booting, or sshd not up yet
  }
}

/**
 * Reboots the host for real (systemd, kernel, firmware: the VM resets) and resolves once
 * it answers SSH with a new boot id and systemd has finished starting units.
 * A lab VM's reboot takes about a minute (test/lab/lab.sh restarts a rebooting guest in a
 * fresh qemu); the wait allows for both cores being busy with other work.
 */
export async function rebootAndWait(
  connection: SshConnectionInput,
  timeoutMs = 600_000,
): Promise<{ bootIdBefore: string; bootIdAfter: string }> {
  const before = await bootId(connection);
  if (!before) throw new Error("cannot read the boot id before rebooting");
  // Reboot a moment after this command returns, so the exec completes cleanly.
  await exec(connection, ["systemd-run", "--on-active=1", "--timer-property=AccuracySec=100ms", "systemctl", "reboot"]);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 3000));
    const now = await bootId(connection);
    if (now && now !== before) {
      await exec(connection, ["systemctl", "is-system-running", "--wait"], { timeoutMs: 120_000 });
      return { bootIdBefore: before, bootIdAfter: now };
    }
  }
  throw new Error(`the host did not come back from its reboot within ${timeoutMs / 1000}s`);
}
