// NAT: clients reach the VIP on the director's front side; the director rewrites the
// destination to a real server on its back network and the reply comes back through it.
// That last part is why NAT needs each real server's default route to point at the
// director: pulumi-lvs does not change real servers' routes, so this example says it has
// done so (`configureRealServerRoutes: false`) and the README shows how.

import * as pulumi from "@pulumi/pulumi";
import * as lvs from "pulumi-lvs";

interface Host {
  ssh: string;
  port?: number;
  hostKey: string;
}

const config = new pulumi.Config();
const privateKey = config.requireSecret("privateKey");
const director = config.requireObject<Host>("director");

const cluster = new lvs.LvsCluster("app", {
  mode: "nat",
  director: {
    connection: { host: director.ssh, port: director.port ?? 22, user: "root", privateKey, hostKey: director.hostKey },
    // The VIP goes on the client-facing side.
    interface: config.get("frontInterface") ?? "eth0",
  },
  vip: config.require("vip"),
  // NAT can map ports: clients use 80, the application listens on 8080.
  services: [{ port: 80, scheduler: "wlc" }],
  // In NAT the real servers need no SSH: nothing changes on them.
  realServers: config.requireObject<string[]>("realServerAddresses").map((address, i) => ({ name: `app${i + 1}`, address, port: 8080 })),
  nat: { configureRealServerRoutes: false },
});

export const vip = cluster.vip;
