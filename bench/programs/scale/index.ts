// An LvsCluster in NAT mode on dir1 with `count` real servers (config), for `npm run bench`.
// The real servers' addresses need not exist: IPVS takes any address, and in NAT mode
// without return routes the cluster never connects to them.
import * as pulumi from "@pulumi/pulumi";
import { LvsCluster } from "pulumi-lvs";

const config = new pulumi.Config();
const count = config.requireNumber("count");
// The bench's single change: the first real server's weight (one entry of N).
const changedWeight = config.getNumber("changeWeightOfFirst");
const director = config.requireObject<{ host: string; port: number; hostKey: string }>("director");

new LvsCluster("bench", {
  mode: "nat",
  director: { connection: { ...director, user: "root", privateKey: config.requireSecret("privateKey") }, interface: "eth1" },
  vip: config.require("vip"),
  services: [{ protocol: "tcp", port: 80, scheduler: "wrr" }],
  realServers: Array.from({ length: count }, (_, i) => ({ name: `r${i}`, address: `10.78.${Math.floor(i / 250)}.${(i % 250) + 1}`, port: 8080, weight: i === 0 ? changedWeight ?? 1 : 1 + (i % 5) })),
  nat: { configureRealServerRoutes: false },
});
