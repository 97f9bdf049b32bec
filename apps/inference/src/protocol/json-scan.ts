/**
 * A JSON parser tuned for inference bodies: arrays whose leaves are all numbers (flat or
 * nested) are not built as JS arrays but written into one shared Float64Array, and returned
 * as a NumericRef. Everything else becomes ordinary values. It also accepts the NaN,
 * Infinity and -Infinity tokens that Python's json module writes, so validation can name them.
 */

export class JsonSyntaxError extends Error {
  override name = "JsonSyntaxError";
}

/** A rectangular (or ragged) block of numbers in the scanner's value buffer. */
export class NumericRef {
  constructor(
    readonly start: number,
    readonly count: number,
    /** lengths per nesting level; meaningless when isRagged */
    readonly dims: number[],
    readonly isRagged: boolean,
    readonly hasNonFinite: boolean,
    readonly isIntegral: boolean,
    readonly min: number,
    readonly max: number,
  ) {}
}

export type TJsonValue =
  null | boolean | number | string | NumericRef | TJsonValue[] | { [key: string]: TJsonValue };

export type TJsonObject = { [key: string]: TJsonValue };

const MAX_DEPTH = 64;
const EMPTY = Buffer.alloc(0);
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_EXACT = Number.MAX_SAFE_INTEGER;

const enum C {
  Tab = 9,
  Lf = 10,
  Cr = 13,
  Space = 32,
  Quote = 34,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  UpperE = 69,
  UpperI = 73,
  UpperN = 78,
  LBracket = 91,
  Backslash = 92,
  RBracket = 93,
  LowerE = 101,
  LowerF = 102,
  LowerN = 110,
  LowerT = 116,
  LBrace = 123,
  RBrace = 125,
}

export class JsonScanner {
  /** numbers of every NumericRef from the last parse; valid until the next parse */
  values = new Float64Array(4096);
  private used = 0;
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
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

  /** Parses all of buf (pass a subarray for a JSON header followed by binary data). */
  parse(buf: Buffer): TJsonValue {
    this.buf = buf;
    this.pos = 0;
    this.end = buf.length;
    this.used = 0;
    if (this.values.length > 1 << 22) this.values = new Float64Array(4096);
    this.skipWs();
    const value = this.parseValue(0);
    this.skipWs();
    if (this.pos < this.end) this.fail("unexpected data after the JSON value");
    this.buf = EMPTY;
    return value;
  }

  /** Copies the numbers of a ref into a plain array (for small things such as shapes). */
  readNumbers(ref: NumericRef): number[] {
    return Array.from(this.values.subarray(ref.start, ref.start + ref.count));
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(`malformed JSON at byte ${this.pos}: ${message}`);
  }

  private skipWs(): void {
    const buf = this.buf;
    let pos = this.pos;
    while (pos < this.end) {
      const c = buf[pos]!;
      if (c !== C.Space && c !== C.Lf && c !== C.Cr && c !== C.Tab) break;
      pos++;
    }
    this.pos = pos;
  }

