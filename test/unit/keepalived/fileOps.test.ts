// File ops as data: what the apply script reads on stdin, what it prints back about the
// files it replaced, and the ops that put them back (the roll-back of a pair node).

import { encodeOps, inverseOps, parsePreviousFiles, parseReadFiles, previousFromRead, type FileOp } from "../../../provider/keepalived/fileOps";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const SECRET_CONF = 'authentication {\n  auth_type PASS\n  auth_pass "p w"\n}\n# ünïcode, $(reboot) `x` \\ \'\n';

describe("encodeOps", () => {
  it("one line per op, contents in base64 so that no byte of a file reaches the shell or the line structure", () => {
    const ops: FileOp[] = [
      { op: "write", path: "keepalived.conf", content: SECRET_CONF },
      { op: "remove", path: "services/tcp_10.0.0.1_80.vs" },
      { op: "removetree", path: "services/tcp_10.0.0.1_80.d" },
    ];
    const text = encodeOps(ops);
    expect(text.split("\n")).toEqual([`write keepalived.conf ${b64(SECRET_CONF)}`, "remove services/tcp_10.0.0.1_80.vs", "removetree services/tcp_10.0.0.1_80.d", ""]);
    expect(Buffer.from(text.split("\n")[0]!.split(" ")[2]!, "base64").toString("utf8")).toBe(SECRET_CONF);
  });

  it("an empty file is a write with an empty payload, and no ops is no input", () => {
    expect(encodeOps([{ op: "write", path: "a.conf", content: "" }])).toBe("write a.conf \n");
    expect(encodeOps([])).toBe("");
  });

  it("the paths the layout produces are accepted (IPv6 and fwmark stems included)", () => {
    const paths = ["services/tcp_fd00--1_443.vs", "services/tcp_fd00--1_443.d/fd00--1-1_443.conf", "services/fwmark_42_ipv4.d/10.0.1.1_0.conf", "services/0-pulumi-lvs-empty.conf"];
    expect(() => encodeOps(paths.map((path) => ({ op: "remove" as const, path })))).not.toThrow();
  });

  it.each([
    ["absolute", "/etc/keepalived/keepalived.conf"],
    ["parent directory", "services/../../etc/passwd"],
    ["a lone dot component", "services/./x.conf"],
    ["an empty component", "services//x.conf"],
    ["a trailing slash", "services/"],
    ["a space (would split the op line)", "services/a b.conf"],
    ["a newline (would start a new op)", "a.conf\nremovetree ."],
    ["a shell metacharacter", "services/$(reboot).conf"],
    ["empty", ""],
  ])("refuses %s paths", (_what, path) => {
    expect(() => encodeOps([{ op: "remove", path }])).toThrow(`refusing keepalived file path "${path}": relative, without .. or unusual characters`);
  });
});

describe("parsePreviousFiles", () => {
  it("reads previous contents and absent files, and ignores the other lines", () => {
    const stdout = [`previous keepalived.conf ${b64(SECRET_CONF)}`, "absent services/tcp_10.0.0.1_80.vs", "previous services/empty.conf ", "generation gen.1712345678901234567", "reloaded", ""].join("\n");
    expect(parsePreviousFiles(stdout)).toEqual([
      { path: "keepalived.conf", content: SECRET_CONF },
      { path: "services/tcp_10.0.0.1_80.vs" },
      { path: "services/empty.conf", content: "" },
    ]);
  });

  it("nothing printed is nothing known", () => {
    expect(parsePreviousFiles("")).toEqual([]);
  });
});

describe("inverseOps", () => {
  const previous = parsePreviousFiles([`previous keepalived.conf ${b64("old main\n")}`, "absent services/new.vs", `previous services/gone.vs ${b64("old service\n")}`].join("\n"));

  it("a new file is removed, a replaced or removed file is written back, newest change undone first", () => {
    const ops: FileOp[] = [
      { op: "write", path: "keepalived.conf", content: "new main\n" },
      { op: "write", path: "services/new.vs", content: "new service\n" },
      { op: "remove", path: "services/gone.vs" },
    ];
    expect(inverseOps(ops, previous)).toEqual([
      { op: "write", path: "services/gone.vs", content: "old service\n" },
      { op: "remove", path: "services/new.vs" },
      { op: "write", path: "keepalived.conf", content: "old main\n" },
    ]);
  });

  it("a removed tree is written back file by file from what was under it (a VirtualService delete rolled back keeps its real servers)", () => {
    const before = previousFromRead(parseReadFiles([
      "tree services/s.d",
      `file services/s.d/10.0.1.1_80.conf ${b64("rs1\n")}`,
      `file services/s.d/10.0.1.2_80.conf ${b64("rs2\n")}`,
      `file services/s.vs ${b64("vs\n")}`,
      "main ours",
    ].join("\n")).files);
    expect(inverseOps([{ op: "removetree", path: "services/s.d" }, { op: "remove", path: "services/s.vs" }], before)).toEqual([
      { op: "write", path: "services/s.vs", content: "vs\n" },
      { op: "write", path: "services/s.d/10.0.1.1_80.conf", content: "rs1\n" },
      { op: "write", path: "services/s.d/10.0.1.2_80.conf", content: "rs2\n" },
    ]);
  });

  it("removing a file that was not there needs no undo", () => {
    expect(inverseOps([{ op: "remove", path: "services/new.vs" }], previous)).toEqual([]);
  });

  it("round trip: the ops, then their inverse, leave a file map as it was", () => {
    const files = new Map([["keepalived.conf", "old main\n"], ["services/gone.vs", "old service\n"]]);
    const ops: FileOp[] = [
      { op: "write", path: "keepalived.conf", content: "new main\n" },
      { op: "write", path: "services/new.vs", content: "x" },
      { op: "remove", path: "services/gone.vs" },
    ];
    const apply = (m: Map<string, string>, list: FileOp[]) => {
      for (const o of list) o.op === "write" ? m.set(o.path, o.content) : m.delete(o.path);
    };
    const before = new Map(files);
    const seen = ops.map((o) => ({ path: o.path, ...(files.has(o.path) ? { content: files.get(o.path)! } : {}) }));
    apply(files, ops);
    apply(files, inverseOps(ops, seen));
    expect(files).toEqual(before);
  });
});

describe("parseReadFiles", () => {
  it("files, absent files, and whose main keepalived.conf it is", () => {
    const stdout = [`file keepalived.conf ${b64("main\n")}`, "absent services/x.vs", "main ours", ""].join("\n");
    const read = parseReadFiles(stdout);
    expect([...read.files]).toEqual([["keepalived.conf", "main\n"], ["services/x.vs", undefined]]);
    expect(read.main).toBe("ours");
  });

  it.each(["ours", "foreign", "absent"] as const)("main %s", (main) => {
    expect(parseReadFiles(`main ${main}\n`).main).toBe(main);
  });
});
