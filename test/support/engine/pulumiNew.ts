// What `pulumi new typescript` makes, without running it: `pulumi new` asks the Node.js
// language host for its runtime options, and that host cannot be built here (README, "The
// Pulumi engine"), so even `pulumi new --generate-only` stops at "no language plugin
// 'pulumi-language-nodejs' found". This reproduces what v3.276's newcmd does once the host
// has answered (pkg/cmd/pulumi/project/newcmd/new.go, after CopyTemplateFiles):
//   - every template file copied, `${PROJECT}` and `${DESCRIPTION}` replaced;
//   - Pulumi.yaml: name and description set, the `template:` section removed, the
//     runtime's `packagemanager` option (the language host's prompt, answered "npm"), and
//     the `pulumi:template` stack tag.
// The template's files are the verbatim fixture test/fixtures/pulumi-new-typescript.

import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { REPO_ROOT, TestProject } from "./pulumiCli";

const TYPESCRIPT_TEMPLATE = join(REPO_ROOT, "test", "fixtures", "pulumi-new-typescript");

/** The template's own files (its TEMPLATE.md is our note, not part of the template). */
const templateFiles = (): string[] => readdirSync(TYPESCRIPT_TEMPLATE).filter((f) => f !== "TEMPLATE.md");

export interface PulumiNewOptions {
  /** A folder whose files the user wrote into the project (their index.ts). */
  program?: string;
  /** The user's Node.js (TestProjectOptions.node). */
  node?: string;
}

/**
 * A TestProject laid out as `pulumi new typescript --name <name> --description <description>`
 * lays one out, with the user's program written in, and nothing installed yet.
 */
export function pulumiNewProject(name: string, description: string, opts: PulumiNewOptions = {}): TestProject {
  const layout = layOut(name, description);
  try {
    if (opts.program) cpSync(opts.program, layout, { recursive: true });
    return new TestProject(layout, { files: templateFiles(), nodeModules: "none", node: opts.node });
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
}

function layOut(name: string, description: string): string {
  const dir = mkdtempSync(join(tmpdir(), "lvs-pulumi-new-"));
  for (const file of templateFiles()) {
    const text = readFileSync(join(TYPESCRIPT_TEMPLATE, file), "utf8");
    writeFileSync(join(dir, file), text.replaceAll("${PROJECT}", name).replaceAll("${DESCRIPTION}", description));
  }
  const project = readFileSync(join(dir, "Pulumi.yaml"), "utf8");
  if (!/^runtime: nodejs$/m.test(project) || !/^template:\n(?: {2}.*\n)+/m.test(project)) {
    throw new Error(`the template's Pulumi.yaml changed shape; check what pulumi new makes of it:\n${project}`);
  }
  writeFileSync(
    join(dir, "Pulumi.yaml"),
    [
      `name: ${name}`,
      `description: ${description}`,
      "runtime:",
      "  name: nodejs",
      "  options:",
      "    packagemanager: npm",
      "config:",
      "  pulumi:tags:",
      "    value:",
      "      pulumi:template: typescript",
      "",
    ].join("\n"),
  );
  return dir;
}
