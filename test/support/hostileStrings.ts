// A corpus of hostile strings for every string input (issue 12, "Hostile-input test"),
// built deterministically from families: the same list, in the same order, on every run.
// Where a string can carry a command, the command creates CANARY_PATH, so a lab test can
// prove that nothing ever ran it: the file must never appear on any host.

/** The file every embedded command would create. */
export const CANARY_PATH = "/tmp/pulumi-lvs-canary";
/** The command the strings embed (with spaces: what a careless renderer would run). */
export const CANARY_COMMAND = `touch ${CANARY_PATH}`;
/** The same command without a space or a quote, for inputs that refuse whitespace. */
export const CANARY_COMMAND_NO_SPACE = `touch\${IFS}${CANARY_PATH}`;

export interface HostileString {
  /** The family it comes from (shell, newline, keepalived, …): the integration test picks one per family. */
  family: string;
  value: string;
}

const C = CANARY_COMMAND;
const N = CANARY_COMMAND_NO_SPACE;

/** Each family's strings; families are what the reports count by. */
const FAMILIES: Record<string, readonly string[]> = {
  shell: [
    `x; ${C}`, `x;${N}`, `x | ${C}`, `x|${N}`, `x & ${C}`, `x&${N}`, `x && ${C}`, `x||${N}`,
    `$(${C})`, `$(${N})`, `\`${C}\``, `\`${N}\``, `x > ${CANARY_PATH}`, `x>${CANARY_PATH}`, `x < /etc/passwd`,
    "*", "?", "~", "!", "!!", "x*", "eth?", "~root", `eth1;${N}`, `10.77.0.180;${N}`, `/usr/bin/true;${N}`,
  ],
  newline: [
    `x\n${C}`, `x\r${C}`, `x\r\n${C}`, "\n", "eth1\n", "eth1\r", `eth1\n${C}`, "x\u2028y", "x\u0085y",
    `vrrp_strict\n@dir2 notify_master /usr/bin/${C}`, `10.77.0.180\nvip 10.77.0.189/32 lo`, `/\n${C}`,
  ],
  braces: [
    "{", "}", "{}", "${IFS}", `x }\nvrrp_script evil {\n  script "/usr/bin/${C}"\n}`, "} virtual_server 10.77.0.189 80 {",
    "x{", "x}", `} ; ${C} ; {`, "a{b}c",
  ],
  quotes: [
    "'", "\"", `x' ; ${C} ; '`, `x" ; ${C} ; "`, "\"x\"", "'x'", `"/usr/bin/${C}"`, "it's", "a\"b", `'$(${N})'`,
  ],
  backslash: ["\\", "x\\", "\\n", `x\\\n${C}`, "\\x00", "\\\"", "C:\\Windows", "a\\ b"],
  include: [
    "include /etc/passwd", "include", "includer", "include /tmp/*.conf", "include ../../etc/keepalived/keepalived.conf",
    `x\ninclude ${CANARY_PATH}`, "includea", "includem /x", "vrrp_strict include /etc/passwd",
  ],
  variable: [
    "$VAR", "$HOME", "${HOME}", "$X=vrrp_strict", "$_INSTANCE", "$_HASH", "$_BANG", "${_INSTANCE}", "/x$_HASH", "$$", "$0", "$1", "$@",
    `$X=${C}`, "a$_INSTANCE",
  ],
  at: ["@dir2", `@dir1 notify_master /usr/bin/${C}`, "@^dir1", "@", "a@b", "@dir2 vrrp_strict", "@eth1", "@VI_80"],
  keepalived: [
    `notify_master /usr/bin/${C}`, `script /usr/bin/${C}`, "vrrp_script", "virtual_server", "track_script", "notify",
    "real_server 10.77.0.189 80", "global_defs", "~SEQ(N,1,3)", "~LST(A,x,y)", "use_vmac a;b", "vrrp_strict", "weight", "MASTER",
    `vrrp_notify_fifo ${CANARY_PATH}`, `startup_script /usr/bin/${C}`, "lvs_flush", "net_namespace evil", "auth_pass x",
  ],
  control: ["x\u0000y", "\u0000", "eth1\u0000", "\u0007bell", "\u001b[31mred", "\u007f", "a\u000bb", "a\u000cb", "a\tb", "\b", `x\u0000; ${C}`],
  long: [
    "A".repeat(1024), "a".repeat(4096), "b".repeat(70 * 1024), `${"x".repeat(1100)}\ninclude /etc/passwd`, `${"a".repeat(1023)} notify_master /usr/bin/${C}`,
    `/${"a".repeat(1100)}`, "a".repeat(15), "a".repeat(16), `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`, "e".repeat(255),
  ],
  unicode: [
    "é", "日本語", "eth1\u202e", "a\u200bb", "a\u200db", "\ufeffeth1", "🦄", "e\u0301th1", "eth1；", "\u0435th1", "\ud800", "ＡＢＣ",
  ],
  path: [
    "../../etc/passwd", "/etc/passwd", "/proc/self/environ", "..", ".", "/", "~root/.ssh/authorized_keys", CANARY_PATH,
    "..%2f..%2fetc%2fpasswd", "/dev/tcp/127.0.0.1/22", "/proc/self", "...", "eth1/../lo",
  ],
  option: [
    "-C", "--flush", "-D", "-h", "--help", `-oProxyCommand=${N}`, "-w", "--", "-", "-t 10.77.0.189:80", "--tun-type", "-f", "-all", "-x", `--script=${CANARY_PATH}`,
  ],
  address: [
    "::", "::1", "fe80::1%eth0", "[::1]", "[fd00::1]:80", "fd00::1/64", "::ffff:10.77.0.180", "1::2::3", "fd00:0::180", "FD00::180",
    "10.77.0.180/32", "10.77.0.180:80", "010.077.000.180", "10.77.0.180 10.77.0.181", "0x0a.0x4d.0.0xb4", "4294967295", "255.255.255.255", "224.0.0.18", "127.0.0.1",
    "10.77.0.181",
  ],
  number: ["0", "1", "-1", "65536", "1e3", "NaN", "Infinity", "0x10", "255.255.255.0", "64", "/24", "3.14", "1.5", "00"],
  blank: ["", " ", "\t", " eth1", "eth1 ", "a b", "  "],
  unitFile: [
    "eth1.send_redirects=1", "x=1", "%n", "%i", "%%", "eth1 = 1", "-net.ipv4.ip_forward", "net.ipv4.ip_forward=1", `ExecStart=/usr/bin/${C}`,
    `x\nExecStartPre=/usr/bin/${C}`, "[Service]", "eth1%i", "lo;", `eth1 ; ${C}`,
  ],
  format: ["%s%s%s%n", "{0}", "${7*7}", "{{7*7}}", "%(x)s", "__proto__", "constructor", "null", "undefined", "true", "{\"a\":1}"],
  knownHosts: ["dir1,evil", "*", "!dir1", "|1|abc|def", "@revoked", "[dir1]:22", "dir1 ssh-ed25519 AAAA", "dir1,*"],
};

/** The corpus, family by family, without duplicates (the first family a string appears in keeps it). */
export const HOSTILE_STRINGS: readonly HostileString[] = (() => {
  const seen = new Set<string>();
  const out: HostileString[] = [];
  for (const [family, values] of Object.entries(FAMILIES))
    for (const value of values) {
      if (seen.has(value)) continue;
      seen.add(value);
      out.push({ family, value });
    }
  return out;
})();

export const HOSTILE_FAMILIES: readonly string[] = Object.keys(FAMILIES);

/** A short, printable label for a test title or a report (long and control characters shortened). */
export function describeHostile(value: string): string {
  const json = JSON.stringify(value);
  return json.length > 48 ? `${json.slice(0, 40)}…(${value.length} chars)` : json;
}
