/**
 * A local attacker for race tests: a thread that, until stopped, keeps moving `target` (a file or
 * a directory) aside, putting a symbolic link to `linkTo` in its place for an instant, and moving
 * it back. Code that checks a name and then uses it loses this race now and then.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

const SWAPPER_SOURCE = `
const { workerData: { target, linkTo, stop } } = require('node:worker_threads');
const fs = require('node:fs');
const held = target + '.held';
while (Atomics.load(stop, 0) === 0) {
  try {
    fs.renameSync(target, held);
  } catch {
    continue; // not there this instant
  }
  try {
    fs.symlinkSync(linkTo, target);
    fs.unlinkSync(target);
  } catch {
    // The code under test put something there meanwhile.
  }
  try {
    fs.renameSync(held, target);
  } catch {
    fs.rmSync(target, { recursive: true, force: true }); // what it put there, in the held one's way
    fs.renameSync(held, target);
  }
}`;

export interface LinkSwapper {
  /** Stops swapping; `target` is back in its place afterwards. Rejects if the thread failed. */
  stop(): Promise<void>;
}

export async function startLinkSwapper(target: string, linkTo: string): Promise<LinkSwapper> {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(SWAPPER_SOURCE, { eval: true, workerData: { target, linkTo, stop } });
  // Listened for from the start: a thread that failed early has exited before `stop` is called.
  const exited = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', () => resolve());
  });
  await once(worker, 'online');
  return {
    async stop() {
      Atomics.store(stop, 0, 1);
      await exited;
    },
  };
}
