// Preloaded (NODE_OPTIONS=--require) into every Node.js process of a `pulumi up` the fault
// matrix runs, and so into the dynamic-provider process the real engine starts. It counts
// the remote commands that process sends (each one passes through the SSH pool's
// withChannelSlot) and, at the step named by LVS_FAULT_STEP, announces it in LVS_FAULT_DIR
// and sends the command anyway: the test then cuts the run for real (kills the engine's
// processes, or the sshd session on the host) while that step is in flight.
//
// Nothing here fakes a result: every command still goes to the real host, and what the cut
// leaves behind is whatever really happened there.
"use strict";
const fs = require("fs");
const Module = require("module");
const path = require("path");

const dir = process.env.LVS_FAULT_DIR;
const cutAt = Number(process.env.LVS_FAULT_STEP ?? "0");

function wrap(exports) {
  const original = exports.withChannelSlot;
  if (typeof original !== "function" || original.__lvsFaultStep) return;
  let step = 0;
  const stepped = function withChannelSlot(pc, fn) {
    step += 1;
    const line = `${step}\t${process.pid}\t${pc.target}\n`;
    fs.appendFileSync(path.join(dir, "steps.log"), line);
    // Written once, whole (rename), so the watcher never reads half a marker.
    if (step === cutAt) {
      const marker = path.join(dir, "cut");
      fs.writeFileSync(`${marker}.tmp`, line);
      fs.renameSync(`${marker}.tmp`, marker);
    }
    return original.call(this, pc, fn);
  };
  stepped.__lvsFaultStep = true;
  exports.withChannelSlot = stepped;
}

if (dir) {
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const exports = load.apply(this, arguments);
    if (/[\\/]provider[\\/]ssh[\\/]pool(\.js)?$/.test(request) || /(^|[\\/])pool$/.test(request)) {
      try {
        const file = Module._resolveFilename(request, parent, isMain);
        if (/[\\/]provider[\\/]ssh[\\/]pool\.js$/.test(file)) wrap(exports);
      } catch {
        // not ours
      }
    }
    return exports;
  };
}
