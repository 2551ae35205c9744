// What the bench's engine runs share: a child process with its output, a throwaway Pulumi
// project on a file backend of its own, and the peaks read from /proc while the engine runs.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawn } = require("child_process");

const REPO = path.resolve(__dirname, "..");

/** Runs a process to the end; resolves with its output, rejects with its tail when it fails. */
function processRun(command, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], ...opts });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve({ stdout, stderr, pid: child.pid }) : reject(new Error(`${command} ${args.slice(0, 3).join(" ")} exited ${code}: ${stderr.slice(-2000) || stdout.slice(-2000)}`))));
    child.stdin.end(opts.input ?? "");
  });
}

/**
 * Peaks while `running` runs, read from /proc every 200 ms (the last read before a process
 * exits counting): the RSS high-water mark (VmHWM) of the engine's dynamic-provider host
 * (node running @pulumi/pulumi's cmd/dynamic-provider), and the bytes the Pulumi CLI wrote
 * to files (its state checkpoints; /proc/PID/io write_bytes).
 */
async function watched(running) {
  let peakKb = 0;
  const cliWrites = new Map();
  const sample = () => {
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
        if (cmdline.includes("dynamic-provider")) {
          const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
          if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
        } else if (/\/pulumi-v[^/]+\/bin\/pulumi$/.test(fs.readlinkSync(`/proc/${pid}/exe`))) {
          const written = /write_bytes:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/io`, "utf8"));
          if (written) cliWrites.set(pid, Number(written[1]));
        }
      } catch {
        // gone between the listing and the read
      }
    }
  };
  const timer = setInterval(sample, 200);
  try {
    await running;
  } finally {
    clearInterval(timer);
  }
  const writtenBytes = [...cliWrites.values()].reduce((a, b) => a + b, 0);
  return { maxRssMb: peakKb > 0 ? Math.round(peakKb / 1024) : undefined, ...(cliWrites.size > 0 ? { cliWrittenMb: Math.round(writtenBytes / 1e5) / 10 } : {}) };
}

/**
 * A throwaway project from bench/programs/PROGRAM, with pulumi-lvs and @pulumi linked from
 * this repository, a stack `bench` on a file backend of its own, and `pulumi(args, input)`
 * running the real CLI (scripts/engine/pulumi.js) in it. `remove()` deletes it all.
 */
async function benchProject(program) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `lvs-bench-${program}-`));
  const dir = path.join(root, "project");
  fs.mkdirSync(dir);
  for (const f of ["Pulumi.yaml", "index.ts"]) fs.copyFileSync(path.join(__dirname, "programs", program, f), path.join(dir, f));
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(REPO, path.join(dir, "node_modules", "pulumi-lvs"), "dir");
  fs.symlinkSync(path.join(REPO, "node_modules", "@pulumi"), path.join(dir, "node_modules", "@pulumi"), "dir");
  const env = { ...process.env, PULUMI_BACKEND_URL: `file://${root}/backend`, PULUMI_HOME: path.join(root, "home"), PULUMI_CONFIG_PASSPHRASE: "bench-only" };
  fs.mkdirSync(path.join(root, "backend"));
  const pulumi = (args, input) => processRun(process.execPath, [path.join(REPO, "scripts", "engine", "pulumi.js"), ...args], { cwd: dir, env, input });
  await pulumi(["stack", "init", "bench", "--non-interactive"]);
  const project = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"))[1];
  /** The size of the stack's state file (the checkpoint the CLI rewrites as it goes). */
  const checkpointBytes = () => {
    const file = path.join(root, "backend", ".pulumi", "stacks", project, "bench.json");
    return fs.existsSync(file) ? fs.statSync(file).size : 0;
  };
  return { pulumi, checkpointBytes, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

module.exports = { REPO, processRun, watched, benchProject };
