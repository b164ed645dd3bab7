import { describe, expect, it } from 'vitest';
import {
  damageOverride,
  photoInput,
  REVIEW_FEATURE_NAMES,
  reviewFeatures,
  STATED_RATING_WEIGHT,
  statedRatingAnswer,
  towardClass,
} from '../../src/models/fusion.js';
import {
  contrastTail,
  negatedComplaint,
  ratingFeatures,
  splitClauses,
  statedRating,
} from '../../src/models/review-text.js';
import { fitPlatt, plattProbability } from '../../src/training/sarcasm.js';

describe('statedRating', () => {
  it.each([
    ['Five out of five, would buy again.', 1],
    ['2/5, would not repurchase.', 0.4],
    ["I'd give it zero stars if I could", 0],
    ['Solid 4 stars from me', 0.8],
    ['giving this 3 out of 5', 0.6],
    ['10/10 no notes', 1],
    ['One star. It broke.', 0.2],
    ['Three stars: okay for the price.', 0.6],
    ['7 out of ten', 0.7],
    ['I would give it 6 stars if I could', 1],
    ['If I could give it zero stars I would.', 0],
    ['I would have left no stars if it would let me.', 0],
    ['Item not as described. It has holes in the middle. -5 stars', 0],
    ['I gave it one star because it broke in a week.', 0.2],
    ['Full marks for this cast iron pan.', 1],
    ['Half a star, and that is for the pretty box.', 0.1],
  ])('%s -> %d', (text, value) => {
    expect(statedRating(text)?.value).toBeCloseTo(value, 5);
  });

  it.each([
    'Arrived 3/4/2020 at 5 pm',
    'A star is born on the label',
    'Version 2.5 of the app',
    'I bought 2 of them',
    'Fits a size 10',
    // hypothetical ratings: an upper bound the product did not reach
    'It would have been a five star if I didn’t feel cheated.',
    'If the paint wasn’t chipped, I’d give it 5 stars.',
    'It would be a 5 star but they sent the product with incomplete materials',
    'I would have kept the dress and given 5 stars if it wasn’t for said flaw.',
    // sizes, counts and dates written like ratings
    'I usually wear an 8/10 in skirts and the medium fit.',
    'Ordered this 4/5 days before Christmas.',
    '4 out of 5 seeds sprouted within a week.',
    // deductions and other people's ratings
    'I removed 1 star due to the high price.',
    'I wonder how this book received so many 5 stars.',
    'It was given 1 star by others, but I ordered it anyway.',
  ])('finds no rating in %s', (text) => {
    expect(statedRating(text)).toBeUndefined();
  });

  it('takes the last rating stated', () => {
    expect(statedRating('I first gave it 5 stars, now 1 star.')?.value).toBeCloseTo(0.2, 5);
  });

  it('turns a rating into one-hot features by stars', () => {
    expect(ratingFeatures('2/5')).toEqual([1, 1, 0, 0]);
    expect(ratingFeatures('3 stars')).toEqual([1, 0, 1, 0]);
    expect(ratingFeatures('4 out of 5')).toEqual([1, 0, 0, 1]);
    expect(ratingFeatures('no rating here')).toEqual([0, 0, 0, 0]);
  });
});

describe('contrastTail', () => {
  it('takes the clause after the last contrast marker', () => {
    expect(contrastTail('I wanted to love this jacket but the seam ripped on day two.')).toBe(
      'the seam ripped on day two.',
    );
    expect(contrastTail('Great fit. However, the zip broke.')).toBe('the zip broke.');
    expect(contrastTail('Nice colour but small, but it works.')).toBe('it works.');
  });

  it('takes the main clause of a sentence that starts with a concession', () => {
    expect(contrastTail('Although it took three weeks to arrive, it is the best kettle I have owned.')).toBe(
      'it is the best kettle I have owned.',
    );
  });

  it('is undefined without a contrast', () => {
    expect(contrastTail('Works well and looks nice.')).toBeUndefined();
    expect(contrastTail('Nothing after the marker but')).toBeUndefined();
  });
});

describe('splitClauses', () => {
  it('splits sentences and clauses and drops empty pieces', () => {
    expect(splitClauses('Oh wonderful, the handle snapped off. Avoid - seriously; bad!')).toEqual([
      'Oh wonderful',
      'the handle snapped off.',
      'Avoid',
      'seriously',
      'bad!',
    ]);
    expect(splitClauses(' ... ')).toEqual([]);
  });

  it('caps the number of clauses of a very long text', () => {
    expect(splitClauses('fine. '.repeat(1000), 50)).toHaveLength(50);
  });
});

