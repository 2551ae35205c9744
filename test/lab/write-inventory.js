#!/usr/bin/env node
// Writes the lab inventory (test/lab/inventory.json) that tests and examples read:
// each host's SSH endpoint, host key, users, key paths and lab addresses.
// Usage: write-inventory.js RUN_DIR KEYS_DIR OUT_FILE TOPOLOGY_SH
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const [runDir, keysDir, outFile, topologyFile] = process.argv.slice(2);
const topology = fs.readFileSync(topologyFile, 'utf8');
const setting = (name) => topology.match(new RegExp(`^${name}=(.*)$`, 'm'))[1].trim();
const front4 = setting('LAB_FRONT4');
const back4 = setting('LAB_BACK4');
const front6 = setting('LAB_FRONT6');
const back6 = setting('LAB_BACK6');
const rows = [...topology.matchAll(/^\s*"([^"]+)"\s*$/gm)].map((m) => m[1].trim().split(/\s+/));

// Same form as `ssh-keygen -lf`: SHA256 of the key blob, base64 without padding.
const fingerprint = (publicKeyLine) =>
  'SHA256:' +
  crypto.createHash('sha256').update(Buffer.from(publicKeyLine.split(' ')[1], 'base64')).digest('base64').replace(/=+$/, '');

const hosts = rows.map(([name, role, , octet, back]) => {
  const hostKey = fs.readFileSync(path.join(runDir, name, 'seed', 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const hex = octet.padStart(2, '0');
  const interfaces = {
    front: { name: 'eth1', ipv4: `${front4}.${octet}`, ipv6: `${front6}:${octet}`, mac: `52:54:00:77:00:${hex}` },
  };
  if (back === 'yes') {
    interfaces.back = { name: 'eth2', ipv4: `${back4}.${octet}`, ipv6: `${back6}:${octet}`, mac: `52:54:00:77:01:${hex}` };
  }
  return {
    name,
    role,
    rebootable: true,
    ssh: { host: '127.0.0.1', port: Number(fs.readFileSync(path.join(runDir, name, 'ssh-port'), 'utf8')) },
    hostKey,
    hostKeyFingerprint: fingerprint(hostKey),
    interfaces,
  };
});

const inventory = {
  version: 1,
  sshKey: {
    privateKeyPath: path.join(keysDir, 'id_ed25519'),
    publicKey: fs.readFileSync(path.join(keysDir, 'id_ed25519.pub'), 'utf8').trim(),
  },
  wrongSshKey: { privateKeyPath: path.join(keysDir, 'wrong_ed25519') },
  users: { root: 'root', sudo: 'lab', sudoPassword: 'labpw' },
  networks: {
    front: { ipv4Cidr: `${front4}.0/24`, ipv6Cidr: `${front6}:/64` },
    back: { ipv4Cidr: `${back4}.0/24`, ipv6Cidr: `${back6}:/64` },
  },
  hosts,
};
fs.writeFileSync(outFile, JSON.stringify(inventory, null, 2) + '\n');
