// keepalived's keywords as pulumi-lvs sees them, in one place: the schema refuses free-form
// lines that would set what the renderer writes, and the parser files everything else under
// the free-form lists. Both read these sets, so the two can never disagree on what is modelled.
//
// Only keepalived 2.2.7's parser is assumed (lib/parser.c): before any keyword is looked up,
// read_line() acts on a line starting with `include…`, `@`, `$` or `~SEQ`/`~LST`, and
// fgets() reads at most MAXBUF - 1 = 1023 bytes, so a longer line is cut in two and its
// tail read as a line of its own.

import { GARP_KEYWORDS, NOTIFY_EVENTS, type NotifyEvent } from "./model";

/** The longest line, without its newline, that keepalived reads whole (1024-byte buffer: line, newline, NUL). */
export const MAX_LINE_BYTES = 1022;

/**
 * The longest value we let into one rendered line. The rest of the line is at most
 * 4 levels of indentation, a keyword of up to 26 characters, a space and two quotes.
 */
export const MAX_VALUE_BYTES = 960;

/** `notify_master` … for each notify input. */
export const NOTIFY_KEYWORDS: Record<NotifyEvent, string> = Object.fromEntries(NOTIFY_EVENTS.map((e) => [e, e === "notify" ? e : `notify_${e}`])) as Record<NotifyEvent, string>;

/** What render.ts writes inside a vrrp_instance: each has an input of its own. */
export const MODELLED_INSTANCE_KEYWORDS: ReadonlySet<string> = new Set([
  "state", "interface", "virtual_router_id", "priority", "advert_int", "version", "nopreempt", "preempt_delay", "authentication",
  "unicast_src_ip", "unicast_peer", "virtual_ipaddress", "track_interface", "track_script",
  ...Object.values(GARP_KEYWORDS), ...Object.values(NOTIFY_KEYWORDS),
]);

/** What render.ts writes in global_defs. */
export const RENDERED_GLOBAL_KEYWORDS: ReadonlySet<string> = new Set(["router_id", "lvs_sync_daemon", "script_user", "enable_script_security"]);

/** Lines keepalived treats as an include directive (`include`, or `includer|m|w|b|a`, then a space). */
export const INCLUDE_KEYWORDS: readonly string[] = ["include", "includer", "includem", "includew", "includeb", "includea"];

/**
 * Words a name must not be when it lands at the start of a line (a track_interface or
 * track_script entry): keepalived acts on them before it knows which block it is in.
 */
export const RESERVED_LINE_STARTS: ReadonlySet<string> = new Set(INCLUDE_KEYWORDS);

/**
 * global_defs keywords a free-form line may set. Left out on purpose: anything that runs a
 * program or names a file (notify_fifo*, *_script*, config_save_dir, tmp_config_directory,
 * snmp_socket), anything needing a block (notification_email), process and namespace
 * identity (net_namespace, instance, process_names, …; keepalived cannot change them on a
 * reload), lvs_flush* (it would empty the IPVS table other resources' entries are in), and
 * what pulumi-lvs renders itself (RENDERED_GLOBAL_KEYWORDS) or sets through an input
 * (vrrp_version: the vrrpVersion input, rendered per instance).
 */
export const GLOBAL_DEFS_PASSTHROUGH: readonly string[] = [
  "vrrp_garp_interval", "vrrp_gna_interval", "vrrp_garp_master_delay", "vrrp_garp_master_repeat", "vrrp_garp_master_refresh",
  "vrrp_garp_master_refresh_repeat", "vrrp_garp_lower_prio_delay", "vrrp_garp_lower_prio_repeat", "vrrp_garp_extra_if", "vrrp_min_garp",
  "vrrp_lower_prio_no_advert", "vrrp_higher_prio_send_advert", "vrrp_check_unicast_src", "vrrp_skip_check_adv_addr",
  "vrrp_strict", "vrrp_down_timer_adverts", "vrrp_mcast_group4", "vrrp_mcast_group6", "vrrp_iptables", "vrrp_ipsets", "dynamic_interfaces",
  "default_interface", "disable_local_igmp", "vrrp_priority", "checker_priority", "vrrp_no_swap", "checker_no_swap", "vrrp_rt_priority",
  "checker_rt_priority", "vrrp_rlimit_rttime", "checker_rlimit_rttime", "vrrp_cpu_affinity", "checker_cpu_affinity", "max_auto_priority",
  "min_auto_priority_delay", "lvs_timeouts", "checker_log_all_failures",
];

/**
 * vrrp_instance keywords a free-form line may set. Left out on purpose: scripts and notify
 * keywords (use `notify` / `trackScripts`, whose paths are checked), block keywords
 * (track_file, virtual_routes, …; a free-form line cannot open a block), `preempt` (the
 * `nopreempt` input) and what has an input of its own (MODELLED_INSTANCE_KEYWORDS).
 */
export const VRRP_INSTANCE_PASSTHROUGH: readonly string[] = [
  "dont_track_primary", "skip_check_adv_addr", "check_unicast_src", "strict_mode", "native_ipv6", "accept", "no_accept",
  "lower_prio_no_advert", "higher_prio_send_advert", "garp_extra_if", "down_timer_adverts", "mcast_src_ip", "unicast_ttl",
  "unicast_fault_no_peer", "old_unicast_checksum", "promote_secondaries", "kernel_rx_buf_size", "use_vmac", "vmac_xmit_base",
  "use_ipvlan", "track_src_ip", "debug",
];

/**
 * Old keywords keepalived 2.2 no longer reads at all: it logs "Unknown keyword" and runs
 * without them (and `keepalived -t` fails on them). The guides still write them, so a
 * configuration written by hand is read, and carried over, as keepalived runs it: without.
 */
export const IGNORED_BY_KEEPALIVED = ["nb_get_retry"] as const;

/** Keywords that run a program or feed one (notify_*, *_script*, *fifo*), whichever block they are in. */
export function runsAProgram(keyword: string): boolean {
  return /^notify|script|fifo/.test(keyword);
}
