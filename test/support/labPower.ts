// Hard power-off and power-on of a lab VM (test/lab/lab.sh stop|start): what a director
// dying looks like, with no clean shutdown and no VRRP goodbye. And a pulled cable
// (lab.sh link): the director vanishes from one segment as abruptly, but keeps running, so
// it is back in seconds instead of a boot.

import { execFile } from "child_process";
import { resolve } from "path";
import { promisify } from "util";

const run = promisify(execFile);
const LAB_SH = resolve(__dirname, "..", "lab", "lab.sh");

export async function powerOff(host: string): Promise<void> {
  await run("bash", [LAB_SH, "stop", host]);
}

/** Boots the host's own disk and waits until it answers SSH. */
export async function powerOn(host: string): Promise<void> {
  await run("bash", [LAB_SH, "start", host], { timeout: 900_000 });
}

/** Pulls one of the host's cables (its `front` or `back` NIC loses carrier); the host keeps running. */
export async function cutLink(host: string, nic: "front" | "back"): Promise<void> {
  await run("bash", [LAB_SH, "link", host, nic, "down"]);
}

/** Puts the cable back. */
export async function restoreLink(host: string, nic: "front" | "back"): Promise<void> {
  await run("bash", [LAB_SH, "link", host, nic, "up"]);
}
