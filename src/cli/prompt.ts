/** Questions to the person at the terminal (stderr for the question, the TTY's stdin for the answer). */
import { createInterface } from 'node:readline/promises';

export function canAsk(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

export async function ask(question: string): Promise<string> {
  const readline = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await readline.question(question);
  } finally {
    readline.close();
  }
}

export async function confirm(question: string): Promise<boolean> {
  return /^y(es)?$/i.test((await ask(`${question} [y/N] `)).trim());
}
