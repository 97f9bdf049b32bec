import { z } from "zod";

// Every input string passes one of these at the schema boundary. PostgreSQL text and jsonb cannot hold
// NUL, and a lone UTF-16 surrogate has no UTF-8 form (jsonb refuses it, text silently becomes U+FFFD),
// so both are refused for every field; one-line fields also refuse control characters, which only
// garble lists and logs, and multi-line fields allow tab and line breaks among them.

/* eslint-disable no-control-regex -- finding control characters is what these patterns are for */
// With the `u` flag a surrogate pair is one code point, so this class matches only unpaired halves.
const unstorablePattern = /[\u0000\uD800-\uDFFF]/u;
// C0 and C1 controls, DEL, Unicode line/paragraph separators and bidirectional overrides (spoofing).
const lineControlPattern = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const multilineControlPattern = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;
/* eslint-enable no-control-regex */

export const unstorableTextMessage =
  "must not contain NUL characters or unpaired surrogates (text the database cannot store)";

/** True when PostgreSQL can store the string exactly as given. */
export function isStorableText(value: string): boolean {
  return !unstorablePattern.test(value);
}

/** Any text the database can store exactly (metadata strings, passwords). */
export const ZText = z.string().refine(isStorableText, { message: unstorableTextMessage });

/** One line of human text: names, search terms. */
// Checked inside the outer whitespace, which the trimming fields then drop (a pasted trailing newline).
export const ZLineText = ZText.refine((value) => !lineControlPattern.test(value.trim()), {
  message: "must be one line without control characters",
});

/** Free text that may span lines: descriptions. */
export const ZMultilineText = ZText.refine((value) => !multilineControlPattern.test(value), {
  message: "must not contain control characters other than tab and line breaks",
});
