/**
 * The relay's nameplates (PROTOCOL.md section 9): which are held, by which token, which rest, and
 * when a held one lapses. A nameplate lapses `ttl` after its host last had no connection posted
 * or paired, or at once on release; then it rests, neither held nor given out, so that a late
 * guest hears E_RELAY_NAMEPLATE rather than reaching a stranger.
 */
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

const SMALL_RANGE_MAX = 999;
const LARGE_RANGE_MAX = 999_999;
/** Section 9: small nameplates while fewer than this many of 1–999 are held. */
const SMALL_RANGE_HELD_LIMIT = 500;
const TOKEN_BYTES = 16;
/** Random draws before falling back to listing the free nameplates of a range. */
const RANDOM_DRAWS = 32;

export interface HeldNameplate {
  readonly nameplate: string;
  /** Connections of its host now posted or paired; at 0 the ttl runs. */
  connections: number;
  lapseTimer: NodeJS.Timeout | null;
  readonly token: Buffer;
}

export interface NameplateTimes {
  readonly ttlMs: number;
  readonly restMs: number;
}

export class Nameplates {
  readonly #held = new Map<string, HeldNameplate>();
  readonly #resting = new Map<string, NodeJS.Timeout>();
  #smallHeld = 0;

  constructor(
    private readonly times: NameplateTimes,
    private readonly onLapse: (nameplate: string) => void,
  ) {}

  get heldCount(): number {
    return this.#held.size;
  }

  get(nameplate: string): HeldNameplate | undefined {
    return this.#held.get(nameplate);
  }

  /** A new nameplate with a fresh 128-bit token; null when every nameplate is held. */
  allocate(): HeldNameplate | null {
    const nameplate = this.#draw();
    if (nameplate === null) return null;
    const token = randomBytes(TOKEN_BYTES);
    const held: HeldNameplate = { nameplate, connections: 0, lapseTimer: null, token };
    this.#stopResting(nameplate);
    this.#held.set(nameplate, held);
    if (Number(nameplate) <= SMALL_RANGE_MAX) this.#smallHeld += 1;
    return held;
  }

  /** Whether `token` (32 lowercase hex, already checked) is the nameplate's, in constant time. */
  static tokenMatches(held: HeldNameplate, token: string): boolean {
    return timingSafeEqual(held.token, Buffer.from(token, 'hex'));
  }

  /** A connection of the host is now posted or paired: the ttl stops. */
  connectionOpened(held: HeldNameplate): void {
    held.connections += 1;
    if (held.lapseTimer !== null) clearTimeout(held.lapseTimer);
    held.lapseTimer = null;
  }

  /** A posted or paired connection of the host ended: the ttl runs once none is left. */
  connectionClosed(held: HeldNameplate): void {
    held.connections -= 1;
    if (held.connections > 0 || this.#held.get(held.nameplate) !== held) return;
    held.lapseTimer = setTimeout(() => this.#lapse(held.nameplate), this.times.ttlMs);
    held.lapseTimer.unref();
  }

  /** Forgets the nameplate now (a release, or its ttl ran out): it rests. */
  release(nameplate: string): void {
    const held = this.#held.get(nameplate);
    if (held === undefined) return;
    if (held.lapseTimer !== null) clearTimeout(held.lapseTimer);
    this.#held.delete(nameplate);
    if (Number(nameplate) <= SMALL_RANGE_MAX) this.#smallHeld -= 1;
    const rest = setTimeout(() => this.#resting.delete(nameplate), this.times.restMs);
    rest.unref();
    this.#resting.set(nameplate, rest);
  }

  /** Stops every timer (the relay has stopped). */
  clear(): void {
    for (const held of this.#held.values()) if (held.lapseTimer !== null) clearTimeout(held.lapseTimer);
    for (const rest of this.#resting.values()) clearTimeout(rest);
    this.#held.clear();
    this.#resting.clear();
    this.#smallHeld = 0;
  }

  #lapse(nameplate: string): void {
    this.release(nameplate);
    this.onLapse(nameplate);
  }

  #stopResting(nameplate: string): void {
    const rest = this.#resting.get(nameplate);
    if (rest !== undefined) clearTimeout(rest);
    this.#resting.delete(nameplate);
  }

  /**
   * Section 9: at random among those neither held nor resting, in 1–999 while fewer than 500 of
   * them are held, else in 1–999999; a resting one only when no other is free.
   */
  #draw(): string | null {
    const isFree = (n: number) => !this.#held.has(String(n)) && !this.#resting.has(String(n));
    const isNotHeld = (n: number) => !this.#held.has(String(n));
    if (this.#smallHeld < SMALL_RANGE_HELD_LIMIT) {
      const small = drawFrom(SMALL_RANGE_MAX, isFree);
      if (small !== null) return String(small);
    }
    const large = drawFrom(LARGE_RANGE_MAX, isFree) ?? drawFrom(LARGE_RANGE_MAX, isNotHeld);
    return large === null ? null : String(large);
  }
}

/** A random n in 1..max with `fits(n)`: a few draws, then a uniform pick among all that fit. */
function drawFrom(max: number, fits: (n: number) => boolean): number | null {
  for (let i = 0; i < RANDOM_DRAWS; i++) {
    const n = randomInt(1, max + 1);
    if (fits(n)) return n;
  }
  const candidates: number[] = [];
  for (let n = 1; n <= max; n++) if (fits(n)) candidates.push(n);
  return candidates.length === 0 ? null : candidates[randomInt(candidates.length)]!;
}
