/**
 * The handshake's wall time on loopback, from TCP connect to the moment the first record can go:
 * an in-process initiator (the compiled protocol module over a real socket) against the real
 * `bin/sealdrop receive`, which then gets a text so that it finishes normally. Unlike the
 * in-process CPU figure, this includes the receiver's scheduling and both kernels' loopback work.
 */
import { once } from 'node:events';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FrameDecoder, encodeFrame } from '../../dist/protocol/frames.js';
import { Intent } from '../../dist/protocol/handshake-messages.js';
import { initiatorHandshake } from '../../dist/protocol/handshake.js';
import { encodeJson } from '../../dist/protocol/messages.js';
import { RecordType } from '../../dist/protocol/records.js';
import { NodeProcess } from './processes.mjs';

const HOST = '127.0.0.1';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SEALDROP = path.join(REPO, 'bin', 'sealdrop');
const LISTENING_LINE = /--to 127\.0\.0\.1:(\d+)/;
const TIMEOUT_MS = 30_000;

/** Frames from a socket, one at a time. */
function frameReader(socket) {
  const decoder = new FrameDecoder();
  const frames = [];
  let wake = null;
  let ended = false;
  socket.on('data', (chunk) => {
    frames.push(...decoder.push(chunk));
    wake?.();
  });
  socket.on('close', () => {
    ended = true;
    wake?.();
  });
  return async () => {
    while (frames.length === 0) {
      if (ended) throw new Error('the receiver closed the connection');
      await new Promise((resolve) => (wake = resolve));
    }
    return frames.shift();
  };
}

/** One measured handshake against a fresh receiver; returns milliseconds from connect to keys. */
async function oneHandshake(scratchDir) {
  const code = `bench-${randomBytes(8).toString('hex')}`;
  const receiver = new NodeProcess('handshake receiver', [SEALDROP, 'receive', '--host', HOST, '--port', '0', '--quiet', '--out', scratchDir], {
    env: { ...process.env, SEALDROP_CODE: code },
    cwd: REPO,
    scratchDir,
  });
  try {
    const [, port] = await receiver.waitForStderr(LISTENING_LINE, TIMEOUT_MS);
    const socket = net.connect({ host: HOST, port: Number(port), noDelay: true });
    await once(socket, 'connect');
    const connectedNs = process.hrtime.bigint();
    const next = frameReader(socket);
    const session = await initiatorHandshake(
      { send: (payload) => void socket.write(encodeFrame(payload)), receive: next },
      { codeBytes: Buffer.from(code), intent: Intent.SEND },
    );
    const handshakeMs = Number(process.hrtime.bigint() - connectedNs) / 1e6;
    // Finish as a text transfer (section 6 step 5), so that the receiver exits normally.
    const record = (type, body) => socket.write(Buffer.concat(session.sealer.seal(type, encodeJson(body))));
    record(RecordType.OFFER, { kind: 'text', text: 'handshake bench' });
    await next(); // ACCEPT
    record(RecordType.DONE, {});
    await next(); // RECEIPT
    socket.end();
    await receiver.finished(); // rejects unless the receiver exits 0
    return handshakeMs;
  } catch (error) {
    receiver.kill();
    throw error;
  }
}

/** `count` handshakes against real receivers, after one unmeasured warm-up. */
export async function measureHandshakeWall(count, scratchDir) {
  await oneHandshake(scratchDir);
  const samples = [];
  for (let i = 0; i < count; i += 1) samples.push(await oneHandshake(scratchDir));
  return samples;
}
