/**
 * Where a command's words go. Results (hash lines, a received text, or the single --json object)
 * go to stdout; everything for the person watching (notes, warnings, spinner, bars) goes to
 * stderr, and only when it is a terminal is anything animated.
 */
import ora, { type Ora } from 'ora';
import cliProgress from 'cli-progress';
import { forDisplay } from '../protocol/display.js';
import type { TransferProgress } from '../transport/progress.js';
import { formatBytes } from './format.js';

export interface OutputOptions {
  readonly quiet: boolean;
  readonly json: boolean;
}

export class Output {
  readonly #animated: boolean;
  #spinner: Ora | null = null;
  #bars: TransferBars | null = null;

  constructor(private readonly options: OutputOptions) {
    this.#animated = Boolean(process.stderr.isTTY) && !options.quiet && !options.json;
  }

  get json(): boolean {
    return this.options.json;
  }

  /** A note for the person (stderr); hidden by --quiet and --json. */
  info(message: string): void {
    this.#stopAnimation();
    if (!this.options.quiet && !this.options.json) process.stderr.write(`${message}\n`);
  }

  /** What the person cannot do without (the code to read out): stderr even with --quiet or --json. */
  essential(message: string): void {
    this.#stopAnimation();
    process.stderr.write(`${message}\n`);
  }

  /** A warning is shown even with --quiet: it says something the person must know. */
  warn(message: string): void {
    this.#stopAnimation();
    process.stderr.write(`sealdrop: warning: ${forDisplay(message)}\n`);
  }

  /** A line of the result (stdout), unless the result is printed as JSON. */
  result(line: string): void {
    if (!this.options.json) process.stdout.write(`${line}\n`);
  }

  /** The one JSON object of --json. */
  jsonResult(value: object): void {
    if (this.options.json) process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  spin(text: string): void {
    if (!this.#animated) return;
    if (this.#spinner) this.#spinner.text = text;
    else this.#spinner = ora({ text, stream: process.stderr }).start();
  }

  progress(update: TransferProgress): void {
    if (!this.#animated) return;
    if (this.#spinner) {
      this.#spinner.stop();
      this.#spinner = null;
    }
    this.#bars ??= new TransferBars(update.totalBytes);
    this.#bars.update(update);
  }

  /** Ends any spinner or bars so the next line starts clean. */
  #stopAnimation(): void {
    this.#spinner?.stop();
    this.#spinner = null;
    this.#bars?.stop();
    this.#bars = null;
  }

  finish(): void {
    this.#stopAnimation();
  }
}

/** A total bar and one for the current file: bytes, rate and ETA. */
class TransferBars {
  readonly #multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: ' {label} |{bar}| {percentage}% {done}/{size} {rate}/s ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  readonly #total: cliProgress.SingleBar;
  #file: cliProgress.SingleBar | null = null;
  #fileIndex = -1;
  #fileDone = 0;
  readonly #started = Date.now();

  constructor(totalBytes: number) {
    this.#total = this.#multi.create(Math.max(totalBytes, 1), 0, this.#payload('total', 0, totalBytes, 0));
  }

  update(p: TransferProgress): void {
    if (p.index !== this.#fileIndex) {
      if (this.#file) this.#multi.remove(this.#file);
      this.#fileIndex = p.index;
      this.#fileDone = 0;
      this.#file = this.#multi.create(Math.max(p.fileSize, 1), 0);
    }
    this.#fileDone += p.fileBytes;
    const seconds = Math.max((Date.now() - this.#started) / 1000, 0.001);
    const rate = p.doneBytes / seconds;
    this.#file!.update(this.#fileDone, this.#payload(forDisplay(p.path), this.#fileDone, p.fileSize, rate));
    this.#total.update(p.doneBytes, this.#payload('total', p.doneBytes, p.totalBytes, rate));
  }

  #payload(label: string, done: number, size: number, rate: number) {
    const shortLabel = label.length > 24 ? `…${label.slice(-23)}` : label.padEnd(24);
    return { label: shortLabel, done: formatBytes(done), size: formatBytes(size), rate: formatBytes(rate) };
  }

  stop(): void {
    this.#multi.stop();
  }
}
