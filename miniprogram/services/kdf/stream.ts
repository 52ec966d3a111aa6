/**
 * A random source that hands out the given bytes in order and wipes each draw from them: how the
 * bytes drawn on the logic thread reach the key worker (which has no wx.getRandomValues) and the
 * logic-thread fallback alike. Pure code: the worker bundles it too.
 */
export function randomFromBytes(bytes: Uint8Array): (length: number) => Uint8Array {
  let offset = 0;
  return (length) => {
    if (offset + length > bytes.length) throw new RandomExhaustedError();
    const out = bytes.slice(offset, offset + length);
    bytes.fill(0, offset, offset + length);
    offset += length;
    return out;
  };
}

/**
 * The bytes drawn ran out: rejection sampling needed more than the surplus drawn for it. The
 * worker answers with this name, and the logic thread then does the job itself.
 */
export class RandomExhaustedError extends RangeError {
  static readonly NAME = 'RandomExhausted';
  constructor() {
    super('random: too few bytes were drawn');
    this.name = RandomExhaustedError.NAME;
  }
}
