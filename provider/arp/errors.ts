// Typed errors of the RealServerArpConfig. Each says what was attempted and on which
// host, what the host answered, and what to do next. Hosts are named by
// describeConnection only, so no credential can appear.

import { LvsError } from "../ssh";
import { trimStderr } from "../ssh/errors";
import { HostProbeParseError, HostStepError } from "../resource/hostStepErrors";

/** A VIP is already an address of the host, not bound by any RealServerArpConfig. */
export class ArpVipConflictError extends LvsError {
  constructor(f: { host: string; conflicts: readonly { vip: string; boundOn: string }[]; device: string }) {
    const list = f.conflicts.map((c) => `${c.vip} on ${c.boundOn}`).join(", ");
    super(
      `cannot prepare the real server ${f.host}: ${f.conflicts.length > 1 ? "VIPs are" : "the VIP is"} already a real address of the host (${list}), ` +
        `and no RealServerArpConfig record on the host (/var/lib/pulumi-lvs/arp) names it: it was bound by hand or by another tool, ` +
        `or left by a RealServerArpConfig whose record was removed from the host. A real server holding a VIP on a network interface answers ARP for it and steals the ` +
        `director's traffic (or the VIP is this host's own address, which must not be a VIP). Remove it from the interface ` +
        `(\`ip addr del <vip> dev <interface>\`, and from the network configuration), or choose another VIP; ` +
        `RealServerArpConfig binds VIPs on ${f.device} itself.`,
    );
  }
}

/** tun mode on a host whose kernel has no ipip module. */
export class IpipModuleError extends LvsError {
  constructor(f: { host: string; stderr: string }) {
    super(
      `cannot prepare the real server ${f.host} for tun mode: the ipip kernel module could not be loaded; modprobe said: ` +
        `${trimStderr(f.stderr) || "(nothing)"}. IPVS tunnelling needs ipip (CONFIG_NET_IPIP) on the real servers: install the ` +
        `distribution's standard kernel and its modules, or use mode "dr" if the director shares a segment with this host.`,
    );
  }
}

/** An IPv6 VIP on a host with IPv6 disabled (or compiled out). */
export class Ipv6DisabledError extends LvsError {
  constructor(f: { host: string; vips: readonly string[] }) {
    super(
      `cannot bind the IPv6 VIP${f.vips.length > 1 ? "s" : ""} ${f.vips.join(", ")} on ${f.host}: IPv6 is disabled there ` +
        `(net.ipv6.conf.all.disable_ipv6 is 1, or the kernel has no IPv6). Enable it (sysctl net.ipv6.conf.all.disable_ipv6=0 ` +
        `and the same in /etc/sysctl.d, or remove ipv6.disable=1 from the kernel command line), or leave the IPv6 VIPs out of \`vips\`.`,
    );
  }
}

/** An interface named in `interfaces` does not exist, or there is no default route to take one from. */
export class ArpInterfaceError extends LvsError {
  constructor(f: { host: string; missing: readonly string[]; interfaces: readonly string[] }) {
    super(
      f.missing.length > 0
        ? `cannot prepare the real server ${f.host}: interface${f.missing.length > 1 ? "s" : ""} ${f.missing.join(", ")} ` +
            `${f.missing.length > 1 ? "do" : "does"} not exist there (it has: ${f.interfaces.join(", ")}); fix \`interfaces\`.`
        : `cannot prepare the real server ${f.host}: it has no default route to take the interface from; name the interfaces ` +
            `that face the director in \`interfaces\` (it has: ${f.interfaces.join(", ")}).`,
    );
  }
}

/** One step of a change failed on the host. */
export class ArpChangeError extends HostStepError {}

/** The probe printed something we do not understand. */
export class ArpParseError extends HostProbeParseError {}
