/**
 * ASCII folding for the full-text index, as Elasticsearch's `asciifolding` token filter does it: letters
 * with diacritics lose them (é → e, ñ → n), and letters that are not a base letter plus a mark become
 * their ASCII spelling (ß → ss, æ → ae, œ → oe, ø → o, ł → l, đ → d, þ → th). LanceDB's own `asciiFolding`
 * option covers the first kind only in the version used here (a measured "strasse" did not find "Straße"),
 * so the text is folded before it reaches the index and queries are folded the same way.
 *
 * Own code, not a library: the whole mapping is NFKD plus the dozen letters below; a package for it
 * would bring a table of thousands of entries for scripts the tokenizer does not split anyway.
 */

/** Letters NFKD leaves whole, and their ASCII spelling (Elasticsearch's ASCIIFoldingFilter agrees on these). */
const SPECIAL: Record<string, string> = {
  ß: 'ss',
  ẞ: 'SS',
  æ: 'ae',
  Æ: 'AE',
  œ: 'oe',
  Œ: 'OE',
  ø: 'o',
  Ø: 'O',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  þ: 'th',
  Þ: 'TH',
  ı: 'i',
  ŀ: 'l',
  Ŀ: 'L',
  ĸ: 'q',
  ŉ: "'n",
};
const SPECIAL_RE = new RegExp(`[${Object.keys(SPECIAL).join('')}]`, 'g');
// Typographic apostrophes and quotes folded to the ASCII apostrophe, so "L’Oréal" and "L'Oréal" agree.
const APOSTROPHES = /[\u2018\u2019\u02BC\u02B9\u0060\u00B4\u2032]/g;
const MARKS = /\p{M}+/gu;

/** `text` with diacritics removed and special letters spelled in ASCII (case kept). */
export function asciiFold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(SPECIAL_RE, (c) => SPECIAL[c] as string)
    .replace(APOSTROPHES, "'")
    .normalize('NFC');
}

/** A word with an apostrophe inside it: L'Oreal, don't, O'Brien's. */
const ELIDED = /\p{L}+(?:'\p{L}+)+/gu;

/**
 * The text the full-text index holds for a review: folded, and each word written with an apostrophe
 * also written without it, so "Loreal" finds "L'Oréal" and "dont" finds "don't" (the tokenizer splits at
 * the apostrophe, so the word alone would only give "l" and "oreal"). A query is only folded
 * (`foldQuery`): its own apostrophes split it the same way as the indexed text.
 */
export function foldForIndex(text: string): string {
  const folded = asciiFold(text);
  const joined = folded.match(ELIDED);
  return joined ? `${folded}\n${joined.map((w) => w.replaceAll("'", '')).join(' ')}` : folded;
}

/** A full-text query folded as the index is (`foldForIndex`). */
export function foldQuery(query: string): string {
  return asciiFold(query);
}
