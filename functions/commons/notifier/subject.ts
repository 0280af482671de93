/**
 * SNS email subjects must be UTF-8 text with no line breaks or control characters, and less
 * than 100 characters long: at most 99, counted here in UTF-16 code units, which is never fewer
 * than characters however they are counted.
 */
export const MAX_SUBJECT = 99;
const ELLIPSIS = '…';

/**
 * Control characters (C0, DEL, C1), line and paragraph separators, and the bidirectional
 * overrides and isolates that would make a subject read other than it is. Zero-width joiners
 * stay: emoji sequences need them.
 */
const UNPRINTABLE = /[\p{Cc}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]+/gu;

/** A high surrogate without its low half, or a low one without its high half: not UTF-8 text. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Built on the first subject too long to keep whole, not at load: a grapheme segmenter loads
 * ICU's break rules, tens of milliseconds of CPU, and most subjects fit as they are.
 */
let graphemes: Intl.Segmenter | undefined;

/**
 * A subject SNS accepts, from any text (model names are the user's): one line, well-formed
 * UTF-16 (a lone surrogate becomes U+FFFD), at most MAX_SUBJECT code units. A longer one is
 * cut between two graphemes, never inside a surrogate pair, an emoji sequence or a combining
 * mark, and ends with an ellipsis.
 */
export function emailSubject(subject: string): string {
  const flat = subject
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(UNPRINTABLE, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (flat.length <= MAX_SUBJECT) return flat;
  let cut = '';
  graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  for (const { segment } of graphemes.segment(flat)) {
    if (cut.length + segment.length > MAX_SUBJECT - ELLIPSIS.length) break;
    cut += segment;
  }
  return `${cut.trimEnd()}${ELLIPSIS}`;
}
