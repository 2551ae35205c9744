// scripts/engine/project.js: which project and command a `pulumi` command line names, and
// where the project's program starts (what the engine wrapper serves to the real CLI).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const project = require("../../../scripts/engine/project") as {
  PROGRAM_COMMANDS: Set<string>;
  commandOf(args: string[]): string | undefined;
  projectDir(args: string[]): string;
  programEntry(dir: string): string;
};

describe("commandOf", () => {
  it.each([
    [["up", "--yes"], "up"],
    [["preview", "--refresh", "--expect-no-changes", "--diff"], "preview"],
    [["-C", "examples/gitops", "refresh"], "refresh"],
    [["--cwd", "x", "destroy", "-s", "lab"], "destroy"],
    [["--cwd=x", "stack", "export"], "stack"],
    [["--color", "never", "up"], "up"],
    [["-v", "9", "--logtostderr", "preview"], "preview"],
    [["-v=9", "up"], "up"],
    [["--non-interactive"], undefined],
  ])("%j → %s", (args, command) => {
    expect(project.commandOf(args)).toBe(command);
  });

  it("only the commands that run a program are served", () => {
    expect([...project.PROGRAM_COMMANDS].sort()).toEqual(["destroy", "preview", "refresh", "up", "update"]);
    for (const other of ["stack", "config", "import", "version", "login"]) expect(project.PROGRAM_COMMANDS.has(other)).toBe(false);
  });
});

describe("projectDir", () => {
  it.each([
    [["-C", "a/b", "up"], resolve("a/b")],
    [["--cwd", "c", "up"], resolve("c")],
    [["--cwd=d/e", "preview"], resolve("d/e")],
    [["up", "--yes"], process.cwd()],
  ])("%j → %s", (args, dir) => {
    expect(project.projectDir(args)).toBe(dir);
  });
});

describe("programEntry", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "lvs-entry-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text = "") => {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  };

  it("Pulumi.yaml's main, when it names a file", () => {
    write("Pulumi.yaml", "name: p\nruntime: nodejs\nmain: program/index.ts\n");
    write("program/index.ts");
    expect(project.programEntry(dir)).toBe(join(dir, "program", "index.ts"));
  });

  it("a folder's package.json main, then its index.ts", () => {
    write("Pulumi.yaml", "name: p\nruntime: nodejs\nmain: 'app'\n");
    write("app/package.json", JSON.stringify({ main: "start.ts" }));
    write("app/start.ts");
    write("app/index.ts");
    expect(project.programEntry(dir)).toBe(join(dir, "app", "start.ts"));
  });

  it("index.ts in the project when Pulumi.yaml names no main", () => {
    write("Pulumi.yaml", "name: p\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    write("index.ts");
    expect(project.programEntry(dir)).toBe(join(dir, "index.ts"));
  });

  it("refuses a folder without Pulumi.yaml, and a project without an entry, saying what to do", () => {
    expect(() => project.programEntry(dir)).toThrow(/no Pulumi\.yaml in/);
    write("Pulumi.yaml", "name: p\nruntime: nodejs\n");
    expect(() => project.programEntry(dir)).toThrow(/set main in Pulumi\.yaml, or add index\.ts/);
  });
});
