// The cluster the drift workflow watches (.github/workflows/drift.yml). Any hand edit on
// the hosts (an `ipvsadm -e` weight change, a removed real server, a reset sysctl) shows
// up in `pulumi preview --refresh` as a change, which fails the scheduled job.

import * as pulumi from "@pulumi/pulumi";
import * as lvs from "pulumi-lvs";

interface Host {
  ssh: string;
  port?: number;
  hostKey: string;
  address: string;
}

const config = new pulumi.Config();
const privateKey = config.requireSecret("privateKey");
const connect = (h: Host): lvs.SshConnectionArgs => ({ host: h.ssh, port: h.port ?? 22, user: "root", privateKey, hostKey: h.hostKey });

const cluster = new lvs.LvsCluster("web", {
  mode: "dr",
  director: { connection: connect(config.requireObject<Host>("director")), interface: config.get("interface") ?? "eth1" },
  vip: config.require("vip"),
  services: [{ port: 80, scheduler: "rr" }],
  realServers: config.requireObject<Host[]>("realServers").map((h, i) => ({ name: `rs${i + 1}`, connection: connect(h), address: h.address })),
});

export const vip = cluster.vip;
