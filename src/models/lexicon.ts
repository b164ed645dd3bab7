import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface VaderScores {
  neg: number;
  neu: number;
  pos: number;
  compound: number;
}
const vader = require('vader-sentiment') as {
  SentimentIntensityAnalyzer: { polarity_scores(text: string): VaderScores };
};

type WinkDoc = { out(its: unknown): unknown };
let wink: { readDoc(text: string): WinkDoc; its: { sentiment: unknown } } | null = null;
function winkNlp() {
  if (!wink) {
    const winkNLP = require('wink-nlp') as (model: unknown) => {
      readDoc(t: string): WinkDoc;
      its: { sentiment: unknown };
    };
    wink = winkNLP(require('wink-eng-lite-web-model'));
  }
  return wink;
}

export const LEXICON_FEATURES = [
  'vader_neg',
  'vader_neu',
  'vader_pos',
  'vader_compound',
  'wink_sentiment',
  'exclamations',
  'questions',
  'uppercase_share',
  'emoji',
  'hashtags',
  'mentions',
  'urls',
  'log_length',
] as const;

/**
 * Lexicon and surface features of a text: VADER's four scores, wink-nlp's sentiment, and counts of
 * the marks that carry tone in short reviews and tweets. No training needed.
 */
export function lexiconFeatures(text: string): Float32Array {
  const v = vader.SentimentIntensityAnalyzer.polarity_scores(text);
  const w = winkNlp();
  const ws = Number(w.readDoc(text).out(w.its.sentiment)) || 0;
  const letters = text.replace(/[^\p{L}]/gu, '');
  const upper = letters.replace(/[^\p{Lu}]/gu, '').length;
  const count = (re: RegExp) => (text.match(re) ?? []).length;
  return Float32Array.from([
    v.neg,
    v.neu,
    v.pos,
    v.compound,
    ws,
    Math.min(5, count(/!/g)),
    Math.min(5, count(/\?/g)),
    letters.length ? upper / letters.length : 0,
    Math.min(5, count(/\p{Extended_Pictographic}/gu)),
    Math.min(5, count(/#\w+/g)),
    Math.min(5, count(/@\w+/g)),
    Math.min(3, count(/https?:\/\/\S+/g)),
    Math.log1p(text.length),
  ]);
}
