import { C, JsonSyntaxError } from "./json-value";

export const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Position in a JSON body and the readers for its scalar tokens; JsonScanner builds on it. */
export class JsonCursor {
  protected buf: Buffer = Buffer.alloc(0);
  protected pos = 0;
  protected end = 0;

  protected fail(message: string): never {
    throw new JsonSyntaxError(`malformed JSON at byte ${this.pos}: ${message}`);
  }

  protected skipWs(): void {
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
  protected readSeparator(closer: C.RBrace | C.RBracket): boolean {
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

  protected parseLiteral<T>(word: string, value: T): T {
    for (let i = 0; i < word.length; i++) {
      if (this.buf[this.pos + i] !== word.charCodeAt(i)) this.fail(`expected ${word}`);
    }
    this.pos += word.length;
    return value;
  }

  protected parseString(): string {
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

  protected parseNumber(): number {
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
