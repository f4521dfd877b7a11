/** The chat's lines as a person sees them: `[HH:MM] name: text` in local time, notices, and nothing a terminal obeys. */
import { describe, expect, it } from 'vitest';
import { formatChatLine } from '../../src/cli/chat-screen.js';

const at = (hours: number, minutes: number) => new Date(2026, 11, 2, hours, minutes, 59).getTime();

describe('formatChatLine', () => {
  it('stamps a message with the hour and minute in local time', () => {
    expect(formatChatLine({ from: 'ana', text: 'hi', time: at(9, 5), notice: false })).toBe('[09:05] ana: hi');
    expect(formatChatLine({ from: 'bo', text: 'late', time: at(23, 59), notice: false })).toBe('[23:59] bo: late');
  });

  it('shows a notice without a name', () => {
    expect(formatChatLine({ from: null, text: 'ana joined', time: at(12, 0), notice: true })).toBe('[12:00] * ana joined');
    expect(formatChatLine({ from: 'ana', text: 'not a person', time: at(12, 0), notice: true })).toBe('[12:00] * not a person');
  });

  it('replaces every control, escape and bidi character of the name and the text (section 5)', () => {
    const line = formatChatLine({ from: 'e\u001b[2Jve\u202E', text: 'a\u001b]0;x\u0007b\nc\u2066', time: at(1, 2), notice: false });
    expect(line).toBe('[01:02] e\uFFFD[2Jve\uFFFD: a\uFFFD]0;x\uFFFDb\uFFFDc\uFFFD');
  });
});
