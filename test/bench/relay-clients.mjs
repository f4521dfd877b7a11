/**
 * A bench child: raw relay clients (PROTOCOL.md section 9), no sealdrop session, so that what the
 * bench measures is the relay alone. The bench spreads its clients over a few of these, so that no
 * one process holds thousands of sockets. Each reports on stdout, one JSON object a line, and
 * waits for the bench's word on stdin (one word a line) between its steps:
 *
 *   node relay-clients.mjs pairs PORT COUNT BYTES   COUNT hosts post and COUNT guests join them
 *                                                   ({"paired"}); on "go" each host sends BYTES
 *                                                   to its guest, which compares them byte for
 *                                                   byte ({"copied"}); each host then releases its
 *                                                   nameplate ({"released"}) and the child exits
 *   node relay-clients.mjs posted PORT COUNT        COUNT hosts post and wait ({"posted"}); on
 *                                                   "release" each releases its nameplate and the
 *                                                   child exits ({"released"})
 */
import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { encodeFrame } from '../../dist/protocol/frames.js';

/** The bench stays on the loopback interface; no other address is ever used. */
const HOST = '127.0.0.1';
/** Connections opened at once: enough to keep the relay busy, few enough for its listen backlog. */
const CONCURRENT_REQUESTS = 64;
/** Each pair's bytes start with its index, so bytes crossed between two pairs would not compare. */
const PAIR_INDEX_BYTES = 8;

const report = (fields) => process.stdout.write(`${JSON.stringify(fields)}\n`);

const requestFrame = (request) => encodeFrame(Buffer.from(JSON.stringify({ relay: 1, ...request }), 'utf8'));

/** Resolves with each line the bench writes on stdin, in turn. */
const commands = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function command(expected) {
  const { value, done } = await commands.next();
  if (done || value.trim() !== expected) throw new Error(`expected "${expected}" on stdin, got ${done ? 'its end' : `"${value}"`}`);
}

/**
 * A connection to the relay that has sent `request`: `answer()` gives the next answer frame as
 * JSON, `raw(onBytes)` hands every later byte (those already read first) to `onBytes`.
 */
async function relayConnection(port, request) {
  const socket = net.connect({ host: HOST, port, allowHalfOpen: true });
  let buffered = Buffer.alloc(0);
  let failure = null;
  let wake = () => {};
  const onData = (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    wake();
  };
  const onEnd = () => {
    failure ??= new Error(`the relay closed the connection (${buffered.length} bytes unread)`);
    wake();
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', (error) => {
    failure ??= error;
    wake();
  });
  socket.write(requestFrame(request));
  const frameLength = () => (buffered.length >= 4 ? 4 + buffered.readUInt32BE(0) : Infinity);
  return {
    socket,
    async answer() {
      while (buffered.length < frameLength()) {
        if (failure) throw failure;
        await new Promise((resolve) => (wake = resolve));
      }
      const length = frameLength();
      const answer = JSON.parse(buffered.subarray(4, length).toString('utf8'));
      buffered = buffered.subarray(length);
      if (answer.ok === false) throw new Error(`the relay refused: ${answer.error}: ${answer.message}`);
      return answer;
    },
    raw(onBytes) {
      socket.off('data', onData);
      socket.off('end', onEnd);
      if (buffered.length > 0) onBytes(buffered);
      socket.on('data', onBytes);
    },
  };
}

/** `task(i)` for i in 0..count-1, CONCURRENT_REQUESTS at a time; resolves with the results in order. */
async function inBatches(count, task) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_REQUESTS, count) }, worker));
  return results;
}

async function post(port) {
  const host = await relayConnection(port, { op: 'host' });
  const { nameplate, token } = await host.answer();
  return { host, nameplate, token };
}

/** A release on a new connection; the relay answers, closes it, and drops the posted one. */
async function release(port, { nameplate, token }) {
  const connection = await relayConnection(port, { op: 'release', nameplate, token });
  await connection.answer();
  connection.socket.destroy();
}

/** Resolves once the relay has ended or reset `socket`, and closes it. */
async function endedByRelay(socket) {
  if (!socket.readableEnded && !socket.destroyed) await Promise.race([once(socket, 'end'), once(socket, 'close')]).catch(() => {});
  socket.destroy();
}

const closed = (socket) => (socket.closed ? Promise.resolve() : once(socket, 'close'));

/**
 * The host sends its index, then `block` after the index's bytes, and ends; the guest compares
 * each byte as it comes, and ends once the host's end of stream has come through. Resolves with
 * whether the guest got exactly those bytes.
 */
async function copyThrough({ host, guest }, index, block) {
  const expected = [Buffer.alloc(PAIR_INDEX_BYTES), block.subarray(PAIR_INDEX_BYTES)];
  expected[0].writeBigUInt64BE(BigInt(index));
  let offset = 0;
  let intact = true;
  guest.raw((chunk) => {
    if (offset + chunk.length > block.length) intact = false;
    else if (intact) {
      const wanted = offset < PAIR_INDEX_BYTES ? Buffer.concat(expected).subarray(offset, offset + chunk.length) : block.subarray(offset, offset + chunk.length);
      intact = chunk.equals(wanted);
    }
    offset += chunk.length;
  });
  host.raw(() => {
    intact = false; // the guest sends nothing
  });
  guest.socket.once('end', () => guest.socket.end());
  host.socket.write(expected[0]);
  host.socket.end(expected[1]);
  await Promise.all([closed(host.socket), closed(guest.socket), once(host.socket, 'end')]);
  return intact && offset === block.length;
}

async function pairs(port, count, bytes) {
  if (bytes < PAIR_INDEX_BYTES) throw new Error(`each pair moves at least ${PAIR_INDEX_BYTES} bytes`);
  const block = randomFillSync(Buffer.allocUnsafe(bytes));
  const paired = await inBatches(count, async () => {
    const posted = await post(port);
    const guest = await relayConnection(port, { op: 'join', nameplate: posted.nameplate });
    await Promise.all([posted.host.answer(), guest.answer()]); // both {"paired": true}
    return { ...posted, guest };
  });
  report({ paired: count });
  await command('go');
  const intact = await Promise.all(paired.map((pair, index) => copyThrough(pair, index, block)));
  report({ copied: count, intact: intact.filter(Boolean).length });
  await inBatches(count, (i) => release(port, paired[i]));
  report({ released: count });
}

async function posted(port, count) {
  const hosts = await inBatches(count, () => post(port));
  report({ posted: count });
  await command('release');
  await inBatches(count, (i) => release(port, hosts[i]));
  // The relay ends each posted connection it lets go of.
  await Promise.all(hosts.map(({ host }) => endedByRelay(host.socket)));
  report({ released: count });
}

const [mode, port, count, bytes] = process.argv.slice(2);
if (mode === 'pairs') await pairs(Number(port), Number(count), Number(bytes));
else if (mode === 'posted') await posted(Number(port), Number(count));
else throw new Error('usage: relay-clients.mjs pairs PORT COUNT BYTES | posted PORT COUNT');
process.exit(0); // stdin stays open
