// Hosts bootstrapped by Pulumi, then balanced by LVS. The hosts here are reachable
// machines named in config (in a real stack they would be VM resources: pass their
// outputs, such as the public IP, where `ssh` is used below). `remote.Command` installs
// ipvsadm and keepalived on the director and a web server on each real server, and reports
// facts pulumi-lvs then consumes as outputs: each host's SSH host key (pinned from then on)
// and its address on the service network.

import * as pulumi from "@pulumi/pulumi";
import { remote } from "@pulumi/command";
import * as lvs from "pulumi-lvs";

const config = new pulumi.Config();
const privateKey = config.requireSecret("privateKey");
const directorSsh = config.require("director");
const realServerSsh = config.requireObject<string[]>("realServers");
const serviceInterface = config.get("interface") ?? "eth1";

// @pulumi/command's own connection: it does not pin host keys, so this first contact is
// trust-on-first-use. The key it reads back is then pinned for every pulumi-lvs resource.
const bootstrap = (name: string, host: string, packages: string, extra = "") =>
  new remote.Command(name, {
    connection: { host, user: "root", privateKey },
    create: [
      "set -e",
      "export DEBIAN_FRONTEND=noninteractive",
      `apt-get update -q && apt-get install -yq ${packages}`,
      extra,
      // The facts the LVS resources need, one per line: host key, then service address.
      "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub",
      `ip -4 -o addr show dev ${serviceInterface} | awk '{print $4}' | cut -d/ -f1 | head -n1`,
    ].filter(Boolean).join("\n"),
  });

const facts = (cmd: remote.Command) => {
  const lines = cmd.stdout.apply((out) => out.trim().split("\n").slice(-2));
  return { hostKey: lines.apply((l) => l[0]!), address: lines.apply((l) => l[1]!) };
};

const directorBoot = bootstrap("director-bootstrap", directorSsh, "ipvsadm keepalived");
const webBoots = realServerSsh.map((host, i) =>
  bootstrap(`web${i + 1}-bootstrap`, host, "nginx", "hostname > /var/www/html/index.html && systemctl enable --now nginx"),
);

const cluster = new lvs.LvsCluster(
  "web",
  {
    mode: "dr",
    director: {
      connection: { host: directorSsh, user: "root", privateKey, hostKey: facts(directorBoot).hostKey },
      interface: serviceInterface,
    },
    vip: config.require("vip"),
    services: [{ port: 80, scheduler: "rr" }],
    realServers: webBoots.map((boot, i) => {
      const f = facts(boot);
      return { name: `web${i + 1}`, connection: { host: realServerSsh[i]!, user: "root", privateKey, hostKey: f.hostKey }, address: f.address };
    }),
  },
  // The outputs above already order most children after the bootstraps; this covers the rest.
  { dependsOn: [directorBoot, ...webBoots] },
);

export const vip = cluster.vip;
