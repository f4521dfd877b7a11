/**
 * Bytes held as a list of Buffers ("parts"), in order, instead of one Buffer: a record of up to
 * 1 MiB arrives in many socket chunks, and keeping it as slices of them spares a copy of every
 * byte received. These helpers copy only what they must.
 */

export function partsLength(parts: readonly Uint8Array[]): number {
  let length = 0;
  for (const part of parts) length += part.length;
  return length;
}

/** The parts as one Buffer: the part itself when there is just one, else a copy (empty for none). */
export function joinParts(parts: readonly Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/**
 * Splits off the last `tailBytes` bytes: `head` keeps slices of the parts before them (no copy),
 * `tail` is one Buffer (copied only if it spans parts). The parts must hold at least `tailBytes`.
 */
export function splitTail(parts: readonly Buffer[], tailBytes: number): { head: Buffer[]; tail: Buffer } {
  const head = [...parts];
  const tailParts: Buffer[] = [];
  let missing = tailBytes;
  while (missing > 0) {
    const last = head.pop();
    if (last === undefined) throw new RangeError(`the parts hold fewer than ${tailBytes} bytes`);
    if (last.length <= missing) {
      tailParts.unshift(last);
      missing -= last.length;
    } else {
      tailParts.unshift(last.subarray(last.length - missing));
      head.push(last.subarray(0, last.length - missing));
      missing = 0;
    }
  }
  return { head, tail: tailParts.length === 1 ? tailParts[0]! : Buffer.concat(tailParts, tailBytes) };
}
