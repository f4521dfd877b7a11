// The chat's terminal screen in a real pseudo-terminal (tmux; skipped where tmux is missing):
// messages that arrive while a line is half typed are printed above it and leave the typed text
// intact; what the peer sends cannot drive the terminal; Ctrl-C leaves in order, with status 0;
// the peer's leaving is shown as a line.

import { execFileSync } from 'node:child_process';
import { afterAll, describe } from 'vitest';
import { killLeftovers, LOOPBACK, SEALDROP_BIN, type SealdropProcess } from '../support/cli.js';
import { e2e, type E2EScope, E2E_TIMEOUT_MS } from '../support/e2e.js';

afterAll(killLeftovers);

const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const WAIT_MS = 15_000;
const POLL_MS = 50;

/** One tmux server of its own (its own socket), with one pane running `command`. */
class TmuxPane {
  readonly #socket = `sealdrop-test-${process.pid}-${Math.random().toString(36).slice(2)}`;

  constructor(command: string, columns = 100) {
    this.#tmux(['new-session', '-d', '-x', String(columns), '-y', '30', command]);
  }

  #tmux(args: readonly string[]): string {
    return execFileSync('tmux', ['-L', this.#socket, ...args], { encoding: 'utf8' });
  }

  /** The pane's lines as shown, without the empty ones at the bottom. */
  screen(): string[] {
    const lines = this.#tmux(['capture-pane', '-p']).split('\n');
    while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
    return lines;
  }

  /** Waits until `check` holds for the screen; fails showing the screen. */
  async waitFor(what: string, check: (lines: string[]) => boolean): Promise<string[]> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const lines = this.screen();
      if (check(lines)) return lines;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${lines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Types `text` literally. */
  type(text: string): void {
    this.#tmux(['send-keys', '-l', text]);
  }

  /** Presses keys by tmux's names (`Enter`, `C-c`). */
  press(...keys: string[]): void {
    this.#tmux(['send-keys', ...keys]);
  }

  kill(): void {
    try {
      this.#tmux(['kill-server']);
    } catch {
      // already gone
    }
  }
}

/** `sealdrop chat` hosting as "bo" in a tmux pane, and "ana" joined through pipes. */
async function chatOnTerminal(sd: E2EScope, columns?: number): Promise<{ pane: TmuxPane; ana: SealdropProcess }> {
  const pane = new TmuxPane(`"${process.execPath}" "${SEALDROP_BIN}" chat --host ${LOOPBACK} --port 0 --name bo; echo "exited with $?"; sleep 30`, columns);
  try {
    // The route line comes after the command for the other side, which a narrow pane may have wrapped.
    const shown = (await pane.waitFor('the command for the other side', (lines) => lines.some((line) => line.startsWith('Connection: ')))).join('');
    const address = /sealdrop chat --join --to (127\.0\.0\.1:\d+)/.exec(shown)![1]!;
    const code = /^Code: (\S+)$/m.exec(pane.screen().join('\n'))![1]!;
    const ana = sd.run(['chat', '--to', address, '--name', 'ana'], { stdinPipe: true, env: { SEALDROP_CODE: code } });
    // Joined, as a narrow pane may have wrapped it.
    await pane.waitFor('the fingerprint', (lines) => lines.join('').includes('Session fingerprint'));
    return { pane, ana };
  } catch (error) {
    pane.kill();
    throw error;
  }
}

describe.skipIf(!hasTmux)('sealdrop chat on a terminal', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('a message arriving while a line is half typed leaves the typed text intact; Ctrl-C leaves in order', async ({ sd, expect }) => {
    const { pane, ana } = await chatOnTerminal(sd);
    try {

      pane.type('half typed');
      await pane.waitFor('the typed text', (lines) => lines.at(-1) === '> half typed');
      ana.typeLine('hello \u001b[2J\u001b[31mbo\u202E');
      ana.typeLine('and again');
      const screen = await pane.waitFor('both messages', (lines) => lines.some((line) => line.endsWith('ana: and again')));
      // Above the input line, in order and stamped; the input line still holds what was typed.
      expect(screen.slice(-3)).toEqual([expect.stringMatching(/^\[\d\d:\d\d\] ana: hello \uFFFD\[2J\uFFFD\[31mbo\uFFFD$/), expect.stringMatching(/^\[\d\d:\d\d\] ana: and again$/), '> half typed']);

      pane.type(', now sent');
      pane.press('Enter');
      await ana.waitForLine('stdout', /^\[\d\d:\d\d\] bo: half typed, now sent$/);
      // The entered line is shown once, stamped, above a fresh prompt.
      const after = await pane.waitFor('our own line, stamped', (lines) => lines.some((line) => /^\[\d\d:\d\d\] bo: half typed, now sent$/.test(line)));
      expect(after.filter((line) => line.includes('half typed'))).toHaveLength(1);
      expect(after.at(-1)).toBe('>');

      pane.press('C-c');
      await ana.expectExit(0);
      expect(ana.stderr).toMatch(/^bo left the chat$/m);
      await pane.waitFor('the exit status', (lines) => lines.includes('exited with 0'));
    } finally {
      pane.kill();
    }
  });

  e2e('a typed line that wraps stays whole, every row of it, while a message that wraps too arrives above it; Ctrl-D leaves in order', async ({ sd, expect }) => {
    const { pane, ana } = await chatOnTerminal(sd, 40);
    try {
      const typed = 'this is a long typed line that wraps over more than one row of the pane';
      // Typed as a person types, a few keys at a time.
      for (let i = 0; i < typed.length; i += 4) pane.type(typed.slice(i, i + 4));
      await pane.waitFor('the typed text', (lines) => lines.at(-1) === 'ver more than one row of the pane');
      ana.typeLine('a message that is long enough to wrap around the forty columns');
      ana.typeLine('short');
      const screen = await pane.waitFor('both messages', (lines) => lines.some((line) => line.endsWith('ana: short')));
      expect(screen.slice(-5)).toEqual([
        expect.stringMatching(/^\[\d\d:\d\d\] ana: a message that is long enou$/),
        'gh to wrap around the forty columns',
        expect.stringMatching(/^\[\d\d:\d\d\] ana: short$/),
        '> this is a long typed line that wraps o',
        'ver more than one row of the pane',
      ]);
      pane.press('Enter');
      await ana.waitForLine('stdout', new RegExp(`^\\[\\d\\d:\\d\\d\\] bo: ${typed}$`));
      // Ctrl-D on the empty input line leaves in order, as /quit does.
      pane.press('C-d');
      await ana.expectExit(0);
      expect(ana.stderr).toMatch(/^bo left the chat$/m);
      await pane.waitFor('the exit status', (lines) => lines.includes('exited with 0'));
    } finally {
      pane.kill();
    }
  });

  e2e('the peer leaving is shown as a line, and the command exits 0', async ({ sd, expect }) => {
    const { pane, ana } = await chatOnTerminal(sd);
    try {
      pane.type('never sent');
      ana.typeLine('bye');
      ana.endInput();
      await ana.expectExit(0);
      const screen = await pane.waitFor('the exit status', (lines) => lines.includes('exited with 0'));
      expect(screen.slice(-3)).toEqual([expect.stringMatching(/^\[\d\d:\d\d\] ana: bye$/), 'ana left the chat', 'exited with 0']);
    } finally {
      pane.kill();
    }
  });
});
