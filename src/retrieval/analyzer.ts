import stem from 'wink-porter2-stemmer';
import { asciiFold } from './fold.js';

/**
 * The full-text analyzer of the in-memory BM25 index, the same chain LanceDB's (tantivy's) English
 * full-text index ran on this table before (`Index.fts({ stem: true, removeStopWords: true, asciiFolding:
 * true })`): ASCII folding (`fold.ts`), split on every character that is not a letter or a digit (tantivy's
 * `SimpleTokenizer`), tokens over 40 characters dropped (`RemoveLongFilter`), lower case, the Snowball
 * English stop words removed (the list tantivy ships), and the Snowball English (Porter2) stemmer
 * (`wink-porter2-stemmer`, the rust-stemmers algorithm tantivy uses).
 */

/** Snowball's English stop-word list (snowballstem.org, as tantivy's `stopwords::ENGLISH`), single words only. */
const STOP_WORDS = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers ' +
    'herself it its itself they them their theirs themselves what which who whom this that these those am is ' +
    'are was were be been being have has had having do does did doing would should could ought a an the and ' +
    'but if or because as until while of at by for with about against between into through during before ' +
    'after above below to from up down in out on off over under again further then once here there when ' +
    'where why how all any both each few more most other some such no nor not only own same so than too very'
  ).split(' '),
);

const MAX_TOKEN = 40;
const TOKEN = /[\p{L}\p{N}]+/gu;
/** Stems of recent words: stemming is the analyzer's main cost and a corpus repeats its words. */
const stems = new Map<string, string>();
const STEM_CACHE = 200_000;

function stemmed(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    if (stems.size >= STEM_CACHE) stems.clear();
    s = /^[a-z]+$/.test(word) ? stem(word) : word;
    stems.set(word, s);
  }
  return s;
}

/** The index terms of an already folded text (`foldForIndex` output, or a query through `asciiFold`), in order. */
export function analyzeFolded(folded: string): string[] {
  const out: string[] = [];
  for (const m of folded.matchAll(TOKEN)) {
    const w = m[0];
    if (w.length > MAX_TOKEN) continue;
    const lower = w.toLowerCase();
    if (STOP_WORDS.has(lower)) continue;
    out.push(stemmed(lower));
  }
  return out;
}

/** The index terms of any text: folded, then analyzed (`analyzeFolded`). */
export function analyze(text: string): string[] {
  return analyzeFolded(asciiFold(text));
}
