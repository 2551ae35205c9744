#!/usr/bin/env node
// monitor.js SOCKET COMMAND — run one qemu human-monitor command (e.g. `savevm lab-ready`)
// and print what it answered. qemu's monitor is a unix socket; bash cannot speak to those.
'use strict';
const net = require('net');

const [socketPath, command] = process.argv.slice(2);
const prompt = '(qemu) ';
let buffer = '';
let sent = false;
const socket = net.connect(socketPath);
const timer = setTimeout(() => { console.error(`monitor: no answer to '${command}'`); process.exit(1); }, 600000);
socket.on('data', (chunk) => {
  buffer += chunk.toString('utf8');
  if (!buffer.endsWith(prompt)) return;
  if (!sent) {
    sent = true;
    buffer = '';
    socket.write(command + '\n');
    return;
  }
  // The monitor echoes the command line (with terminal escapes) before the answer.
  const answer = buffer.slice(0, -prompt.length).split('\n').slice(1).join('\n').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim();
  if (answer) console.log(answer);
  clearTimeout(timer);
  socket.end();
  process.exit(/error|fail/i.test(answer) ? 1 : 0);
});
// `quit` answers by closing the socket.
socket.on('close', () => process.exit(sent ? 0 : 1));
socket.on('error', (err) => { console.error(`monitor: ${err.message}`); process.exit(1); });
