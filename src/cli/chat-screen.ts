/**
 * The chat's terminal: what the person types, and the conversation as it arrives. On a terminal,
 * an input line stays at the bottom while messages are printed above it (node:readline: the
 * typed text is kept and the prompt redrawn after each message). Piped, each input line is a
 * message and each message one output line (with --json, one JSON object). Everything the peer
 * wrote passes section 5's display rule first: no character of it can move the cursor or change
 * colours.
 */
import { clearScreenDown, createInterface, cursorTo, moveCursor, type Interface } from 'node:readline';
import { forDisplay } from '../protocol/display.js';
import type { ChatMessage } from '../session/chat-session.js';
import type { Output } from './output.js';

export interface ChatScreen {
  /** The lines the person types, one at a time; ends at the end of input (Ctrl-D, Ctrl-C, EOF). */
  lines(): AsyncIterable<string>;
  /** A line of the conversation (someone's message, or a notice). */
  show(message: ChatMessage): void;
  /** Our own message, once it went out: on a terminal it takes the place of the typed line. */
  showOwn(message: ChatMessage): void;
  /** A word from sealdrop itself for the person (a fingerprint, a warning). */
  note(text: string): void;
  /** Stops reading input (the chat is over) and gives the terminal back. */
  close(): void;
}

const twoDigits = (n: number) => String(n).padStart(2, '0');

/** `[HH:MM] name: text` in local time, or `[HH:MM] * text` for a notice; safe for a terminal. */
export function formatChatLine(message: ChatMessage): string {
  const date = new Date(message.time);
  const stamp = `[${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}]`;
  const text = forDisplay(message.text);
  return message.notice || message.from === null ? `${stamp} * ${text}` : `${stamp} ${forDisplay(message.from)}: ${text}`;
}

/** The fields of a message for --json, as the peer sent them (jsonForDisplay escapes them). */
function messageForJson(message: ChatMessage): object {
  const { from, time, text, notice } = message;
  return { from, time, text, notice };
}

export function openChatScreen(output: Output, json: boolean): ChatScreen {
  return process.stdin.isTTY && process.stdout.isTTY && !json ? new TerminalScreen() : new PipedScreen(output, json);
}

const PROMPT = '> ';

/** Where the input line ends on the screen, as readline counts (one column a code point). */
function inputEnd(typed: string): { rows: number; cols: number } {
  const columns = process.stdout.columns || 80;
  const length = PROMPT.length + [...typed].length;
  return { rows: Math.floor(length / columns), cols: length % columns };
}

class TerminalScreen implements ChatScreen {
  readonly #readline: Interface;
  #closed = false;

  constructor() {
    this.#readline = createInterface({ input: process.stdin, output: process.stdout, terminal: true, prompt: PROMPT });
    // Ctrl-C leaves the chat as /quit does, in order: on a terminal it is a key, not a signal.
    this.#readline.on('SIGINT', () => this.#readline.close());
    this.#readline.prompt();
  }

  async *lines(): AsyncIterable<string> {
    for await (const line of this.#readline) {
      this.#eraseEntered(line);
      yield line;
      this.#readline.prompt();
    }
  }

  /** The line just entered stays on the screen above the cursor; it is shown again stamped, if sent. */
  #eraseEntered(line: string): void {
    moveCursor(process.stdout, 0, -(inputEnd(line).rows + 1));
    cursorTo(process.stdout, 0);
    clearScreenDown(process.stdout);
  }

  /** Prints `line` above the input line: clears what the input occupies, prints, redraws it as typed. */
  #printAbove(line: string): void {
    const output = process.stdout;
    if (this.#closed) {
      output.write(`${line}\n`); // no input line any more: the last words of the chat
      return;
    }
    const readline = this.#readline;
    const cursor = readline.getCursorPos();
    moveCursor(output, 0, -cursor.rows);
    cursorTo(output, 0);
    clearScreenDown(output);
    // Our line, then the input line as it was, drawn here: readline's own redraw first climbs the
    // rows it drew last, which after a paste is not always the row the cursor is on.
    output.write(`${line}\n${PROMPT}${readline.line}`);
    const end = inputEnd(readline.line);
    // A line that fills its last row leaves the terminal waiting to wrap: start the next row.
    if (end.cols === 0 && end.rows > 0) output.write(' \r');
    moveCursor(output, cursor.cols - end.cols, cursor.rows - end.rows);
  }

  show(message: ChatMessage): void {
    this.#printAbove(formatChatLine(message));
  }

  showOwn(message: ChatMessage): void {
    this.#printAbove(formatChatLine(message));
  }

  note(text: string): void {
    this.#printAbove(forDisplay(text));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#readline.close();
    cursorTo(process.stdout, 0);
    clearScreenDown(process.stdout);
  }
}

class PipedScreen implements ChatScreen {
  readonly #readline: Interface;

  constructor(
    private readonly output: Output,
    private readonly json: boolean,
  ) {
    this.#readline = createInterface({ input: process.stdin, terminal: false });
  }

  lines(): AsyncIterable<string> {
    return this.#readline;
  }

  show(message: ChatMessage): void {
    if (this.json) this.output.event('message', messageForJson(message));
    else this.output.result(formatChatLine(message));
  }

  /** A script knows what it sent: its own lines are not echoed. */
  showOwn(): void {}

  note(text: string): void {
    this.output.info(forDisplay(text));
  }

  close(): void {
    this.#readline.close();
  }
}
