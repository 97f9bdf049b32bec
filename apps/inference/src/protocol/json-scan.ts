/**
 * A JSON parser tuned for inference bodies: arrays whose leaves are all numbers (flat or
 * nested) are not built as JS arrays but written into one shared Float64Array, and returned
 * as a NumericRef. Everything else becomes ordinary values. It also accepts the NaN,
 * Infinity and -Infinity tokens that Python's json module writes, so validation can name them.
 *
 * An array is first scanned as numbers. When a non-number turns up, however deep, the scanner
 * rewinds once to where that numeric attempt began and reads it generically; the arrays that
 * led to the non-number are known by then and are read generically straight away (only their
 * completed number-only children are scanned as numbers again). So every byte is scanned at
 * most twice, never once per nesting level.
 */
import { JsonCursor, POW10 } from "./json-cursor";
import { C, MAX_DEPTH, NumericRef, type TJsonObject, type TJsonValue } from "./json-value";

export { JsonSyntaxError, NumericRef, type TJsonObject, type TJsonValue } from "./json-value";

const EMPTY = Buffer.alloc(0);
const MAX_EXACT = Number.MAX_SAFE_INTEGER;

export class JsonScanner extends JsonCursor {
  /** numbers of every NumericRef from the last parse; valid until the next parse */
  values = new Float64Array(4096);
  private used = 0;
  // state of the numeric block being scanned
  private dims: number[] = [];
  private leafLevel = -1;
  private isRagged = false;
  private hasNonFinite = false;
  private isIntegral = true;
  private min = Infinity;
  private max = -Infinity;
  /** set by scanPlainRun when its run ended with ']' */
  private isRunClosed = false;
  /** elements of the generic arrays being parsed (see parseGenericArray) */
  private readonly elements: TJsonValue[] = [];
  private elementCount = 0;
  /** where the arrays on the way to a failed numeric attempt's non-number start, by level */
  private readonly pathStarts: number[] = new Array<number>(MAX_DEPTH + 2).fill(-1);
  private failLevel = 0;
  /** the next array to read generically without a numeric attempt (-1: none) */
  private nextPathStart = -1;
  private pathLevel = 0;
  /** bytes scanned a second time after rewinds, in this parse */
  private rewound = 0;
  private scanned = 0;

  /** Parses all of buf (pass a subarray for a JSON header followed by binary data). */
  parse(buf: Buffer): TJsonValue {
    this.buf = buf;
    this.pos = 0;
    this.end = buf.length;
    this.used = 0;
    this.rewound = 0;
    this.nextPathStart = -1;
    this.elementCount = 0;
    if (this.values.length > 1 << 22) this.values = new Float64Array(4096);
    try {
      this.skipWs();
      const value = this.parseValue(0);
      this.skipWs();
      if (this.pos < this.end) this.fail("unexpected data after the JSON value");
      return value;
    } finally {
      this.scanned = this.pos + this.rewound;
      this.buf = EMPTY;
      // drop references to this body's values
      if (this.elements.length > 0) this.elements.length = 0;
    }
  }

  /** Bytes the last parse read, counting the ones read again after rewinds (at most 2× the body). */
  get lastScannedBytes(): number {
    return this.scanned;
  }

  /** Copies the numbers of a ref into a plain array (for small things such as shapes). */
  readNumbers(ref: NumericRef): number[] {
    return Array.from(this.values.subarray(ref.start, ref.start + ref.count));
  }

