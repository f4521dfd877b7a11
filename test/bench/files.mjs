/** The bench's test files: random content of a given size, and SHA-256 to check every copy. */
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const WRITE_BLOCK_BYTES = 4 * 1024 * 1024;

/** Writes `bytes` random bytes to a new `file` and returns their SHA-256 (hex). */
export async function makeRandomFile(file, bytes) {
  const hash = createHash('sha256');
  const block = Buffer.allocUnsafe(Math.min(WRITE_BLOCK_BYTES, Math.max(bytes, 1)));
  const handle = await open(file, 'wx');
  try {
    for (let left = bytes; left > 0; ) {
      const length = Math.min(left, block.length);
      randomFillSync(block, 0, length);
      hash.update(block.subarray(0, length));
      await handle.write(block, 0, length);
      left -= length;
    }
    // On disk before any measurement, so the kernel's write-back of it does not run during one.
    await handle.sync();
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** The SHA-256 of `file`, or of its first `bytes` if given. */
export async function sha256File(file, bytes = Infinity) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024, end: bytes - 1 })) hash.update(chunk);
  return hash.digest('hex');
}

/** Throws unless `copy` has the SHA-256 of the source. */
export async function verifyCopy(copy, expectedSha256, what) {
  const actual = await sha256File(copy);
  if (actual !== expectedSha256) throw new Error(`${what}: the received file's SHA-256 ${actual} differs from the source's ${expectedSha256}`);
}

/** `count` files of `bytes` random bytes each in a new `directory`; returns their names and SHA-256. */
export async function makeRandomTree(directory, count, bytes) {
  await mkdir(directory);
  const tree = [];
  for (let i = 1; i <= count; i += 1) {
    const name = `file-${String(i).padStart(5, '0')}.bin`;
    const content = randomFillSync(Buffer.allocUnsafe(bytes));
    await writeFile(path.join(directory, name), content);
    tree.push({ name, sha256: createHash('sha256').update(content).digest('hex') });
  }
  return tree;
}

/** Throws unless every file of `tree` is in `copyDirectory` with its SHA-256. */
export async function verifyTree(copyDirectory, tree, what) {
  for (const { name, sha256 } of tree) {
    const actual = createHash('sha256').update(await readFile(path.join(copyDirectory, name))).digest('hex');
    if (actual !== sha256) throw new Error(`${what}: the received ${name}'s SHA-256 ${actual} differs from the source's ${sha256}`);
  }
}
