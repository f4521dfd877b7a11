/**
 * Any Readable (standard input, from the CLI) as the one stream of section 11 that a sending
 * session sends. Its own folder, beside files/: a pipe is neither files on disk nor the session,
 * and what reads a Readable needs neither node:fs nor the process, so tests hand it any stream.
 */
import type { Readable } from 'node:stream';
import { SealdropError } from '../errors.js';
import type { StreamSource } from '../session/source.js';

export class ReadableSource implements StreamSource {
  #read = false;

  constructor(
    readonly name: string,
    private readonly input: Readable,
  ) {}

  /** The input itself: the pipeline pulls from it only as the channel takes records (backpressure). */
  read(): Readable {
    if (this.#read) throw new SealdropError('E_INTERNAL', 'a stream can be read only once (section 11)');
    this.#read = true;
    return this.input;
  }
}
