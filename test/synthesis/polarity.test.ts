/**
 * The sentence-level polarity gate of the recombine generator (src/synthesis/polarity.ts), by kind: dealbreakers a
 * positive review must not carry (check list POS-2), and the classifier thresholds per requested sentiment.
 */
import { describe, expect, it } from 'vitest';
import { AGAINST, isDealbreaker, isGoodPoint, pullsAgainst } from '../../src/synthesis/index.js';

describe('dealbreakers (check list POS-2)', () => {
  it.each([
    ['sent back', 'Sadly i will be returning this!'],
    ['sent back', 'slubby material, back it goes.'],
    ['sent back', 'I think I will probably be returning this top.'],
    ['sent back', 'Had to send it back for a smaller size.'],
    ['sent back', 'They went right back to the store.'],
    ['sent back', 'I exchanged it for the petite.'],
    ['sent back', 'Still waiting on my refund.'],
    ['does not fit', "The medium doesn't fit across the shoulders."],
    ['does not fit', 'I could not zip it up at all.'],
    ['does not fit', "Can't button the top two buttons."],
    ['does not fit', 'It was way too small in the hips.'],
    ['broke', 'The strap broke the second time I wore it.'],
    ['broke', 'The seam ripped on day two.'],
    ['broke', 'It stopped working after a week.'],
    ['not recommended', 'I would not recommend this seller.'],
    ['not recommended', "Wouldn't buy it again."],
    ['a hope not met', "Had it been shorter I'd have kept it."],
    ['a hope not met', 'I would have loved this dress if the bust were more fitted.'],
    ['a hope not met', 'I wanted so badly to love this top.'],
    ['a hope not met', 'I was hoping to wear them to a dinner party!'],
  ])('%s: "%s"', (_kind, sentence) => {
    expect(isDealbreaker(sentence)).toBe(true);
  });

  it.each([
    'Runs a little big, so I sized down.',
    'A bit too long, but I love it and wear it with heels.',
    'Fits great and the colour is true to the picture.',
    'It is sheer, so I wear a cami under it.',
    'I would recommend it to anyone.',
    'Washes well with no shrinking.',
  ])('a minor complaint or praise is no dealbreaker: "%s"', (sentence) => {
    expect(isDealbreaker(sentence)).toBe(false);
  });
});

describe('pullsAgainst', () => {
  const scores = (positive: number, negative: number) => ({ positive, negative, neutral: 1 - positive - negative });

  it('positive: a dealbreaker always, or a sentence the classifier leans negative on', () => {
    expect(pullsAgainst('Back it goes.', 'positive')).toBe(true);
    expect(pullsAgainst('The fabric pills.', 'positive', scores(0.1, AGAINST.polar))).toBe(true);
    expect(pullsAgainst('The fabric pills a little.', 'positive', scores(0.3, 0.4))).toBe(false);
    expect(pullsAgainst('Love it.', 'positive')).toBe(false);
  });

  it('negative: unqualified praise the classifier leans positive on; no classifier, no rule', () => {
    expect(pullsAgainst('The picture is fantastic.', 'negative', scores(0.63, 0.09))).toBe(true);
    expect(pullsAgainst('Lovely colour, but it pilled after one wash.', 'negative', scores(0.3, 0.5))).toBe(false);
    expect(pullsAgainst('The picture is fantastic.', 'negative')).toBe(false);
    // A dealbreaker is what a negative review is made of.
    expect(pullsAgainst('Sent it back.', 'negative', scores(0.05, 0.8))).toBe(false);
  });

  it('neutral: only a strong verdict either way; returning for fit stays', () => {
    expect(pullsAgainst('This is not worth $128.', 'neutral', scores(0.01, 0.88))).toBe(true);
    expect(pullsAgainst('Overall, I am quite happy with my purchase.', 'neutral', scores(0.99, 0))).toBe(true);
    expect(pullsAgainst('It is sheer, but looks great with a cami.', 'neutral', scores(0.55, 0.07))).toBe(false);
    expect(pullsAgainst('Love the colour, but it is boxy on me, so back it goes.', 'neutral', scores(0.4, 0.4))).toBe(
      false,
    );
  });
});

describe('isGoodPoint', () => {
  const leansPositive = { positive: 0.67, negative: 0.1, neutral: 0.23 };
  it('is a sentence the classifier leans positive on, above its negative reading', () => {
    expect(isGoodPoint('The print is pretty.', { positive: 0.6, negative: 0.1, neutral: 0.3 })).toBe(true);
    expect(isGoodPoint('The print is pretty.', { positive: 0.4, negative: 0.1, neutral: 0.5 })).toBe(false);
    expect(isGoodPoint('The print is pretty.', undefined)).toBe(false);
  });

  it('is never a dealbreaker, a hope not met or a wish, however the classifier reads it', () => {
    // The production classifier reads "returned it!" as positive 0.67 (a new user's trial found it ending a review).
    for (const s of [
      'returned it!',
      'being returned!',
      'was hoping to wear them to a dinner party!',
      'I wish it came in black.',
    ])
      expect(isGoodPoint(s, leansPositive)).toBe(false);
  });
});
