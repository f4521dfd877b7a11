/**
 * The host's side of a relay (PROTOCOL.md section 9), as a source of incoming streams for the
 * responder's gate. It gets a nameplate (the code's first part) and keeps at most one connection
 * posted for it, and posts only when the gate asks for the next peer (`want()`): after a failed
 * handshake or a transfer that broke off, never while a transfer runs. A posted connection the
 * relay stopped keeping (E_RELAY_TIMEOUT) is posted again. `close()` sends `release`, on a
 * connection of its own, so the nameplate rests at once and a late guest hears E_RELAY_NAMEPLATE.
 */
import type { Duplex } from 'node:stream';
import { SealdropError, toSealdropError } from '../errors.js';
import { IncomingQueue, type IncomingStream, type StreamsOnDemand } from '../channel/incoming.js';
import { ask, readAnswer, unexpectedAnswer, type RelayLink } from './relay-link.js';

export class RelayHost implements StreamsOnDemand {
  readonly #queue = new IncomingQueue();
  /** What ended the source, thrown to whoever iterates once the queue is empty. */
  #failure: SealdropError | null = null;
  /** A connection is posted (or being posted) and no peer has been handed out for it yet. */
  #posting = false;
  /** The posted connection, while it waits for a guest. */
  #posted: Duplex | null = null;
  #closed = false;

  private constructor(
    private readonly link: RelayLink,
    readonly nameplate: string,
    private readonly token: string,
  ) {}

  /** Asks the relay for a nameplate; the connection that asked stays posted for it. */
  static async open(link: RelayLink): Promise<RelayHost> {
    const { stream, answer } = await ask(link, { op: 'host' });
    if (answer.kind !== 'hosted') {
      stream.destroy();
      throw unexpectedAnswer(link, answer);
    }
    const host = new RelayHost(link, answer.nameplate, answer.token);
    void host.#postUntilPaired(stream);
    return host;
  }

  /** The gate is ready for another peer: post a connection, unless one is posted already. */
  want(): void {
    if (this.#posting || this.#closed) return;
    void this.#postUntilPaired(null);
  }

  async #postUntilPaired(first: Duplex | null): Promise<void> {
    this.#posting = true;
    let stream = first;
    try {
      for (;;) {
        stream ??= await this.#repost();
        if (this.#closed) break;
        this.#posted = stream;
        const answer = await readAnswer(stream, this.link, null); // a guest may take minutes
        this.#posted = null;
        if (this.#closed) break;
        if (answer.kind === 'paired') {
          this.#posting = false;
          this.#queue.push({ stream, remote: `a peer through the relay ${this.link.name}` });
          return;
        }
        stream.destroy();
        stream = null;
        // The relay stopped keeping the posted connection; the code is still valid: post again.
        if (answer.kind !== 'refused' || answer.code !== 'E_RELAY_TIMEOUT') throw unexpectedAnswer(this.link, answer);
      }
      stream?.destroy();
    } catch (error) {
      this.#posted = null;
      stream?.destroy();
      if (!this.#closed) this.#fail(toSealdropError(error));
    }
  }

  /** Section 9: a post for a nameplate this host holds names it and proves it with the token. */
  async #repost(): Promise<Duplex> {
    const { stream, answer } = await ask(this.link, { op: 'host', nameplate: this.nameplate, token: this.token });
    if (answer.kind === 'hosted') return stream;
    stream.destroy();
    throw unexpectedAnswer(this.link, answer);
  }

  #fail(error: SealdropError): void {
    this.#failure = error;
    for (const { stream } of this.#queue.end()) stream.destroy();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<IncomingStream> {
    yield* this.#queue;
    if (this.#failure !== null) throw this.#failure;
  }

  /**
   * The code is spent, or the command ends: no more posts, the posted connection is closed, and
   * the nameplate released. Best effort (a relay that is gone forgets it after its ttl anyway);
   * resolves whether the relay confirmed the release.
   */
  async close(): Promise<boolean> {
    if (this.#closed) return false;
    this.#closed = true;
    this.#posted?.destroy();
    for (const { stream } of this.#queue.end()) stream.destroy();
    try {
      const { stream, answer } = await ask(this.link, { op: 'release', nameplate: this.nameplate, token: this.token });
      stream.destroy();
      return answer.kind === 'released';
    } catch {
      return false;
    }
  }
}
