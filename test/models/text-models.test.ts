import { describe, expect, it } from 'vitest';
import { NgramLogReg } from '../../src/models/heads/ngram-logreg.js';
import { LEXICON_FEATURES, lexiconFeatures } from '../../src/models/lexicon.js';
import { cleanOcr } from '../../src/models/ocr.js';
import { ngrams, tokenize } from '../../src/models/tokenize.js';
import { loadUci } from '../../src/training/datasets.js';
import { SHARED } from '../helpers/paths.js';

describe('tokenize', () => {
  it('marks negation scope up to the next punctuation, and collapses users and urls', () => {
    expect(tokenize('Not good at all. Works great! @bob http://x.co/a')).toEqual([
      'not',
      'neg_good',
      'neg_at',
      'neg_all',
      'works',
      'great',
      '!',
      '<user>',
      '<url>',
    ]);
    expect(tokenize("It isn't worth it :(")).toEqual(['it', "isn't", 'neg_worth', 'neg_it', ':(']);
    expect(ngrams(['a', 'b', 'a'])).toEqual(['a', 'b', 'a b', 'b a']);
  });
});

describe('NgramLogReg', () => {
  it('learns review polarity from real sentences and explains a prediction by its words', () => {
    const yelp = loadUci('yelp', SHARED);
    const train = yelp.slice(0, 800);
    const test = yelp.slice(800);
    const y = (es: typeof yelp) => es.map((e) => (e.label === 'positive' ? 1 : 0));
    const m = NgramLogReg.train(
      train.map((e) => e.text),
      y(train),
      2,
      { seed: 3, epochs: 8, minCount: 1 },
    );
    const acc =
      test.filter((e, i) => (m.predict(e.text)[1] as number) >= 0.5 === (y(test)[i] === 1)).length / test.length;
    expect(acc).toBeGreaterThan(0.7);
    const why = m.contributions('The food was not good and the service was terrible', 0, 3);
    expect(why.for.length).toBeGreaterThan(0);
    expect(why.for.map((w) => w.token).join(' ')).toMatch(/terrible|not good/);
    const again = new NgramLogReg(JSON.parse(JSON.stringify(m.toJSON())));
    expect(Array.from(again.predict('great food'))).toEqual(Array.from(m.predict('great food')));
  });
});

describe('lexiconFeatures', () => {
  it('gives VADER and wink scores with the sign of the text, and surface counts', () => {
    const pos = lexiconFeatures('I love it!!! Best purchase ever 😍');
    const neg = lexiconFeatures('This is awful, I hate it.');
    expect(pos.length).toBe(LEXICON_FEATURES.length);
    const compound = LEXICON_FEATURES.indexOf('vader_compound');
    expect(pos[compound]).toBeGreaterThan(0.5);
    expect(neg[compound]).toBeLessThan(-0.5);
    expect(pos[LEXICON_FEATURES.indexOf('exclamations')]).toBe(3);
    expect(pos[LEXICON_FEATURES.indexOf('emoji')]).toBe(1);
    expect(Array.from(lexiconFeatures('')).every(Number.isFinite)).toBe(true);
  });
});

describe('cleanOcr', () => {
  it('keeps lines that read as words and drops noise', () => {
    expect(cleanOcr('ONE DOES NOT SIMPLY\n|| ~ \\ 1\nWALK AFTER LEG DAY\n\n')).toBe(
      'ONE DOES NOT SIMPLY WALK AFTER LEG DAY',
    );
  });
});