describe('reviewFeatures', () => {
  const base = {
    general: [0.2, 0.3, 0.5],
    ngram: [0.2, 0.3, 0.5],
    lexicon: [0.2, 0.3, 0.5],
    lexiconRaw: new Array(16).fill(0),
    sarcasm: 0.5,
  };
  it('has one value per named column', () => {
    const x = reviewFeatures('Fine.', { ...base, score: () => [0.1, 0.1, 0.8] });
    expect(x.length).toBe(REVIEW_FEATURE_NAMES.length);
  });

  it('keeps a damning clause of a long review in the max-over-clauses columns', () => {
    const text = `${'The box is blue and the manual has twelve pages. '.repeat(100)}The motor burned out. Avoid this product.`;
    const score = (t: string) => (/burned|Avoid/.test(t) ? [0.95, 0.03, 0.02] : [0.05, 0.9, 0.05]);
    const x = reviewFeatures(text, { ...base, score });
    const col = (n: string) => x[REVIEW_FEATURE_NAMES.indexOf(n as (typeof REVIEW_FEATURE_NAMES)[number])] as number;
    expect(col('max_clause_neg')).toBeCloseTo(0.95, 5);
    expect(col('log_p_last_neg')).toBeCloseTo(Math.log(0.95), 5);
  });
});

describe('photoInput', () => {
  const photo = { vector: Float32Array.from([1, 2]), inner: Float32Array.from([3]) };
  it('gives a head the vector it reads: pooled, inner, or both with pooled first', () => {
    expect(photoInput(photo, 'pooled')).toEqual(Float32Array.from([1, 2]));
    expect(photoInput(photo)).toEqual(Float32Array.from([1, 2]));
    expect(photoInput(photo, 'inner')).toEqual(Float32Array.from([3]));
    expect(photoInput(photo, 'both')).toEqual(Float32Array.from([1, 2, 3]));
  });
  it('refuses a head that reads inner features of a photo encoded without them', () => {
    expect(() => photoInput({ vector: photo.vector }, 'inner')).toThrow(/inner-layer features/);
    expect(photoInput({ vector: photo.vector }, 'pooled')).toEqual(photo.vector);
  });
});

describe('damageOverride', () => {
  it('puts at least the damage probability on negative', () => {
    const out = damageOverride([0.01, 0.01, 0.98], 0.8);
    expect(out[0]).toBeGreaterThanOrEqual(0.8);
    expect((out[0] as number) + (out[1] as number) + (out[2] as number)).toBeCloseTo(1, 9);
  });
});

describe('statedRatingAnswer', () => {
  it.each([
    ['5/5 for this slow cooker, no hesitation.', 2],
    ['Three stars: okay for the price.', 1],
    ['One star. It broke.', 0],
  ])('moves the answer to the class "%s" states', (text, cls) => {
    const r = statedRating(text);
    expect(r).toBeDefined();
    const p = [0.6, 0.3, 0.1].reverse();
    const out = statedRatingAnswer(cls === 2 ? [0.7, 0.2, 0.1] : p, r as NonNullable<typeof r>);
    expect(out.indexOf(Math.max(...out))).toBe(cls);
    expect(out[cls]).toBeGreaterThanOrEqual(STATED_RATING_WEIGHT);
    expect((out[0] as number) + (out[1] as number) + (out[2] as number)).toBeCloseTo(1, 9);
  });
});

describe('negatedComplaint', () => {
  it.each([
    ['No complaints at all after a month.', 'No complaints'],
    ['Zero issues so far.', 'Zero issues'],
    ['Never had a problem with it.', 'Never had a problem'],
    ['The jeans did not shrink in the wash.', 'not shrink'],
    ["I can't find a single fault with this case.", "can't find a single fault"],
    ['Not one scratch after three months.', 'Not one scratch'],
    ['It has not faded at all.', 'not faded'],
  ])('finds the negated complaint in "%s"', (text, phrase) => {
    expect(negatedComplaint(text)).toBe(phrase);
  });

  it.each([
    ['It broke after a week.'],
    ['No problems until the motor burned out.'],
    ["It won't stop dripping."],
    ['This did not fix the leak.'],
    ['Not good, the lid is loose.'],
    ['Nothing but problems from day one.'],
    ['Neither impressed nor disappointed with this lamp.'],
  ])('finds none in "%s"', (text) => {
    expect(negatedComplaint(text)).toBeUndefined();
  });
});

describe('towardClass', () => {
  it('moves a share of the mass onto one class and keeps the sum', () => {
    const out = towardClass([0.5, 0.4, 0.1], 2, 0.2);
    expect(out[2]).toBeCloseTo(0.28, 9);
    expect(out[0]).toBeCloseTo(0.4, 9);
    expect((out[0] as number) + (out[1] as number) + (out[2] as number)).toBeCloseTo(1, 9);
  });
});

describe('fitPlatt', () => {
  it('maps a score to a probability that rises with it and matches the base rate', () => {
    const z: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const pos = i % 4 === 0;
      y.push(pos ? 1 : 0);
      z.push((pos ? 1 : -1) + 2 * Math.sin(i * 1.7));
    }
    const s = fitPlatt(z, y);
    expect(s.a).toBeGreaterThan(0);
    const mean = z.reduce((a, v) => a + plattProbability(s, v), 0) / z.length;
    expect(mean).toBeCloseTo(0.25, 1);
  });
});
