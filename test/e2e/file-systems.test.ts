// End to end: receiving onto a file system like the FAT and exFAT of USB sticks, which has no
// hard links and, mounted by the kernel, refuses a chmod to a mode it cannot hold. The receiver
// normally lands a file with link(), which refuses to replace anything, and gives it the sender's
// mode; there it must rename instead, and keep the mode the file system gives. Opt-in, since it
// needs such a file system mounted: set SEALDROP_TEST_FAT_LIKE_DIR to a writable directory on one
// (README: Tests has a recipe: exFAT through exfat-fuse, under bindfs --chmod-deny).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Destination } from '../../src/files/destination.js';
import { collectLocalFiles, openLocalFile } from '../../src/files/local-files.js';
import { expectAwaitingCorrectedOffer, killLeftovers } from '../support/cli.js';
import { e2e, E2E_TIMEOUT_MS } from '../support/e2e.js';
import { listTree, sha256Hex } from '../support/files.js';

const fatLikeDir = process.env.SEALDROP_TEST_FAT_LIKE_DIR;

afterAll(killLeftovers); // a safety net: each test already kills its own processes

/** Whether `call` fails: what the file system refuses. */
function refuses(call: () => void): boolean {
  try {
    call();
    return false;
  } catch {
    return true;
  }
}

describe.runIf(fatLikeDir)(`a destination like FAT (${fatLikeDir ?? 'SEALDROP_TEST_FAT_LIKE_DIR not set'})`, { timeout: E2E_TIMEOUT_MS }, () => {
  /** A fresh directory on that file system, which really refuses hard links and modes. */
  function destination(): string {
    const out = mkdtempSync(path.join(fatLikeDir!, 'sealdrop-e2e-'));
    const probe = path.join(out, 'probe');
    writeFileSync(probe, '');
    const noLinks = refuses(() => linkSync(probe, `${probe}-link`));
    const noModes = refuses(() => chmodSync(probe, 0o640));
    rmSync(probe);
    if (!noLinks || !noModes) throw new Error(`${fatLikeDir} allows ${noLinks ? 'modes' : 'hard links'}: this test needs a file system without either`);
    return out;
  }

  e2e('receives a directory of files, verified, with no part or lock file left, and refuses to replace one', async ({ sd, expect }) => {
    const out = destination();
    try {
      const photos = path.join(sd.ws.src, 'photos');
      mkdirSync(photos);
      const one = randomBytes(3 * 1024 * 1024);
      writeFileSync(path.join(photos, 'one.jpg'), one);
      writeFileSync(path.join(photos, 'two.txt'), 'two\n');

      const receiver = await sd.startReceiver({ out, args: ['--yes'] });
      const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [photos] });
      await sender.expectExit(0);
      await receiver.process.expectExit(0);
      expect(listTree(out)).toEqual(['photos/', 'photos/one.jpg', 'photos/two.txt']);
      expect(readFileSync(path.join(out, 'photos', 'one.jpg')).equals(one)).toBe(true);
      expect(receiver.process.stdout).toBe(`${sha256Hex(one)}  photos/one.jpg\n${sha256Hex(Buffer.from('two\n'))}  photos/two.txt\n`);

      const again = await sd.startReceiver({ out, args: ['--yes'] });
      const resend = sd.startSender({ to: again.address, code: again.code, paths: [photos] });
      await resend.expectExit(5);
      await expectAwaitingCorrectedOffer(again.process);
      expect(again.process.stderr).toMatch(/^sealdrop: warning: refused the offer: E_EXISTS: photos\/one\.jpg already exists/m);
      expect(readFileSync(path.join(out, 'photos', 'one.jpg')).equals(one)).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  // These file systems number an inode anew once the kernel has dropped it from its cache, as a
  // large transfer's page cache will make it do; dropping the caches by hand (root only) does the
  // same at once. A file must not then count as replaced.
  it.runIf(canDropCaches())('sends and lands files whose inode numbers changed between offer and read, and between write and commit', async () => {
    const out = destination();
    try {
      const source = path.join(out, 'source.txt');
      writeFileSync(source, 'hello');
      const [offered] = (await collectLocalFiles([source], () => undefined)).files;
      dropCaches();
      expect(statSync(source).ino).not.toBe(offered!.inode);
      await (await openLocalFile(offered!)).close();

      const received = await Destination.open(out, false);
      const part = await received.createPart({ path: 'sub/a.txt', size: 3, mode: 0o644, mtime: 1_700_000_000_000 });
      await part.handle.write('abc');
      await part.handle.close();
      dropCaches();
      expect(statSync(part.partPath).ino).not.toBe(part.inode);
      await received.commit(part);
      expect(readFileSync(path.join(out, 'sub', 'a.txt'), 'utf8')).toBe('abc');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

function canDropCaches(): boolean {
  try {
    accessSync('/proc/sys/vm/drop_caches', constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function dropCaches(): void {
  execFileSync('sh', ['-c', 'sync && echo 2 > /proc/sys/vm/drop_caches']);
}
