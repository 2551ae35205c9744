// Typed errors of the Director. Each says what was attempted and on which host, what the
// host answered, and what to do next. Hosts are named by describeConnection only, so no
// credential can appear; stderr is trimmed as the transport trims it.

import { LvsError } from "../ssh";
import { trimStderr } from "../ssh/errors";
import { HostProbeParseError, HostStepError } from "../resource/hostStepErrors";

/** ipvsadm is not on the host (the shell answered 127) and installIpvsadm is off. */
export class IpvsadmMissingError extends LvsError {
  constructor(f: { host: string; packageManager: "apt" | "dnf" | "unknown" }) {
    const how =
      f.packageManager === "apt"
        ? "`apt-get install ipvsadm`"
        : f.packageManager === "dnf"
          ? "`dnf install ipvsadm`"
          : "your distribution's ipvsadm package (`apt-get install ipvsadm` on Debian/Ubuntu, `dnf install ipvsadm` on RHEL/Fedora)";
    super(
      `cannot prepare the director ${f.host}: ipvsadm is not installed there (\`ipvsadm --version\` answered "command not found", ` +
        `exit 127, on the PATH of the remote command). Install it with ${how}, ` +
        `or set \`installIpvsadm: true\` on the Director to let it install the package.`,
    );
  }
}

/** installIpvsadm was set, and the package manager failed. */
export class IpvsadmInstallError extends LvsError {
  constructor(f: { host: string; exitCode: number; stderr: string }) {
    super(
      `could not install ipvsadm on ${f.host} (installIpvsadm: true): the package manager exited with ${f.exitCode}` +
        `${f.exitCode === 3 ? " (neither apt-get nor dnf is there)" : ""}: ${trimStderr(f.stderr) || "(no output)"}. ` +
        `Check that the host can reach its package repositories, or install ipvsadm yourself and retry.`,
    );
  }
}

/** modprobe ip_vs failed: the kernel has no IPVS. */
export class IpvsModuleError extends LvsError {
  constructor(f: { host: string; stderr: string }) {
    super(
      `could not load the ip_vs kernel module on ${f.host}: modprobe said: ${trimStderr(f.stderr) || "(nothing)"}. ` +
        `A director needs a kernel built with IPVS (CONFIG_IP_VS); install the distribution's standard kernel and its modules, then retry.`,
    );
  }
}

/** A sysctl the inputs need does not exist on the host (usually: no such interface). */
export class MissingSysctlError extends LvsError {
  constructor(f: { host: string; missingInterfaces: readonly string[]; missingSysctls: readonly string[]; interfaces: readonly string[] }) {
    const parts: string[] = [];
    if (f.missingInterfaces.length > 0) {
      parts.push(
        `interface${f.missingInterfaces.length > 1 ? "s" : ""} ${f.missingInterfaces.join(", ")} ` +
          `${f.missingInterfaces.length > 1 ? "do" : "does"} not exist there (it has: ${f.interfaces.join(", ")}); fix \`interfaces\`/\`vip.interface\``,
      );
    }
    if (f.missingSysctls.length > 0) {
      parts.push(`its kernel has no ${f.missingSysctls.join(", ")} (IPv6 disabled? ip_vs not loadable?)`);
    }
    super(`cannot prepare the director ${f.host}: ${parts.join("; ")}.`);
  }
}

/** The VIP is already an address on the host, and not one the Director bound. */
export class VipConflictError extends LvsError {
  constructor(f: { host: string; vip: string; wantedInterface: string; boundOn: string }) {
    const elsewhere = f.boundOn !== f.wantedInterface;
    super(
      `cannot bind the VIP ${f.vip} on ${f.wantedInterface} of ${f.host}: it is already an address of ${f.boundOn} there` +
        `${elsewhere ? "" : ", put there by something other than this Director"}. ` +
        (elsewhere
          ? `Set \`vip.interface: "${f.boundOn}"\` if that is where it belongs, or remove it from ${f.boundOn} first.`
          : `If keepalived or the network configuration manages it, leave out \`vip\`; if it was bound by hand, set ` +
            `\`adopt: true\` (with the prefix length it has) to take it over as it is, or remove it first (\`ip addr del ${f.vip} dev ${f.boundOn}\`).`),
    );
  }
}

/** One step of a change failed on the host. */
export class DirectorChangeError extends HostStepError {}

/** The probe printed something we do not understand (not a director we can manage?). */
export class DirectorParseError extends HostProbeParseError {}
