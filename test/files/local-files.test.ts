import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectLocalFiles, openLocalFile, type LocalFile } from '../../src/files/local-files.js';

let dir: tmp.DirResult;
beforeEach(() => {
  dir = tmp.dirSync({ unsafeCleanup: true });
});
afterEach(() => dir.removeCallback());

/** The one file `name` as `sealdrop send` offers it, written with `content` first. */
async function offered(name: string, content: string): Promise<LocalFile> {
  writeFileSync(path.join(dir.name, name), content);
  const { files } = await collectLocalFiles([path.join(dir.name, name)], () => undefined);
  return files[0]!;
}

describe('openLocalFile', () => {
  it('opens the file that was offered, also after it was rewritten in place (checked after sending)', async () => {
    const file = await offered('a.txt', 'abc');
    expect(file).toMatchObject({ path: 'a.txt', size: 3, inode: statSync(file.sourcePath).ino });
    writeFileSync(file.sourcePath, 'xyz!');
    const handle = await openLocalFile(file);
    expect((await handle.readFile()).toString()).toBe('xyz!');
    await handle.close();
  });

  it('opens a file named through a link and `..`, whose directory is the link target\'s parent', async () => {
    mkdirSync(path.join(dir.name, 'real', 'sub'), { recursive: true });
    writeFileSync(path.join(dir.name, 'real', 'a.txt'), 'abc');
    symlinkSync(path.join(dir.name, 'real', 'sub'), path.join(dir.name, 'link'));
    const { files } = await collectLocalFiles([`${dir.name}/link/../a.txt`], () => undefined);
    expect(files.map((f) => f.path)).toEqual(['a.txt']);
    await (await openLocalFile(files[0]!)).close();
  });

  const swaps: Array<[string, (file: string) => void]> = [
    ['removed', (file) => rmSync(file)],
    ['replaced by another file', (file) => (writeFileSync(`${file}.new`, 'abc'), renameSync(`${file}.new`, file))],
    ['replaced by a link to another file', (file) => (rmSync(file), symlinkSync(path.join(dir.name, 'secret'), file))],
    ['replaced by a FIFO (without waiting for a writer)', (file) => (rmSync(file), execFileSync('mkfifo', [file]))],
  ];
  it.each(swaps)('refuses a file %s since the offer: E_INTERNAL', async (_, swap) => {
    writeFileSync(path.join(dir.name, 'secret'), 'abc');
    const file = await offered('a.txt', 'abc');
    swap(file.sourcePath);
    await expect(openLocalFile(file)).rejects.toMatchObject({
      code: 'E_INTERNAL',
      message: `${file.sourcePath} is no longer the file that was offered (removed, replaced or made a link); send it again`,
    });
  });

  // Only Linux says where an open file is (/proc/self/fd); elsewhere device and inode match here.
  it.runIf(process.platform === 'linux')('refuses the same file reached through a directory swapped for a link', async () => {
    const tree = path.join(dir.name, 'tree');
    mkdirSync(path.join(tree, 'sub'), { recursive: true });
    writeFileSync(path.join(tree, 'sub', 'a.txt'), 'abc');
    const { files } = await collectLocalFiles([tree], () => undefined);
    const sub = statSync(path.join(tree, 'sub'));
    expect(files[0]).toMatchObject({ path: 'tree/sub/a.txt', directory: { device: sub.dev, inode: sub.ino } });

    // The walk listed `sub` through a link to another directory: the same file, found elsewhere.
    mkdirSync(path.join(dir.name, 'elsewhere'));
    renameSync(path.join(tree, 'sub', 'a.txt'), path.join(dir.name, 'elsewhere', 'a.txt'));
    renameSync(path.join(tree, 'sub'), path.join(dir.name, 'sub-moved'));
    symlinkSync(path.join(dir.name, 'elsewhere'), path.join(tree, 'sub'));
    await expect(openLocalFile(files[0]!)).rejects.toMatchObject({ code: 'E_INTERNAL' });
  });
});
