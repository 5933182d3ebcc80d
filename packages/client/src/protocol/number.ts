/**
 * Number → wire text, identical to `String(value)` but faster for the values metrics carry: integers,
 * and decimals with at most three places (what `timer()`/`time()` produce after rounding to the µs).
 */

/** '', '.001', …, '.01', …, '.999': the fractional part for each count of thousandths, trailing zeros dropped. */
const THOUSANDTHS: readonly string[] = Array.from({ length: 1000 }, (_, i) =>
  i === 0 ? '' : `.${String(i).padStart(3, '0').replace(/0+$/, '')}`,
);

/**
 * Below this many thousandths (|value| < 1e12 < 2^40) a double is closer than 0.001 to its neighbours, so a
 * value equal to m/1000 has `m/1000` as its shortest round-trip form, which is what `String()` prints.
 */
const EXACT_LIMIT = 1e15;

/**
 * `value` in thousandths when that is exact and below {@link EXACT_LIMIT} (the fast path of the three
 * functions below), else NaN (the general form, `${value}`). Integers take the same path (no fraction):
 * a `Number.isInteger` check first made V8 run the decimal path 5× slower (~200 ns instead of ~40, Node 20).
 */
function thousandths(value: number): number {
  const m = Math.round(value * 1000);
  return m / 1000 === value && m < EXACT_LIMIT && m > -EXACT_LIMIT ? m : Number.NaN;
}

/** `String(value)` for a finite number, without V8's general double-to-string on the common cases. */
export function formatNumber(value: number): string {
  const m = thousandths(value);
  if (Number.isNaN(m)) return `${value}`;
  const abs = m < 0 ? -m : m;
  const int = Math.floor(abs / 1000);
  const frac = THOUSANDTHS[abs - int * 1000] as string;
  return m < 0 ? `-${int}${frac}` : `${int}${frac}`;
}

/** Characters of `THOUSANDTHS[i]`: 0, or the '.' and the digits left after dropping trailing zeros. */
const FRACTION_BYTES = Uint8Array.from({ length: 1000 }, (_, i) =>
  i === 0 ? 0 : i % 100 === 0 ? 2 : i % 10 === 0 ? 3 : 4,
);

/** Decimal digits of a whole number 0 ≤ n < 1e12. */
function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/**
 * The bytes {@link formatNumber} takes for `value` (finite), without making the string on the common
 * path: what a held sample reserves in its line before {@link putNumber} writes it.
 */
export function numberBytes(value: number): number {
  const m = thousandths(value);
  if (Number.isNaN(m)) return `${value}`.length;
  const abs = m < 0 ? -m : m;
  const int = Math.floor(abs / 1000);
  return (m < 0 ? 1 : 0) + digits(int) + (FRACTION_BYTES[abs - int * 1000] as number);
}

/**
 * Write {@link formatNumber}(`value`) (finite) at `off` as ASCII digits, without making the string on the
 * common path; returns the offset after it (`off` + {@link numberBytes}(`value`)).
 */
export function putNumber(buf: Buffer, off: number, value: number): number {
  const m = thousandths(value);
  if (Number.isNaN(m)) {
    const s = `${value}`; // the general form: ASCII digits, '.', '-', 'e', '+'
    for (let i = 0; i < s.length; i++) buf[off + i] = s.charCodeAt(i);
    return off + s.length;
  }
  let o = off;
  let abs = m;
  if (m < 0) {
    buf[o++] = 0x2d; // '-'
    abs = -m;
  }
  let int = Math.floor(abs / 1000);
  const frac = abs - int * 1000;
  const end = o + digits(int);
  for (let i = end - 1; i >= o; i--) {
    const q = Math.floor(int / 10);
    buf[i] = 0x30 + (int - q * 10);
    int = q;
  }
  o = end;
  if (frac !== 0) {
    buf[o++] = 0x2e; // '.'
    const d1 = Math.floor(frac / 100);
    const d2 = Math.floor(frac / 10) - d1 * 10;
    const d3 = frac % 10;
    buf[o++] = 0x30 + d1;
    if (d2 !== 0 || d3 !== 0) buf[o++] = 0x30 + d2;
    if (d3 !== 0) buf[o++] = 0x30 + d3;
  }
  return o;
}
