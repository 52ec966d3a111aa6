/**
 * Argument guards for everything in shared/ (crypto, encoding, protocol): each checks one argument
 * on entry and names it in the error — TypeError for a wrong type, RangeError for a wrong length or
 * range — like `abytes`/`anumber` in noble-hashes `src/utils.ts`. They are for programming errors
 * in the caller; malformed *data* (a bad envelope, bad base64url) is a coded `MifengError` instead.
 */

/** Names a value's type for an error message. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Throws TypeError unless `value` is a Uint8Array, RangeError unless it has `length` bytes (when given). */
export function abytes(value: unknown, length: number | undefined, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${name} must be a Uint8Array, got ${typeName(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** Throws TypeError unless `value` is a safe integer, RangeError unless it lies in [min, max]. */
export function anumber(value: unknown, min: number, max: number, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(
      `${name} must be an integer, got ${typeof value === 'number' ? value : typeName(value)}`,
    );
  }
  if (value < min || value > max) {
    throw new RangeError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** Throws TypeError unless `value` is a string. */
export function astring(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${typeName(value)}`);
  return value;
}

/** Throws TypeError unless `value` is a Date that holds a time (not `new Date('x')`). */
export function adate(value: unknown, name: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TypeError(`${name} must be a valid Date`);
  }
  return value;
}

/** Throws TypeError unless `value` is an object (an options bag, an identity), not null or an array. */
export function aobject<T extends object>(value: T, name: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${typeName(value)}`);
  }
  return value;
}

/**
 * True for a plain JSON object: `{…}` or `Object.create(null)`, not an array, Date, Map or class
 * instance. Never throws (it sorts input, it does not reject it).
 */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
