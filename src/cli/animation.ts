/**
 * The moving parts on a terminal: an ora spinner while connecting and securing, then cli-progress
 * bars (the whole offer and the current file: bytes, rate, ETA). Progress comes in as events from
 * the transport; nothing here touches the protocol.
 */
import ora, { type Ora } from 'ora';
import cliProgress from 'cli-progress';
import { forDisplay } from '../protocol/display.js';
import type { TransferProgress } from '../session/progress.js';
import { formatBytes } from './format.js';

export class Animation {
  #spinner: Ora | null = null;
  #bars: TransferBars | null = null;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  spin(text: string): void {
    if (this.#spinner) this.#spinner.text = text;
    else this.#spinner = ora({ text, stream: this.stream }).start();
  }

  progress(update: TransferProgress): void {
    this.#spinner?.stop();
    this.#spinner = null;
    this.#bars ??= new TransferBars(this.stream, update.totalBytes);
    this.#bars.update(update);
  }

  stop(): void {
    this.#spinner?.stop();
    this.#spinner = null;
    this.#bars?.stop();
    this.#bars = null;
  }
}

/** Section 11: a stream's size is known only at its end, so its line shows bytes and rate alone. */
const UNKNOWN_TOTAL_FORMAT = ' {label} {done} {rate}/s';

/** A total bar and one for the current file: bytes, rate and ETA; for a stream, one line without a total. */
class TransferBars {
  readonly #multi: cliProgress.MultiBar;
  readonly #total: cliProgress.SingleBar;
  #file: cliProgress.SingleBar | null = null;
  #fileIndex = -1;
  #fileDone = 0;
  readonly #started = Date.now();

  constructor(stream: NodeJS.WriteStream, totalBytes: number | null) {
    this.#multi = new cliProgress.MultiBar(
      {
        stream,
        format: ' {label} |{bar}| {percentage}% {done}/{size} {rate}/s ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    const unknownTotal = totalBytes === null ? { format: UNKNOWN_TOTAL_FORMAT } : {};
    this.#total = this.#multi.create(Math.max(totalBytes ?? 0, 1), 0, this.#payload('total', 0, totalBytes, 0), unknownTotal);
  }

  update(p: TransferProgress): void {
    if (p.index !== this.#fileIndex && p.fileSize !== null) {
      if (this.#file) this.#multi.remove(this.#file);
      this.#fileIndex = p.index;
      this.#fileDone = 0;
      this.#file = this.#multi.create(Math.max(p.fileSize, 1), 0);
    }
    this.#fileDone += p.fileBytes;
    const seconds = Math.max((Date.now() - this.#started) / 1000, 0.001);
    const rate = p.doneBytes / seconds;
    this.#file?.update(this.#fileDone, this.#payload(forDisplay(p.path), this.#fileDone, p.fileSize, rate));
    this.#total.update(p.doneBytes, this.#payload('total', p.doneBytes, p.totalBytes, rate));
  }

  #payload(label: string, done: number, size: number | null, rate: number) {
    const shortLabel = label.length > 24 ? `…${label.slice(-23)}` : label.padEnd(24);
    return { label: shortLabel, done: formatBytes(done), size: size === null ? '?' : formatBytes(size), rate: formatBytes(rate) };
  }

  stop(): void {
    this.#multi.stop();
  }
}
