/**
 * Where a command's words go. Results (hash lines, a received text, or with --json the events and
 * then the result, one JSON object a line) go to stdout; everything for the person watching
 * (notes, warnings, spinner, bars) goes to stderr, and only when it is a terminal is anything
 * animated (the spinner and bar libraries are then loaded; a script or a pipe does not pay for
 * them at start-up).
 */
import { forDisplay, jsonForDisplay } from '../protocol/display.js';
import type { TransferProgress } from '../session/progress.js';
import type { Animation } from './animation.js';
import { PROGRESS_EVENT_INTERVAL_MS, Throttle } from './throttle.js';

export interface OutputOptions {
  readonly quiet: boolean;
  readonly json: boolean;
}

export class Output {
  readonly #progressEvents = new Throttle(PROGRESS_EVENT_INTERVAL_MS);

  private constructor(
    private readonly options: OutputOptions,
    private readonly animation: Animation | null,
  ) {}

  static async create(options: OutputOptions): Promise<Output> {
    const animated = Boolean(process.stderr.isTTY) && !options.quiet && !options.json;
    const animation = animated ? new (await import('./animation.js')).Animation(process.stderr) : null;
    return new Output(options, animation);
  }

  /** For errors before the options are known: plain, never animated. */
  static plain(json: boolean): Output {
    return new Output({ quiet: false, json }, null);
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

  /** The result of --json: the last line on stdout, with no character a terminal would obey (section 5). */
  jsonResult(value: object): void {
    if (this.options.json) process.stdout.write(`${jsonForDisplay(value)}\n`);
  }

  /**
   * With --json, one line on stdout for something that just happened (`{"event": name, ...}`), so
   * a script can follow a transfer before its result; escaped as the result is.
   */
  event(name: string, fields: object = {}): void {
    if (this.options.json) process.stdout.write(`${jsonForDisplay({ event: name, ...fields })}\n`);
  }

  spin(text: string): void {
    this.animation?.spin(text);
  }

  /** The bars on a terminal; with --json a `progress` event, at most a few a second. */
  progress(update: TransferProgress): void {
    this.animation?.progress(update);
    if (this.options.json && this.#progressEvents.ready()) {
      const { index, path, fileSize, doneBytes, totalBytes } = update;
      this.event('progress', { index, path, fileSize, doneBytes, totalBytes });
    }
  }

  /** Ends any spinner or bars so the next line starts clean. */
  #stopAnimation(): void {
    this.animation?.stop();
  }

  finish(): void {
    this.#stopAnimation();
  }
}
