/**
 * `runReceive` in-process, with a test peer playing the sender over 127.0.0.1: the --json object
 * it prints for received files and for a received text.
 */
import { realpathSync } from 'node:fs';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runReceive } from '../../src/cli/commands/receive.js';
import { Output } from '../../src/cli/output.js';
import { generateCode } from '../../src/protocol/code.js';
import { Intent } from '../../src/protocol/handshake-messages.js';
import { encodeFilesOffer, encodeTextOffer } from '../../src/protocol/messages.js';
import { RecordType } from '../../src/protocol/records.js';
import { sha256Hex } from '../support/files.js';
import { parseJsonLines } from '../support/json-lines.js';
import { stdioOfEachTest } from '../support/stdio.js';
import { TestPeer } from '../support/test-peer.js';

let dir: tmp.DirResult;
const stdio = stdioOfEachTest();
beforeEach(() => (dir = tmp.dirSync({ unsafeCleanup: true })));
afterEach(() => dir.removeCallback());

/** Starts `sealdrop receive --yes --json` and connects a test peer that completes the handshake as the sender. */
async function receiveFromPeer() {
  const code = generateCode();
  const output = await Output.create({ quiet: false, json: true });
  const args = { port: 0, host: '127.0.0.1', out: dir.name, code, yes: true, overwrite: false, merge: false, handshakeTimeout: 10, idleTimeout: 10 };
  const receiving = runReceive(args, output);
  const [, port] = await stdio.written('stderr', /--to 127\.0\.0\.1:(\d+)\n/);
  const peer = await TestPeer.connect(Number(port));
  await peer.handshake('initiator', code, Intent.SEND);
  return { peer, receiving };
}

/** The record after `peer`'s, which must be of `type`. */
async function expectRecord(peer: TestPeer, type: number) {
  const record = await peer.nextRecord();
  expect(record?.type).toBe(type);
  return record!;
}

describe('sealdrop receive --json', () => {
  it('prints its events, then {"ok":true,"kind":"files","destination","totalBytes","files","topLevel"} last, for received files', async () => {
    const { peer, receiving } = await receiveFromPeer();
    const content = Buffer.from('the report\n');
    const entries = [{ path: 'docs/report.txt', size: content.length, mode: 0o644, mtime: 1_700_000_000_000 }];
    for (const body of encodeFilesOffer('docs', entries)) peer.send(RecordType.OFFER, body);
    await expectRecord(peer, RecordType.ACCEPT);
    peer.send(RecordType.FILE, { index: 0, offset: 0 });
    peer.send(RecordType.DATA, content);
    peer.send(RecordType.FILE_END, { sha256: sha256Hex(content) });
    peer.send(RecordType.DONE, {});
    await expectRecord(peer, RecordType.RECEIPT);
    await receiving;
    const { events, result } = parseJsonLines(stdio.stdout);
    expect(events.map((e) => e.event)).toEqual(['code', 'route', 'connection', 'secured', 'offer', 'progress', 'verified']); // one DATA record: one progress
    expect(events.at(-1)).toEqual({ event: 'verified', path: 'docs/report.txt', size: content.length, sha256: sha256Hex(content) });
    expect(JSON.stringify(result)).toBe(
      `${JSON.stringify({
        ok: true,
        kind: 'files',
        destination: realpathSync(dir.name),
        totalBytes: content.length,
        files: [{ path: 'docs/report.txt', size: content.length, sha256: sha256Hex(content) }],
        topLevel: [{ name: 'docs', isDirectory: true, fileCount: 1, totalBytes: content.length, existed: false }],
      })}`,
    );
  });

  it('prints {"ok":true,"kind":"text","text"} for a received text', async () => {
    const { peer, receiving } = await receiveFromPeer();
    peer.send(RecordType.OFFER, encodeTextOffer('two\nlines')!);
    await expectRecord(peer, RecordType.ACCEPT);
    peer.send(RecordType.DONE, {});
    await expectRecord(peer, RecordType.RECEIPT);
    await receiving;
    expect(stdio.stdout.split('\n').at(-2)).toBe('{"ok":true,"kind":"text","text":"two\\nlines"}');
    expect(parseJsonLines(stdio.stdout).events.map((e) => e.event)).toEqual(['code', 'route', 'connection', 'secured']);
  });
});
