/** `sealdrop hash FILE...`: SHA-256 in the format of sha256sum, to check a received file anywhere. */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { SealdropError } from '../../errors.js';
import { HashTap } from '../../transport/hash-tap.js';
import { sha256sumLine } from '../format.js';
import type { Output } from '../output.js';

export async function runHash(files: readonly string[], output: Output): Promise<void> {
  const results: Array<{ path: string; sha256: string }> = [];
  for (const file of files) {
    const tap = new HashTap();
    try {
      await pipeline(createReadStream(file), tap, async function* drain(source) {
        for await (const _chunk of source) yield* [];
      });
    } catch (error) {
      throw new SealdropError('E_USAGE', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    const sha256 = tap.digest();
    results.push({ path: file, sha256 });
    output.result(sha256sumLine(sha256, file));
  }
  output.jsonResult({ ok: true, files: results });
}
