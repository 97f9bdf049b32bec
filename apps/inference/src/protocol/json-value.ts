/** What JsonScanner.parse returns; shared by the scanner and its JSON.parse fallback. */

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

export const MAX_DEPTH = 64;

/** Byte values the readers compare against. */
export const enum C {
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
