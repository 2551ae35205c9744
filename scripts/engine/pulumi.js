#!/usr/bin/env node
// `pulumi <args>` with the real Pulumi CLI this project builds (scripts/engine/build-cli.sh),
// run on a local file backend, offline. Arguments pass through unchanged and the exit code
// is the CLI's own:
//
//   node scripts/engine/pulumi.js preview --refresh --expect-no-changes --diff -s lab
//
// Why a wrapper at all: `pulumi up` in a Node.js project starts the Node.js language host
// (`pulumi-language-nodejs`), a separate Go module that this machine's Go module proxy
// refuses to serve (README, "The Pulumi engine"). The engine accepts an already running
// language runtime instead (`--client=<address>`, what the Automation API's inline programs
// use), and the SDK ships one: `@pulumi/pulumi/automation/server`'s LanguageServer. So for
// the commands that run a program (up, preview, refresh, destroy) this wrapper serves the
// project's own program (Pulumi.yaml's `main`, TypeScript transpiled as the language host
// does) from that SDK, in this process, and adds `--client`. Everything else (engine,
// state, diff, plugins, the dynamic-provider host) is the real CLI's. Other commands
// (stack, config, import, version…) are the CLI untouched.
//
// Defaults, each only when the variable is unset: PULUMI_BACKEND_URL and PULUMI_HOME under
// the repository's .pulumi-state/, a passphrase generated once into .pulumi-state/passphrase
// (0600), update checks and plugin downloads off.
"use strict";
const { spawn, execFileSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const REPO = path.resolve(__dirname, "..", "..");
const STATE = path.join(REPO, ".pulumi-state");
const { commandOf, programEntry, projectDir, PROGRAM_COMMANDS } = require("./project");

function engineBin() {
  return execFileSync("bash", [path.join(__dirname, "build-cli.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

/** The passphrase that encrypts the lab stacks' secrets, made once, readable by root only. */
function defaultPassphrase() {
  const file = path.join(STATE, "passphrase");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(STATE, { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(24).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  return fs.readFileSync(file, "utf8").trim();
}

/**
 * The dynamic-provider plugin is a small script inside @pulumi/pulumi that resolves the
 * SDK from the project directory it is started in. Placed beside the CLI it counts as
 * bundled, as in Pulumi's own releases (found on PATH, the engine warns at every start).
 */
function installDynamicProviderPlugin(bin, sdkDir) {
  const name = "pulumi-resource-pulumi-nodejs";
  const script = fs.readFileSync(path.join(sdkDir, name));
  const target = path.join(bin, name);
  if (fs.existsSync(target) && fs.readFileSync(target).equals(script)) return;
  const temporary = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, script, { mode: 0o755 });
  fs.renameSync(temporary, target);
}

function engineEnv(sdkDir) {
  const env = { ...process.env };
  const bin = engineBin();
  installDynamicProviderPlugin(bin, sdkDir);
  env.PATH = [bin, env.PATH].join(path.delimiter);
  env.PULUMI_SKIP_UPDATE_CHECK ??= "true";
  env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION ??= "true";
  env.PULUMI_HOME ??= path.join(STATE, "home");
  env.PULUMI_BACKEND_URL ??= `file://${path.join(STATE, "backend")}`;
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
    env.PULUMI_CONFIG_PASSPHRASE = defaultPassphrase();
  }
  if (env.PULUMI_BACKEND_URL.startsWith("file://")) fs.mkdirSync(env.PULUMI_BACKEND_URL.slice("file://".length), { recursive: true });
  fs.mkdirSync(env.PULUMI_HOME, { recursive: true });
  return env;
}

/** TypeScript transpiled on require, as the language host does for `typescript: true` projects. */
function registerTypeScript(dir) {
  const ts = require(require.resolve("typescript", { paths: [dir, REPO] }));
  require.extensions[".ts"] = function compileTs(module, filename) {
    const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, inlineSourceMap: true },
    });
    module._compile(outputText, filename);
  };
}

/** Drops the project's own modules (not its node_modules) from the require cache. */
function forgetProjectModules(dir) {
  const root = `${fs.realpathSync(process.cwd())}${path.sep}`;
  const entryDir = `${fs.realpathSync(dir)}${path.sep}`;
  for (const file of Object.keys(require.cache)) {
    const own = file.startsWith(root) || file.startsWith(entryDir);
    if (own && !file.split(path.sep).includes("node_modules")) delete require.cache[file];
  }
}

/** Serves `entry` to the engine with the SDK's own LanguageServer; resolves to its address. */
async function serveProgram(sdkDir, entry) {
  // The SDK the program itself resolves, so the program and the runtime share one copy.
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] }));
  const { LanguageServer } = require(path.join(sdkDir, "automation", "server"));
  const langrpc = require(path.join(sdkDir, "proto", "language_grpc_pb"));
  const program = async () => {
    // `pulumi up` runs the program twice in one CLI process (preview, then update), and the
    // language host starts a fresh node each time. Here the second run must not get the
    // first one's cached modules (which would register nothing, and the update would then
    // delete every resource): the project's own modules are loaded afresh for every run.
    forgetProjectModules(path.dirname(entry));
    const exported = require(entry);
    // A default-exported function is the program; its result becomes the stack outputs.
    const main = typeof exported === "function" ? exported : typeof exported?.default === "function" ? exported.default : undefined;
    return main ? await main() : exported;
  };
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(langrpc.LanguageRuntimeService, new LanguageServer(program));
  const port = await new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, server };
}

async function main() {
  const args = process.argv.slice(2);
  const dir = projectDir(args);
  const sdkEntry = require.resolve("@pulumi/pulumi", { paths: [dir, REPO] });
  const sdkDir = path.dirname(sdkEntry);
  const env = engineEnv(sdkDir);
  const cliArgs = [...args];
  let served;
  if (PROGRAM_COMMANDS.has(commandOf(args))) {
    registerTypeScript(dir);
    // The program reads its stack and config from the engine's Run request, as it would in
    // the language host; relative paths in it are the project's.
    process.chdir(dir);
    served = await serveProgram(sdkDir, programEntry(dir));
    cliArgs.push(`--client=${served.address}`);
  }
  const child = spawn("pulumi", cliArgs, { cwd: dir, env, stdio: "inherit" });
  // Ctrl-C reaches the whole process group, the CLI included, which then cancels gracefully
  // and still needs the program served here: stay up (a second SIGINT from us would make it
  // terminate at once). A SIGTERM sent to this process alone is passed on.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  const code = await new Promise((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? 128 + 15 : 1))));
  served?.server.forceShutdown();
  process.exit(code);
}

main().catch((err) => {
  console.error(`pulumi-lvs engine: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
