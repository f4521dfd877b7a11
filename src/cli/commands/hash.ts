/** `sealdrop hash FILE...`: SHA-256 in the format of sha256sum, to check a received file anywhere. */
import { SealdropError } from '../../errors.js';
import { hashFile } from '../../files/file-hash.js';
import { sha256sumLine } from '../format.js';
import type { Output } from '../output.js';

export async function runHash(files: readonly string[], output: Output): Promise<void> {
  const results: Array<{ path: string; sha256: string }> = [];
  for (const file of files) {
    const { hash } = await hashFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new SealdropError('E_USAGE', `cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
    });
    const sha256 = hash.digest('hex');
    results.push({ path: file, sha256 });
    output.result(sha256sumLine(sha256, file));
  }
  output.jsonResult({ ok: true, files: results });
}
