/**
 * Style features of a review text, for the adversarial validator: the surface statistics of stylometry (length,
 * sentence shape, punctuation, casing, lexical variety, repetition) that can give generated text away even when its
 * meaning reads as real. A hand-picked list; own code: each is a count over the text, no model.
 */

/** Names of the style features, in the order styleFeatures returns them. */
export const STYLE_FEATURES = [
  'log_chars',
  'words',
  'sentences',
  'words_per_sentence',
  'avg_word_length',
  'type_token_ratio',
  'punctuation_rate',
  'comma_rate',
  'exclamation_rate',
  'question_rate',
  'uppercase_rate',
  'digit_rate',
  'lowercase_sentence_start',
  'lowercase_i_rate',
  'repeated_bigram_rate',
  'repeated_trigram_rate',
  'ends_with_punctuation',
] as const;

export type StyleFeature = (typeof STYLE_FEATURES)[number];

/** What each style feature measures (for reports and --help). */
export const STYLE_FEATURE_DESCRIPTIONS: Record<StyleFeature, string> = {
  log_chars: 'ln(1 + characters)',
  words: 'words (whitespace tokens)',
  sentences: 'sentences (split after . ! ?)',
  words_per_sentence: 'mean words per sentence',
  avg_word_length: 'mean letters per word',
  type_token_ratio: 'distinct lower-case words / words',
  punctuation_rate: 'punctuation characters / characters',
  comma_rate: 'commas / words',
  exclamation_rate: 'exclamation marks / sentences',
  question_rate: 'question marks / sentences',
  uppercase_rate: 'upper-case letters / letters',
  digit_rate: 'digits / characters',
  lowercase_sentence_start: 'share of sentences starting with a lower-case letter',
  lowercase_i_rate: 'lower-case "i" as a word / words',
  repeated_bigram_rate: 'word bigrams seen before in the same text / bigrams',
  repeated_trigram_rate: 'word trigrams seen before in the same text / trigrams',
  ends_with_punctuation: '1 when the text ends with . ! ? or ), else 0',
};

function repeatedRate(words: readonly string[], n: number): number {
  const total = words.length - n + 1;
  if (total <= 0) return 0;
  const seen = new Set<string>();
  let rep = 0;
  for (let i = 0; i < total; i++) {
    const g = words.slice(i, i + n).join(' ');
    if (seen.has(g)) rep++;
    else seen.add(g);
  }
  return rep / total;
}

const count = (s: string, re: RegExp) => s.match(re)?.length ?? 0;

/** The STYLE_FEATURES of one text, as numbers in that order (0 for rates of an empty text). */
export function styleFeatures(text: string): number[] {
  const t = text.trim();
  const chars = t.length;
  const tokens = t.split(/\s+/).filter(Boolean);
  const words = (t.toLowerCase().match(/[a-z0-9']+/g) ?? []).map((w) => w.replace(/^'+|'+$/g, '')).filter(Boolean);
  const sents = t
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const nSent = Math.max(1, sents.length);
  const letters = count(t, /[A-Za-z]/g);
  const alphaWords = t.match(/[A-Za-z]+/g) ?? [];
  const starts = sents.map((s) => s.match(/[A-Za-z]/)?.[0]).filter((c): c is string => c !== undefined);
  const byName: Record<StyleFeature, number> = {
    log_chars: Math.log1p(chars),
    words: tokens.length,
    sentences: sents.length,
    words_per_sentence: tokens.length / nSent,
    avg_word_length: alphaWords.length ? alphaWords.reduce((s, w) => s + w.length, 0) / alphaWords.length : 0,
    type_token_ratio: words.length ? new Set(words).size / words.length : 0,
    punctuation_rate: chars ? count(t, /[.,;:!?'"()\-…]/g) / chars : 0,
    comma_rate: tokens.length ? count(t, /,/g) / tokens.length : 0,
    exclamation_rate: count(t, /!/g) / nSent,
    question_rate: count(t, /\?/g) / nSent,
    uppercase_rate: letters ? count(t, /[A-Z]/g) / letters : 0,
    digit_rate: chars ? count(t, /[0-9]/g) / chars : 0,
    lowercase_sentence_start: starts.length ? starts.filter((c) => c === c.toLowerCase()).length / starts.length : 0,
    lowercase_i_rate: tokens.length ? count(t, /(?<![A-Za-z'])i(?![A-Za-z])/g) / tokens.length : 0,
    repeated_bigram_rate: repeatedRate(words, 2),
    repeated_trigram_rate: repeatedRate(words, 3),
    ends_with_punctuation: /[.!?)]$/.test(t) ? 1 : 0,
  };
  return STYLE_FEATURES.map((f) => byName[f]);
}
