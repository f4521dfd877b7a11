/**
 * The I/O ceiling of the bench: one file copied over plain TCP between two Node processes, no
 * framing and no crypto, but otherwise shaped like sealdrop's data path (reads of sealdrop's
 * size, a receiver that streams to a file, flushes it in the background every 32 MiB and
 * fsyncs it before closing), so that the ratio of the two shows what sealdrop's protocol and
 * crypto cost, not a different use of the disk. Plain Node, no imports from the project.
 *
 *   node raw-copy.mjs receive OUTFILE              listen on 127.0.0.1 (a free port), print
 *                                                  `--to 127.0.0.1:PORT` on stderr, write what
 *                                                  one connection sends to OUTFILE
 *   node raw-copy.mjs send FILE PORT READ_BYTES    send FILE to 127.0.0.1:PORT, READ_BYTES a read
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The bench stays on the loopback interface; no other address is ever used. */
const HOST = '127.0.0.1';
/** As sealdrop's receiver (src/files/part-file-sink.ts): one background fdatasync per 32 MiB. */
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;

/**
 * Writes what arrives to `handle` (chunks that queue up while a write is in flight go out in one
 * writev, as with fs.createWriteStream), flushing in the background, and fsyncs before finishing.
 */
function fileSink(handle) {
  let unflushed = 0;
  let flushing = null;
  let flushError = null;
  const writeAll = async (buffers) => {
    let pending = buffers;
    while (pending.length > 0) {
      let { bytesWritten } = await handle.writev(pending);
      unflushed += bytesWritten;
      while (pending.length > 0 && bytesWritten >= pending[0].length) bytesWritten -= pending.shift().length;
      if (pending.length > 0) pending[0] = pending[0].subarray(bytesWritten);
    }
    if (unflushed >= FLUSH_EVERY_BYTES && flushing === null) {
      unflushed = 0;
      flushing = handle
        .datasync()
        .catch((error) => (flushError ??= error)) // reported by final()
        .finally(() => (flushing = null));
    }
  };
  return new Writable({
    highWaterMark: 1024 * 1024,
    writev(chunks, done) {
      writeAll(chunks.map(({ chunk }) => chunk)).then(() => done(), done);
    },
    async final(done) {
      try {
        await flushing;
        if (flushError) throw flushError;
        await handle.sync();
        done();
      } catch (error) {
        done(error);
      }
    },
  });
}

async function receive(outFile) {
  const server = net.createServer({ noDelay: true });
  server.listen({ host: HOST, port: 0 });
  await once(server, 'listening');
  process.stderr.write(`--to ${HOST}:${server.address().port}\n`);
  const [socket] = await once(server, 'connection');
  server.close();
  const handle = await open(outFile, 'wx');
  try {
    await pipeline(socket, fileSink(handle));
  } finally {
    await handle.close();
  }
}

async function send(file, port, readBytes) {
  const socket = net.connect({ host: HOST, port, noDelay: true });
  await once(socket, 'connect');
  await pipeline(createReadStream(file, { highWaterMark: readBytes }), socket);
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'receive' && args.length === 1) {
  await receive(args[0]);
} else if (mode === 'send' && args.length === 3 && /^\d+$/.test(args[1]) && /^[1-9]\d*$/.test(args[2])) {
  await send(args[0], Number(args[1]), Number(args[2]));
} else {
  process.stderr.write('usage: raw-copy.mjs receive OUTFILE | raw-copy.mjs send FILE PORT READ_BYTES\n');
  process.exitCode = 2;
}
