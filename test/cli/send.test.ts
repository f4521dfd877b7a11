/**
 * `runSend` in-process against a test peer playing the receiver: the --json object it prints for
 * files and for a text, and the words it adds to a refused connection.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSend, type SendArguments } from '../../src/cli/commands/send.js';
import { Output } from '../../src/cli/output.js';
import { Intent } from '../../src/protocol/handshake-messages.js';
import { RecordType } from '../../src/protocol/records.js';
import { sha256Hex } from '../support/files.js';
import { parseJsonLines } from '../support/json-lines.js';
import { closedPort } from '../support/ports.js';
import { stdioOfEachTest } from '../support/stdio.js';
import { TestPeer } from '../support/test-peer.js';

const CODE = '7-crossover-clockwork';
let dir: tmp.DirResult;
const stdio = stdioOfEachTest();
beforeEach(() => (dir = tmp.dirSync({ unsafeCleanup: true })));
afterEach(() => dir.removeCallback());

/** Runs `sealdrop send --json` against a receiver that accepts, takes everything and confirms it. */
async function sendToAcceptingPeer(args: Omit<SendArguments, 'to' | 'code' | 'idleTimeout'>) {
  const server = await TestPeer.listen();
  const output = await Output.create({ quiet: false, json: true });
  const sending = runSend({ ...args, to: `127.0.0.1:${server.port}`, code: CODE, idleTimeout: 10 }, output);
  const peer = await server.accepted;
  await peer.handshake('responder', CODE, Intent.RECEIVE);
  const digests: Array<{ index: number; sha256: string }> = [];
  let data = Buffer.alloc(0);
  for (let record = await peer.nextRecord(); record !== null; record = await peer.nextRecord()) {
    if (record.type === RecordType.OFFER) peer.send(RecordType.ACCEPT, { resume: [] });
    if (record.type === RecordType.DATA) data = Buffer.concat([data, record.body]);
    if (record.type === RecordType.FILE_END) {
      digests.push({ index: digests.length, sha256: sha256Hex(data) });
      data = Buffer.alloc(0);
    }
    if (record.type === RecordType.DONE) peer.send(RecordType.RECEIPT, { files: digests });
  }
  await sending;
  server.close();
}

describe('sealdrop send --json', () => {
  it('prints its events, then {"ok":true,"kind":"files","totalBytes","files":[{path,size,sha256}]} last on stdout', async () => {
    writeFileSync(path.join(dir.name, 'a.txt'), 'first\n');
    writeFileSync(path.join(dir.name, 'b.bin'), Buffer.alloc(70_000, 7));
    await sendToAcceptingPeer({ paths: [path.join(dir.name, 'a.txt'), path.join(dir.name, 'b.bin')] });
    const files = [
      { path: 'a.txt', size: 6, sha256: sha256Hex('first\n') },
      { path: 'b.bin', size: 70_000, sha256: sha256Hex(Buffer.alloc(70_000, 7)) },
    ];
    const { events, result } = parseJsonLines(stdio.stdout);
    // Progress events are throttled by time: at least one, between acceptance and verification.
    expect(events.map((e) => e.event).join(' ')).toMatch(/^route secured accepted (progress )+verified verified$/);
    expect(events.slice(-2)).toEqual(files.map((file) => ({ event: 'verified', ...file })));
    expect(stdio.stdout.split('\n').at(-2)).toBe(JSON.stringify({ ok: true, kind: 'files', totalBytes: 70_006, files }));
    expect(result).toEqual({ ok: true, kind: 'files', totalBytes: 70_006, files });
  });

  it('prints {"ok":true,"kind":"text"} for a text', async () => {
    await sendToAcceptingPeer({ paths: [], text: 'hello' });
    expect(stdio.stdout).toMatch(/^\{"event":"route","via":"direct"\}\n\{"event":"secured","fingerprint":"[^"]+"\}\n\{"ok":true,"kind":"text"\}\n$/);
  });
});

describe('sealdrop send to a port nobody listens on', () => {
  it('adds to the channel\'s words which command should be running there', async () => {
    const port = await closedPort();
    const output = await Output.create({ quiet: false, json: false });
    const error = await runSend({ paths: [], text: 'hi', to: `127.0.0.1:${port}`, code: CODE, idleTimeout: 10 }, output).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'E_CONNECT',
      message: `cannot connect to 127.0.0.1:${port}: nobody is listening there (is \`sealdrop receive\` running on that port?)`,
    });
  });
});
