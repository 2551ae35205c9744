// keepalived.conf syntax: the tokeniser `read` uses on the files from the hosts, and the
// writer the renderers use. Where it matters, checked against keepalived's own reading.

import { find, findAll, parseStatements, statement, writeStatements, writeToken } from "../../../provider/keepalived/configSyntax";
import { ParseError } from "../../../provider/keepalived/errors";
import { complaints, removeKeepalivedNamespace, validateWithKeepalived } from "../../support/keepalivedCheck";

afterAll(removeKeepalivedNamespace);

const strip = (statements: ReturnType<typeof parseStatements>): unknown =>
  statements.map((s) => ({ keyword: s.keyword, args: s.args, ...(s.block ? { block: strip(s.block) } : {}) }));

describe("parseStatements", () => {
  it("keywords, arguments, nested blocks, and the line of each keyword", () => {
    const text = ["global_defs {", "  router_id lb1", "}", "vrrp_instance VI_1 {", "  authentication {", "    auth_type PASS", "  }", "  virtual_ipaddress {", "    10.0.0.1/32 dev eth1", "  }", "}"].join("\n");
    const parsed = parseStatements(text);
    expect(strip(parsed)).toEqual([
      { keyword: "global_defs", args: [], block: [{ keyword: "router_id", args: ["lb1"] }] },
      {
        keyword: "vrrp_instance",
        args: ["VI_1"],
        block: [
          { keyword: "authentication", args: [], block: [{ keyword: "auth_type", args: ["PASS"] }] },
          { keyword: "virtual_ipaddress", args: [], block: [{ keyword: "10.0.0.1/32", args: ["dev", "eth1"] }] },
        ],
      },
    ]);
    expect([parsed[0]!.line, parsed[1]!.line, parsed[1]!.block![1]!.block![0]!.line]).toEqual([1, 4, 9]);
  });

  it("# and ! start comments anywhere outside quotes, also inside a token", () => {
    const text = "# a comment\n! another\nrouter_id lb1 # trailing\nauth_pass abcdefgh#ij\nnotify x!y z\n";
    expect(strip(parseStatements(text))).toEqual([
      { keyword: "router_id", args: ["lb1"] },
      { keyword: "auth_pass", args: ["abcdefgh"] },
      { keyword: "notify", args: ["x"] },
    ]);
  });

  it("a double-quoted string is one token, whatever it holds but a quote", () => {
    const text = 'notify_master "/usr/bin/true a b"\nauth_pass "p#w!d"\nscript "x{y}"\n';
    expect(strip(parseStatements(text))).toEqual([
      { keyword: "notify_master", args: ["/usr/bin/true a b"] },
      { keyword: "auth_pass", args: ["p#w!d"] },
      { keyword: "script", args: ["x{y}"] },
    ]);
  });

  it("a block opened and closed on one line, and blocks without space before the brace", () => {
    expect(strip(parseStatements("track_interface { eth1 }\nunicast_peer{\n10.0.0.2\n}\n"))).toEqual([
      { keyword: "track_interface", args: [], block: [{ keyword: "eth1", args: [] }] },
      { keyword: "unicast_peer", args: [], block: [{ keyword: "10.0.0.2", args: [] }] },
    ]);
  });

  it("blank lines, tabs and CR-less endings are only whitespace", () => {
    expect(strip(parseStatements("\n\n\tpriority\t150   \n\n"))).toEqual([{ keyword: "priority", args: ["150"] }]);
  });

  it.each([
    ["an unexpected }", "a {\n}\n}\n", 3, "unexpected }"],
    ["a missing }", "vrrp_instance VI_1 {\n  state MASTER\n", 3, "missing }"],
    ["an unterminated quote", 'x 1\nnotify "abc\n', 2, "unterminated double-quoted string"],
    ["a { without a keyword", "a 1\n\n{\n}\n", 3, "unexpected { without a keyword"],
  ])("%s is a ParseError with its line", (_what, text, line, detail) => {
    let error: unknown;
    try {
      parseStatements(text, "node1:keepalived.conf");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParseError);
    expect(error).toMatchObject({ file: "node1:keepalived.conf", line });
    expect((error as Error).message).toContain(`cannot read node1:keepalived.conf line ${line}: ${detail}.`);
  });

  it("find and findAll look at one level only", () => {
    const parsed = parseStatements("a 1\nb { a 2 }\na 3\n");
    expect(find(parsed, "a")?.args).toEqual(["1"]);
    expect(findAll(parsed, "a").map((s) => s.args[0])).toEqual(["1", "3"]);
    expect(find(parsed, "missing")).toBeUndefined();
    expect(findAll(undefined, "a")).toEqual([]);
  });
});

describe("writeToken / writeStatements", () => {
  it("bare when keepalived reads the token back unchanged, else quoted", () => {
    expect(["eth1", "10.0.0.1/32", "/usr/bin/true", "a,b=c"].map(writeToken)).toEqual(["eth1", "10.0.0.1/32", "/usr/bin/true", "a,b=c"]);
    expect(["a b", "p#w", "x!y", "a\tb"].map(writeToken)).toEqual(['"a b"', '"p#w"', '"x!y"', '"a\tb"']);
  });

  it.each(['say "hi"', "two\nlines", "cr\r", "a{", "{", "}", "x}y", "a b{", "back\\slash b", "\\ "])("refuses what keepalived cannot carry: %j", (token) => {
    expect(() => writeToken(token)).toThrow("cannot represent");
  });

  it("two spaces per level, and parsing the output gives the statements back", () => {
    const statements = [statement("global_defs", [], [statement("router_id", ["lb1"])]), statement("vrrp_instance", ["VI_1"], [statement("notify_master", ["/usr/bin/true a"]), statement("unicast_peer", [], [])])];
    const text = writeStatements(statements);
    expect(text).toBe('global_defs {\n  router_id lb1\n}\nvrrp_instance VI_1 {\n  notify_master "/usr/bin/true a"\n  unicast_peer {\n  }\n}\n');
    expect(strip(parseStatements(text))).toEqual(strip(statements));
  });
});

describe("agrees with keepalived's own reading", () => {
  // keepalived warns when a password is longer than 8 characters: that shows where it ends a token.
  const passwordWarning = (pass: string) => {
    const conf = `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth1\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    10.0.0.100/32\n  }\n  authentication {\n    auth_type PASS\n    auth_pass ${pass}\n  }\n}\n`;
    return complaints(validateWithKeepalived({ "keepalived.conf": conf })).some((l) => l.includes("Truncating auth_pass to 8 characters"));
  };

  it("a # inside a token starts a comment for keepalived too", () => {
    expect([passwordWarning("abcdefghij"), passwordWarning("abcdefgh#ij"), passwordWarning("abcdefgh!ij")]).toEqual([true, false, false]);
    expect(parseStatements("auth_pass abcdefgh#ij")[0]!.args).toEqual(["abcdefgh"]);
  });

  it("a quoted string with spaces or a brace inside is one token for keepalived too", () => {
    expect([passwordWarning('"abc def"'), passwordWarning('"abcd efgh ij"'), passwordWarning('"abcdefgh{ij"')]).toEqual([false, true, true]);
    expect(parseStatements('auth_pass "abcd efgh ij"')[0]!.args).toEqual(["abcd efgh ij"]);
  });
});
