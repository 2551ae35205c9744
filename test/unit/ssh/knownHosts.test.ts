import { createHmac } from "crypto";
import { entryMatchesHost, knownHostsName, lookupKnownHosts, matchWildcard, parseKnownHosts } from "../../../provider/ssh/knownHosts";

// A syntactically valid ed25519 public key (its contents do not matter here).
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

function hashedName(name: string, salt = Buffer.from("0123456789abcdefghij")): string {
  return `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
}

describe("knownHostsName", () => {
  it.each([
    ["dir1", 22, "dir1"],
    ["DIR1", 22, "dir1"],
    ["127.0.0.1", 2201, "[127.0.0.1]:2201"],
    ["fd77::11", 22, "fd77::11"],
    ["fd77::11", 2222, "[fd77::11]:2222"],
  ])("%s port %d → %s", (host, port, name) => {
    expect(knownHostsName(host, port)).toBe(name);
  });
});

describe("matchWildcard", () => {
  it.each([
    ["dir1", "dir1", true],
    ["dir1", "dir?", true],
    ["dir10", "dir?", false],
    ["10.77.0.11", "10.77.0.*", true],
    ["10.77.1.11", "10.77.0.*", false],
    ["[127.0.0.1]:2201", "[127.0.0.1]:22*", true],
    ["a.b", "a?b", true],
    ["axb", "a.b", false],
  ])("%s vs %s", (name, pattern, result) => {
    expect(matchWildcard(name, pattern)).toBe(result);
  });
});

describe("entry matching", () => {
  const one = (hosts: string) => parseKnownHosts(`${hosts} ${KEY}\n`)[0]!;

  it.each([
    ["comma list", "dir1,dir2,10.77.0.11", "dir2", 22, true],
    ["case-insensitive", "DIR1", "dir1", 22, true],
    ["wildcard", "10.77.0.*", "10.77.0.21", 22, true],
    ["negation vetoes a wildcard", "10.77.0.*,!10.77.0.99", "10.77.0.99", 22, false],
    ["negation alone never matches", "!10.77.0.99", "10.77.0.1", 22, false],
    ["port 22 entry does not cover other ports", "127.0.0.1", "127.0.0.1", 2201, false],
    ["bracketed port entry", "[127.0.0.1]:2201", "127.0.0.1", 2201, true],
    ["bracketed port entry, other port", "[127.0.0.1]:2201", "127.0.0.1", 2202, false],
    ["hashed", hashedName("10.77.0.11"), "10.77.0.11", 22, true],
    ["hashed, other host", hashedName("10.77.0.11"), "10.77.0.12", 22, false],
    ["hashed with port", hashedName("[127.0.0.1]:2201"), "127.0.0.1", 2201, true],
  ])("%s", (_name, hosts, host, port, result) => {
    expect(entryMatchesHost(one(hosts), host, port)).toBe(result);
  });
});

describe("parseKnownHosts", () => {
  it("skips comments, blanks, malformed and @cert-authority lines; keeps @revoked", () => {
    const text = [
      "# comment",
      "",
      `dir1 ${KEY}`,
      `@cert-authority *.lab ${KEY}`,
      `@revoked * ${KEY}`,
      "dir2 ssh-ed25519", // no key data
      "dir3 ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", // type does not match blob
      `@unknown-marker dir4 ${KEY}`,
      `  dir5   ${KEY}  trailing comment  `,
    ].join("\r\n");
    const entries = parseKnownHosts(text);
    expect(entries.map((e) => [e.line, e.marker, e.patterns])).toEqual([
      [3, undefined, ["dir1"]],
      [5, "revoked", ["*"]],
      [9, undefined, ["dir5"]],
    ]);
    const found = lookupKnownHosts(entries, "dir1", 22);
    expect(found.keys).toHaveLength(1);
    expect(found.revoked).toHaveLength(1);
  });
});