  /** After a member: consumes ',' (returns false) or the closing bracket (returns true). */
  private readSeparator(closer: C.RBrace | C.RBracket): boolean {
    this.skipWs();
    const c = this.buf[this.pos];
    if (c === C.Comma) {
      this.pos++;
      this.skipWs();
      return false;
    }
    if (c === closer) {
      this.pos++;
      return true;
    }
    this.fail(`expected ',' or '${closer === C.RBrace ? "}" : "]"}'`);
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

  private parseLiteral<T>(word: string, value: T): T {
    for (let i = 0; i < word.length; i++) {
      if (this.buf[this.pos + i] !== word.charCodeAt(i)) this.fail(`expected ${word}`);
    }
    this.pos += word.length;
    return value;
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

  private parseString(): string {
    const buf = this.buf;
    const start = this.pos + 1;
    let pos = start;
    let isAscii = true;
    let hasEscape = false;
    for (;;) {
      if (pos >= this.end) {
        this.pos = pos;
        this.fail("unterminated string");
      }
      const c = buf[pos]!;
      if (c === C.Quote) break;
      if (c === C.Backslash) {
        hasEscape = true;
        pos += 2;
        continue;
      }
      if (c < 0x20) {
        this.pos = pos;
        this.fail("control character in string");
      }
      if (c >= 0x80) isAscii = false;
      pos++;
    }
    this.pos = pos + 1;
    if (hasEscape) {
      try {
        return JSON.parse(buf.toString("utf8", start - 1, pos + 1)) as string;
      } catch {
        this.pos = start;
        this.fail("invalid escape in string");
      }
    }
    return isAscii ? buf.toString("latin1", start, pos) : buf.toString("utf8", start, pos);
  }

  private parseArray(depth: number): TJsonValue {
    const pos = this.pos;
    const used = this.used;
    const numeric = this.tryNumericArray(depth);
    if (numeric) return numeric;
    this.pos = pos;
    this.used = used;
    return this.parseGenericArray(depth);
  }

  private parseGenericArray(depth: number): TJsonValue[] {
    const out: TJsonValue[] = [];
    this.pos++;
    this.skipWs();
    if (this.buf[this.pos] === C.RBracket) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.parseValue(depth + 1));
      if (this.readSeparator(C.RBracket)) return out;
    }
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
          if (!this.scanNumericLevel(level + 1, depth)) return false;
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

  private parseNumber(): number {
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    let isNegative = false;
    if (buf[pos] === C.Minus) {
      isNegative = true;
      pos++;
    }
    let c = buf[pos];
    if (c === C.UpperN || c === C.UpperI) {
      this.pos = pos;
      if (c === C.UpperN && !isNegative) return this.parseLiteral("NaN", NaN);
      return this.parseLiteral("Infinity", isNegative ? -Infinity : Infinity);
    }
    let mantissa = 0;
    let significant = 0;
    let exponent = 0;
    if (c === C.Zero) {
      pos++;
      c = buf[pos];
    } else if (c !== undefined && c > C.Zero && c <= C.Nine) {
      do {
        if (significant < 16) {
          mantissa = mantissa * 10 + (c - C.Zero);
          significant++;
        } else {
          exponent++;
          significant++;
        }
        pos++;
        c = buf[pos];
      } while (c !== undefined && c >= C.Zero && c <= C.Nine);
    } else {
      this.pos = pos;
      this.fail("expected a value");
    }
    if (c === C.Dot) {
      pos++;
      c = buf[pos];
      if (c === undefined || c < C.Zero || c > C.Nine) {
        this.pos = pos;
        this.fail("expected a digit after '.'");
      }
      do {
        if (significant < 16) {
          if (mantissa !== 0 || c !== C.Zero) significant++;
          mantissa = mantissa * 10 + (c - C.Zero);
          exponent--;
        } else {
          significant++;
        }
        pos++;
        c = buf[pos];
      } while (c !== undefined && c >= C.Zero && c <= C.Nine);
    }
    if (c === C.LowerE || c === C.UpperE) {
      pos++;
      c = buf[pos];
      let isExpNegative = false;
      if (c === C.Minus || c === C.Plus) {
        isExpNegative = c === C.Minus;
        pos++;
        c = buf[pos];
      }
      if (c === undefined || c < C.Zero || c > C.Nine) {
        this.pos = pos;
        this.fail("expected a digit in the exponent");
      }
      let e = 0;
      do {
        if (e < 100000) e = e * 10 + (c - C.Zero);
        pos++;
        c = buf[pos];
      } while (c !== undefined && c >= C.Zero && c <= C.Nine);
      exponent += isExpNegative ? -e : e;
    }
    this.pos = pos;
    // Exact mantissa and exact power of ten: one IEEE operation rounds correctly.
    if (significant <= 15 && exponent >= -22 && exponent <= 22) {
      const value = exponent < 0 ? mantissa / POW10[-exponent]! : mantissa * POW10[exponent]!;
      return isNegative ? -value : value;
    }
    return Number(buf.toString("latin1", start, pos));
  }
}
