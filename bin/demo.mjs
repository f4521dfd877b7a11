#!/usr/bin/env node
// `npm run demo`: a receiver and a sender on 127.0.0.1 move fixtures/demo/welcome.txt through
// the real bin/sealdrop, and the result is checked with `sealdrop hash` on both copies.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sealdrop = path.join(root, 'bin', 'sealdrop');
const sample = path.join(root, 'fixtures', 'demo', 'welcome.txt');
const out = mkdtempSync(path.join(tmpdir(), 'sealdrop-demo-'));

function prefixLines(stream, label) {
  let pending = '';
  stream.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) process.stdout.write(`${label} ${line}\n`);
  });
}

try {
  console.log(`demo: receiving into ${out}\n`);
  const receiver = spawn(process.execPath, [sealdrop, 'receive', '--host', '127.0.0.1', '--port', '0', '--out', out, '--yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
  receiver.stdout.setEncoding('utf8');
  receiver.stderr.setEncoding('utf8');
  prefixLines(receiver.stdout, '[receiver]');
  prefixLines(receiver.stderr, '[receiver]');

  // The receiver prints its code, then the command for the other side (without the code, which
  // the sender is given in SEALDROP_CODE, as a person would type it): take both from there.
  const { to, code } = await new Promise((resolve, reject) => {
    let seen = '';
    receiver.stderr.on('data', (chunk) => {
      seen += chunk;
      const match = /^Code: (\S+)\n[\s\S]*--to (\S+)\n/m.exec(seen);
      if (match) resolve({ code: match[1], to: match[2] });
    });
    receiver.once('exit', () => reject(new Error('the receiver stopped early')));
  });

  const sender = spawn(process.execPath, [sealdrop, 'send', sample, '--to', to], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SEALDROP_CODE: code } });
  sender.stdout.setEncoding('utf8');
  sender.stderr.setEncoding('utf8');
  prefixLines(sender.stdout, '[sender]  ');
  prefixLines(sender.stderr, '[sender]  ');

  const [senderStatus, receiverStatus] = await Promise.all([sender, receiver].map((child) => new Promise((resolve) => child.once('exit', resolve))));
  const hashOf = (file) => spawnSync(process.execPath, [sealdrop, 'hash', file], { encoding: 'utf8' }).stdout.split(' ')[0];
  const [sent, received] = [hashOf(sample), hashOf(path.join(out, 'welcome.txt'))];
  console.log(`\ndemo: sender exit ${senderStatus}, receiver exit ${receiverStatus}`);
  console.log(`demo: sent     ${sent}\ndemo: received ${received}`);
  const ok = senderStatus === 0 && receiverStatus === 0 && sent !== '' && sent === received;
  console.log(ok ? 'demo: verified: the received file is identical' : 'demo: FAILED');
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
