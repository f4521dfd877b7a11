/**
 * What a receiver with --overwrite does to a file it replaces, step by step through Destination,
 * for the tests on a file system with hard links and on one without (FAT, exFAT).
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Destination, type PartFile } from '../../src/files/destination.js';

const entry = (p: string, size: number) => ({ path: p, size, mode: 0o644, mtime: 1_700_000_000_000 });

async function written(destination: Destination, p: string, content: string): Promise<PartFile> {
  const part = await destination.createPart(entry(p, content.length));
  await part.handle.write(content);
  await part.handle.close();
  return part;
}

/**
 * a.txt holds 'old'; a.txt replaces it, then b.txt fails to commit (a directory took its name),
 * and the failure is rolled back as receiveTransfer does. What the directory holds afterwards.
 */
export async function overwriteThenFail(root: string) {
  writeFileSync(path.join(root, 'a.txt'), 'old');
  const originalInode = lstatSync(path.join(root, 'a.txt')).ino;
  const destination = await Destination.open(root, true);
  const a = await written(destination, 'a.txt', 'new');
  const b = await written(destination, 'b.txt', 'bbb');
  await destination.commit(a);
  const landedContent = readFileSync(path.join(root, 'a.txt'), 'utf8');
  mkdirSync(path.join(root, 'b.txt'));
  const failure = await destination.commit(b).then(
    () => null,
    (error: unknown) => error,
  );
  destination.unland([a]);
  await destination.discard([a, b]);
  return {
    landedContent,
    failure,
    names: readdirSync(root).sort(),
    content: readFileSync(path.join(root, 'a.txt'), 'utf8'),
    sameInode: lstatSync(path.join(root, 'a.txt')).ino === originalInode,
  };
}

/** a.txt holds 'old' and is replaced by a landing made durable and completed. What is left. */
export async function overwriteAndComplete(root: string) {
  writeFileSync(path.join(root, 'a.txt'), 'old');
  const destination = await Destination.open(root, true);
  await destination.commit(await written(destination, 'a.txt', 'new'));
  await destination.syncCommitted();
  destination.complete();
  return { names: readdirSync(root).sort(), content: readFileSync(path.join(root, 'a.txt'), 'utf8') };
}
