// The importer's command line: options as an operator types them, every mistake reported
// at once under its option, and a project directory that is never overwritten.
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { main, parseImportOptions, runImport } from "../../../importer/cli";
import { ImportUsageError } from "../../../importer/errors";
import { errorOf } from "../../support/errorOf";

it("reads USER@HOST[:PORT] for each host, IPv6 in brackets, with the defaults filled in", () => {
  const options = parseImportOptions(["--director", "root@10.0.0.11", "--director=admin@[fd00::12]:2222", "--real-server", "web1.example.com", "--key", "/k", "--accept-new"]);
  expect(options).toMatchObject({
    director: [
      { user: "root", host: "10.0.0.11", port: 22 },
      { user: "admin", host: "fd00::12", port: 2222 },
    ],
    "real-server": [{ user: "root", host: "web1.example.com", port: 22 }],
    key: "/k",
    "accept-new": true,
    out: "lvs-import",
    project: "lvs-import",
    stack: "prod",
  });
});

it("reports every bad option at once, each under its name", async () => {
  const err = await errorOf((async () => parseImportOptions(["--director", "root@bad host", "--director", "a", "--director", "b", "--stack", "a b", "stray"]))());
  expect(err).toBeInstanceOf(ImportUsageError);
  const problems = (err as ImportUsageError).problems.map((p) => p.option);
  expect(problems).toEqual(expect.arrayContaining(["stray", "--director", "--key", "--stack"]));
  expect((err as Error).message).toContain("npx pulumi-lvs import --help");
});

it("never writes into a directory that has files in it, before it reads any host", async () => {
  const out = mkdtempSync(join(tmpdir(), "lvs-import-"));
  try {
    writeFileSync(join(out, "index.ts"), "// the user's own program\n");
    const err = await errorOf(runImport(parseImportOptions(["--director", "root@127.0.0.1:1", "--key", "/nonexistent", "--out", out]), () => undefined));
    expect(err).toBeInstanceOf(ImportUsageError);
    expect((err as Error).message).toContain("exists and is not empty");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

it("prints its usage for --help and for anything but import", async () => {
  const written: string[] = [];
  const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk) => (written.push(String(chunk)), true));
  try {
    expect(await main(["import", "--help"])).toBe(0);
    expect(await main(["export"])).toBe(2);
  } finally {
    spy.mockRestore();
  }
  expect(written.join("")).toContain("Usage: npx pulumi-lvs import --director");
});
