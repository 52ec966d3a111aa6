/**
 * A random source that hands out the given bytes in order and wipes each draw from them: how the
 * salt and IV drawn on the logic thread reach sealKeyBackup, in the key worker (which has no
 * wx.getRandomValues) and in the logic-thread fallback alike. Pure code: the worker bundles it too.
 */
export function randomFromBytes(bytes: Uint8Array): (length: number) => Uint8Array {
  let offset = 0;
  return (length) => {
    if (offset + length > bytes.length) throw new RangeError('random: too few bytes were drawn');
    const out = bytes.slice(offset, offset + length);
    bytes.fill(0, offset, offset + length);
    offset += length;
    return out;
  };
}
