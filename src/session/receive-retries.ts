/**
 * Receiving until a transfer is done, through the gate: a transfer that broke off in a way that
 * leaves the code valid (section 7) waits for the same send to be run again, which resumes; an
 * offer refused by the receiver's rules waits for a corrected one (section 6 step 2), up to
 * MAX_REFUSED_OFFERS. Anything else ends the receive. The caller hears of each step and says it.
 */
import { SealdropError } from '../errors.js';
import type { SecureChannel } from '../channel/secure-channel.js';
import type { Gate } from './gate.js';
import { isResumable, MAX_REFUSED_OFFERS, OfferRefused, receiveTransfer, StreamPartDiscarded, type ReceiveOptions, type ReceiveResult } from './receive-session.js';

export interface RetryEvents {
  /** Before each wait for a sender at the gate. */
  readonly onWaiting?: () => void;
  /** A sender came through the gate: the channel's fingerprint is for the person to compare. */
  readonly onSecured?: (channel: SecureChannel) => void;
  /** An offer was refused and the code stays valid for `refusalsLeft` more refused offers. */
  readonly onRefused?: (refusal: OfferRefused, refusalsLeft: number) => void;
  /**
   * The transfer broke off and the gate waits for the sender again; `partsKept` tells whether its
   * part files are kept to resume (a stream's part is discarded: section 11).
   */
  readonly onBrokeOff?: (error: SealdropError, partsKept: boolean) => void;
}

export async function receiveWithRetries(gate: Gate, transfer: ReceiveOptions, events: RetryEvents = {}): Promise<ReceiveResult> {
  let refusedOffers = 0;
  for (;;) {
    events.onWaiting?.();
    const channel = await gate.next();
    events.onSecured?.(channel);
    try {
      return await receiveTransfer(channel, transfer);
    } catch (error) {
      if (error instanceof OfferRefused) {
        refusedOffers += 1;
        // Each refusal tells a sender who knows the code something of the destination (see MAX_REFUSED_OFFERS).
        if (refusedOffers >= MAX_REFUSED_OFFERS) {
          throw new SealdropError(error.code, `${error.message}; after ${MAX_REFUSED_OFFERS} refused offers the code is spent: start a new receive for a new code`);
        }
        events.onRefused?.(error, MAX_REFUSED_OFFERS - refusedOffers);
        gate.release();
        continue;
      }
      // A dropped connection or a sender that gave up leaves the code valid (section 7): wait for
      // the same send to be run again, which resumes. Anything else, a Ctrl-C too, ends the receive.
      if (!(error instanceof SealdropError) || !isResumable(error) || error.code === 'E_INTERRUPTED') throw error;
      events.onBrokeOff?.(error, !(error instanceof StreamPartDiscarded));
      gate.release();
    }
  }
}
