// The lab as the bench sees it: the inventory (test/lab/inventory.json), dir1's connection,
// and what is counted on dir1's side: SSH handshakes and remote commands from sshd's own
// log, bytes from the management interface's counters. Also the 25 ms each way added inside
// dir1 on that interface (netem on egress, and on ingress through an ifb device), and
// removed afterwards.
"use strict";
const fs = require("fs");
const path = require("path");

const REPO = path.resolve(__dirname, "..");
const DIST = path.join(REPO, "dist", "provider");
const { run, closeSshPool } = require(path.join(DIST, "ssh"));

function inventory() {
  const file = process.env.LVS_LAB_INVENTORY ?? path.join(REPO, "test", "lab", "inventory.json");
  if (!fs.existsSync(file)) throw new Error(`no lab inventory at ${file}: run \`npm run lab:up\` first`);
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** A lab host's connection input (root, the lab key, its pinned host key). */
function connectionTo(name) {
  const inv = inventory();
  const host = inv.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`the lab has no host ${name}`);
  return { host: host.ssh.host, port: host.ssh.port, user: "root", privateKey: fs.readFileSync(inv.sshKey.privateKeyPath, "utf8"), hostKey: host.hostKey };
}

const MANAGEMENT_INTERFACE = "eth0";
const SSHD_DROP_IN = "/etc/ssh/sshd_config.d/zz-pulumi-lvs-bench.conf";

// sshd logs "Accepted publickey" per handshake; at LogLevel VERBOSE, "Starting session:
// command" per remote command. The counter read itself is one of each, taken off.
const COUNTERS_SCRIPT = `set -e
cursor=$1
if [ -n "$cursor" ]; then log=$(journalctl -q -o cat -u ssh.service --after-cursor="$cursor"); else log=; fi
printf '%s\\n' "$log" | grep -c 'Accepted publickey' || true
printf '%s\\n' "$log" | grep -c 'Starting session: command' || true
journalctl -q -n 0 --show-cursor -u ssh.service | sed -n 's/^-- cursor: //p'
cat /sys/class/net/$2/statistics/rx_bytes /sys/class/net/$2/statistics/tx_bytes`;

/** Starts counting on dir1's side; `stop()` gives what happened in between. */
async function hostCounter(connection) {
  const read = async (cursor) => {
    const [handshakes, commands, next, rx, tx] = (await run(connection, ["sh", "-c", COUNTERS_SCRIPT, "bench-counters", cursor, MANAGEMENT_INTERFACE])).stdout.trim().split("\n");
    return { handshakes: Number(handshakes), commands: Number(commands), cursor: next, bytes: Number(rx) + Number(tx) };
  };
  await closeSshPool();
  const start = await read("");
  await closeSshPool();
  return {
    async stop() {
      await closeSshPool();
      const end = await read(start.cursor);
      await closeSshPool();
      // The closing read's own handshake and command are in the log; its bytes mostly not.
      return { handshakes: end.handshakes - 1, commands: end.commands - 1, bytes: end.bytes - start.bytes };
    },
  };
}

/** sshd at LogLevel VERBOSE for the bench (it logs each command then), and back. */
async function verboseSshd(connection, on) {
  const script = on
    ? `printf 'LogLevel VERBOSE\\n' >${SSHD_DROP_IN} && systemctl reload ssh.service`
    : `rm -f ${SSHD_DROP_IN} && systemctl reload ssh.service`;
  await run(connection, ["sh", "-c", script]);
  await closeSshPool();
}

/** 25 ms each way on dir1's management interface, or none. */
async function delay(connection, ms) {
  const reset = `tc qdisc del dev ${MANAGEMENT_INTERFACE} root 2>/dev/null; tc qdisc del dev ${MANAGEMENT_INTERFACE} ingress 2>/dev/null; ip link del ifb-bench 2>/dev/null; true`;
  const add = `set -e
modprobe ifb numifbs=0; modprobe sch_netem; modprobe act_mirred; modprobe cls_matchall
ip link add ifb-bench type ifb
ip link set ifb-bench up
tc qdisc add dev ${MANAGEMENT_INTERFACE} root netem delay "$1ms"
tc qdisc add dev ${MANAGEMENT_INTERFACE} handle ffff: ingress
tc filter add dev ${MANAGEMENT_INTERFACE} parent ffff: matchall action mirred egress redirect dev ifb-bench
tc qdisc add dev ifb-bench root netem delay "$1ms"`;
  await run(connection, ["sh", "-c", reset]);
  if (ms > 0) await run(connection, ["sh", "-c", add, "bench-delay", String(ms)]);
  await closeSshPool();
}

module.exports = { REPO, DIST, inventory, connectionTo, hostCounter, verboseSshd, delay, closeSshPool, run };