  private parseValue(depth: number): TJsonValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    if (this.pos >= this.end) this.fail("unexpected end of input");
    const c = this.buf[this.pos]!;
    if (c === C.LBrace) return this.parseObject(depth);
    if (c === C.LBracket) return this.parseArray(depth);
    if (c === C.Quote) return this.parseString();
    if (c === C.LowerT) return this.parseLiteral("true", true);
    if (c === C.LowerF) return this.parseLiteral("false", false);
    if (c === C.LowerN) return this.parseLiteral("null", null);
    return this.parseNumber();
  }

  private parseObject(depth: number): TJsonObject {
    const obj: TJsonObject = Object.create(null) as TJsonObject;
    this.pos++;
    this.skipWs();
    if (this.buf[this.pos] === C.RBrace) {
      this.pos++;
      return obj;
    }
    for (;;) {
      if (this.buf[this.pos] !== C.Quote) this.fail("expected a property name");
      const key = this.parseString();
      this.skipWs();
      if (this.buf[this.pos] !== C.Colon) this.fail("expected ':'");
      this.pos++;
      this.skipWs();
      obj[key] = this.parseValue(depth + 1);
      if (this.readSeparator(C.RBrace)) return obj;
    }
  }

  private parseArray(depth: number): TJsonValue {
    const pos = this.pos;
    if (pos === this.nextPathStart) {
      // known to hold the non-number of an attempt that already failed: no second attempt
      this.pathLevel++;
      this.nextPathStart = this.pathLevel <= this.failLevel ? this.pathStarts[this.pathLevel]! : -1;
      return this.parseGenericArray(depth);
    }
    const used = this.used;
    const numeric = this.tryNumericArray(depth);
    if (numeric) return numeric;
    // this.pos is at the non-number; pathStarts[1..failLevel] hold the arrays around it
    this.rewound += this.pos - pos;
    this.pos = pos;
    this.used = used;
    this.pathLevel = 1;
    this.nextPathStart = this.failLevel >= 1 ? this.pathStarts[1]! : -1;
    return this.parseGenericArray(depth);
  }

  private parseGenericArray(depth: number): TJsonValue[] {
    this.pos++;
    this.skipWs();
    if (this.buf[this.pos] === C.RBracket) {
      this.pos++;
      return [];
    }
    // Elements gather on one shared stack, so each array is allocated once at its exact length.
    const base = this.elementCount;
    for (;;) {
      const value = this.parseValue(depth + 1);
      this.elements[this.elementCount++] = value;
      if (this.readSeparator(C.RBracket)) break;
    }
    const out = this.elements.slice(base, this.elementCount);
    this.elementCount = base;
    return out;
  }

  private tryNumericArray(depth: number): NumericRef | undefined {
    const start = this.used;
    this.dims = [];
    this.leafLevel = -1;
    this.isRagged = false;
    this.hasNonFinite = false;
    this.isIntegral = true;
    this.min = Infinity;
    this.max = -Infinity;
    if (!this.scanNumericLevel(0, depth)) return undefined;
    const rank = this.leafLevel < 0 ? this.dims.length : this.leafLevel + 1;
    return new NumericRef(
      start,
      this.used - start,
      this.dims.slice(0, rank),
      this.isRagged,
      this.hasNonFinite,
      this.isIntegral,
      this.min,
      this.max,
    );
  }

  /** Returns false when an element is not a number or array, so the caller parses generically. */
  private scanNumericLevel(level: number, depth: number): boolean {
    if (depth + level > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const buf = this.buf;
    const start = this.pos;
    this.pos++;
    this.skipWs();
    let count = 0;
    if (buf[this.pos] === C.RBracket) {
      this.pos++;
    } else {
      for (;;) {
        const c = buf[this.pos];
        if (c === C.LBracket) {
          if (this.leafLevel !== -1 && this.leafLevel <= level) this.isRagged = true;
          if (!this.scanNumericLevel(level + 1, depth)) {
            this.pathStarts[level] = start;
            return false;
          }
        } else if (
          (c! >= C.Zero && c! <= C.Nine) ||
          c === C.Minus ||
          c === C.UpperN ||
          c === C.UpperI
        ) {
          if (this.leafLevel === -1) this.leafLevel = level;
          else if (this.leafLevel !== level) this.isRagged = true;
          // a number beside an array at the same level, e.g. [[], 5]
          if (this.dims.length > level + 1) this.isRagged = true;
          const taken = this.scanPlainRun();
          if (taken !== 0) {
            // a run of plain decimals directly followed by ',' or ']': the common case
            count += taken;
            if (this.isRunClosed) break;
            const next = buf[this.pos];
            if (next === C.Space || next === C.Lf || next === C.Cr || next === C.Tab) this.skipWs();
            continue;
          }
          this.pushNumber(this.parseNumber());
        } else {
          this.failLevel = level;
          this.pathStarts[level] = start;
          return false;
        }
        count++;
        this.skipWs();
        const d = buf[this.pos];
        this.pos++;
        if (d === C.Comma) {
          this.skipWs();
          continue;
        }
        if (d === C.RBracket) break;
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
    const known = this.dims[level];
    if (known === undefined) this.dims[level] = count;
    else if (known !== count) this.isRagged = true;
    return true;
  }

  /**
   * Takes a run of `-?digits(.digits)?` numbers (at most 15 significant digits), each directly
   * followed by ',' or ']', into the value buffer; stops before the first element it cannot take
   * (the general parser then handles it) or after ']' (then isRunClosed is set). Returns how many
   * it took. All state lives in locals for the loop: this is where a request body's time goes.
   */
  private scanPlainRun(): number {
    const buf = this.buf;
    let pos = this.pos;
    let values = this.values;
    let used = this.used;
    let min = this.min;
    let max = this.max;
    let isIntegral = this.isIntegral;
    let taken = 0;
    this.isRunClosed = false;
    for (;;) {
      const start = pos;
      let c = buf[pos];
      let isNegative = false;
      if (c === C.Minus) {
        isNegative = true;
        c = buf[++pos];
      }
      if (c === undefined || c < C.Zero || c > C.Nine) {
        pos = start;
        break;
      }
      let mantissa = 0;
      let exponent = 0;
      if (c === C.Zero) {
        c = buf[++pos];
      } else {
        do {
          mantissa = mantissa * 10 + (c - C.Zero);
          c = buf[++pos];
        } while (c !== undefined && c >= C.Zero && c <= C.Nine);
      }
      if (c === C.Dot) {
        c = buf[++pos];
        if (c === undefined || c < C.Zero || c > C.Nine) {
          pos = start;
          break;
        }
        do {
          mantissa = mantissa * 10 + (c - C.Zero);
          exponent--;
          c = buf[++pos];
        } while (c !== undefined && c >= C.Zero && c <= C.Nine);
      }
      // Below 2^53 every step of the mantissa was exact (once above, it stays above).
      if ((c !== C.Comma && c !== C.RBracket) || mantissa > MAX_EXACT || exponent < -22) {
        pos = start;
        break;
      }
      // Exact mantissa and exact power of ten: one IEEE division rounds correctly.
      const magnitude = exponent < 0 ? mantissa / POW10[-exponent]! : mantissa;
      const value = isNegative ? -magnitude : magnitude;
      if (used === values.length) {
        const grown = new Float64Array(values.length * 2);
        grown.set(values);
        values = grown;
        this.values = grown;
      }
      values[used++] = value;
      if (value < min) min = value;
      if (value > max) max = value;
      if (isIntegral && Math.floor(value) !== value) isIntegral = false;
      taken++;
      pos++;
      if (c === C.RBracket) {
        this.isRunClosed = true;
        break;
      }
    }
    this.pos = pos;
    this.used = used;
    this.min = min;
    this.max = max;
    this.isIntegral = isIntegral;
    return taken;
  }

  private pushNumber(value: number): void {
    if (this.used === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.used++] = value;
    if (value !== value || value === Infinity || value === -Infinity) {
      this.hasNonFinite = true;
      return;
    }
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (this.isIntegral && Math.floor(value) !== value) this.isIntegral = false;
  }
}
