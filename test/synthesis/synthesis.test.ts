/**
 * Synthetic review text on the real e-commerce reviews in ../shared/data: the recombination generator, duplicate
 * checks, the run loop with a real sentiment reader (the VADER lexicon labeler stands in for the production
 * classifier here to keep the test fast; the CLI test below uses the production classifier), and the LLM generator
 * on the real local model (skipped, saying so, when its file is absent). The LLM generator's leak clean-up is tested
 * against a local server speaking the OpenAI chat protocol with a scripted leaky answer (test/llm/fake-openai.ts):
 * the real model cannot be made to leak its prompt on demand.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/core/index.js';
import { lexiconLabel } from '../../src/labeling/index.js';
import {
  disposeLocalModels,
  LocalLlamaClient,
  localModelPath,
  OpenAIChatClient,
  textLlmStatus,
} from '../../src/llm/index.js';
import {
  aspectsOf,
  Deduper,
  LENGTH_WORDS,
  LlmGenerator,
  loadSourceReviews,
  RecombineGenerator,
  type SentimentJudge,
  type SourceReview,
  STYLE_FEATURES,
  type SynthGenerator,
  type SynthLength,
  sentenceCount,
  stripPromptLeaks,
  styleFeatures,
  swapWords,
  synthesize,
} from '../../src/synthesis/index.js';
import { MODELS_DIR, SHARED } from '../helpers/paths.js';
import { startFakeOpenAI } from '../llm/fake-openai.js';

const corpus = loadSourceReviews(SHARED);
const lexiconJudge: SentimentJudge = {
  model: 'vader-lexicon',
  judge: async (text) => {
    const o = lexiconLabel(text);
    return { label: o.label, confidence: o.confidence };
  },
};

afterAll(async () => {
  await disposeLocalModels();
});

describe('the real reviews synthesis draws on', () => {
  it('holds womens-clothing and MARC reviews, none of the held-out test/val split', async () => {
    expect(corpus.length).toBeGreaterThan(20_000);
    const { readFileSync } = await import('node:fs');
    const split = JSON.parse(readFileSync('data/splits/ecommerce.json', 'utf8')) as { test: string[] };
    const ids = new Set(corpus.map((r) => r.id));
    expect(split.test.some((id) => ids.has(id))).toBe(false);
  });

  it("flags the texts the women's-clothing set cut off, and no whole review", () => {
    const cut = corpus.filter((r) => r.truncated);
    // That file stops most texts past ~500 characters: thousands end mid-sentence there.
    expect(cut.length).toBeGreaterThan(3000);
    for (const r of cut) {
      expect(r.text.length).toBeGreaterThan(450);
      expect(r.text).not.toMatch(/[.!?]$/);
    }
    // Short texts that end without a full stop are a reviewer's habit, not a cut.
    expect(corpus.some((r) => !r.truncated && r.text.length < 200 && !/[.!?]$/.test(r.text))).toBe(true);
  });
});

describe('recombination (no LLM)', () => {
  const gen = new RecombineGenerator(corpus);
  const req = {
    count: 1,
    sentiment: 'negative' as const,
    category: 'Dresses',
    aspects: ['fit', 'quality'],
    length: 'medium' as const,
    seed: 7,
  };

  it('builds a review from sentences of real same-sentiment, same-category reviews, with the aspects asked for', async () => {
    const c = await gen.generate(req, 0, 7);
    const byId = new Map(corpus.map((r) => [r.id, r]));
    expect(c.sourceIds.length).toBeGreaterThanOrEqual(2);
    for (const id of c.sourceIds) {
      expect(byId.get(id)?.sentiment).toBe('negative');
      expect(byId.get(id)?.category).toBe('Dresses');
    }
    const sents = c.recipe.sentences as Array<{ id: string; sentence: string; aspect?: string }>;
    expect(sents.filter((s) => s.aspect).map((s) => s.aspect)).toEqual(['fit', 'quality']);
    for (const s of sents.filter((x) => x.aspect)) expect(aspectsOf(s.sentence)).toContain(s.aspect);
    const words = c.text.split(/\s+/).length;
    expect(words).toBeGreaterThanOrEqual(20);
    expect(words).toBeLessThanOrEqual(120);
  });

  it('is the same for the same seed and differs for another', async () => {
    expect((await gen.generate(req, 0, 7)).text).toBe((await gen.generate(req, 0, 7)).text);
    expect((await gen.generate(req, 0, 8)).text).not.toBe((await gen.generate(req, 0, 7)).text);
  });

  it('swaps words only for words of the same polarity and records each swap', () => {
    let i = 0;
    const rand = () => (i++ % 2 === 0 ? 0 : 0.1);
    const r = swapWords('Great fit but terrible zipper.', rand, 1);
    expect(r.text).toMatch(/^(Excellent|Fantastic) fit but (awful|horrible) zipper\.$/);
    expect(r.edits).toHaveLength(2);
    expect(lexiconLabel(r.text).label).toBe(lexiconLabel('Great fit but terrible zipper.').label);
  });

  it('swaps "love" only as a verb: "in love with it" never becomes "in adore with it"', () => {
    // Every swap taken (p = 1, first alternative): the verbs change, the nouns do not.
    const out = swapWords('I am in love with it. My love of linen shows. Love the colour, i love it.', () => 0, 1);
    expect(out.text).toBe('I am in love with it. My love of linen shows. Adore the colour, i adore it.');
    expect(out.edits).toEqual(['Love->Adore', 'love->adore']);
  });

  it('keeps a swapped word\'s casing and article: "VERY" is never "Quite" mid-sentence, "a great" never "a excellent"', () => {
    const out = swapWords('It is VERY bright and a great buy. An excellent lamp, Great value.', () => 0, 1);
    expect(out.text).toBe('It is REALLY bright and a great buy. An excellent lamp, Excellent value.');
  });

  it('leaves a degree word next to another alone ("really very soft" never becomes "quite very soft")', () => {
    const r = swapWords('It is really very soft and very warm.', () => 0, 1);
    expect(r.text).toBe('It is really very soft and really warm.');
    expect(r.edits).toEqual(['very->really']);
    // "really" also modifies verbs, where "very" is not English: "i very wanted" never comes out.
    expect(swapWords('i really wanted this to work', () => 0, 1).text).toBe('i truly wanted this to work');
  });

  it('refuses a pool too small to recombine, naming it', async () => {
    await expect(gen.generate({ ...req, category: 'No Such Category' }, 0, 1)).rejects.toThrow(ValidationError);
  });

  it('keeps every sentence as its reviewer typed it: lower-case reviewers stay lower-case', async () => {
    const review = (id: string, text: string, category = 'Tops'): SourceReview => ({
      id,
      text,
      rating: 5,
      sentiment: 'positive',
      category,
    });
    const lower = [
      review('l1', 'so soft and cozy. i wear it every weekend. the color is a lovely deep green.'),
      review('l2', 'love this top!! it drapes nicely over jeans. runs a bit big, i sized down.'),
      review('l3', 'bought it on sale. the fabric is thick but breathable. my husband loves it on me!'),
      review('l4', 'great basic tee. washes well with no shrinking. i ordered two more colors.'),
      review('l5', 'perfect fit for my petite frame. the sleeves hit right at the wrist. so happy.'),
    ];
    const shouty = [
      review('u1', 'This Kettle Is Great And We Use It Daily. It Boils Fast And Looks Nice On The Counter.', 'general'),
      review(
        'u2',
        'Works Well For Our Family Of Five. The Handle Stays Cool. Good Price Too, Would Buy Again.',
        'general',
      ),
      review('u3', 'Sturdy Lid That Clicks Shut. Easy To Clean Every Day. Recommended To All My Friends.', 'general'),
    ];
    const tops = new RecombineGenerator([...lower, ...shouty]);
    const texts = new Map([...lower, ...shouty].map((r) => [r.id, r.text]));
    for (let seed = 1; seed <= 12; seed++) {
      const c = await tops.generate(
        { count: 1, sentiment: 'positive', category: 'Tops', length: 'short', seed },
        0,
        seed,
      );
      const parts = c.recipe.sentences as Array<{ id: string; sentence: string }>;
      expect(parts.length).toBeGreaterThanOrEqual(2);
      for (const p of parts) expect(texts.get(p.id)).toContain(p.sentence);
      // Every sentence start is lower case, as typed; none re-capitalised.
      expect(c.text).toMatch(/^[a-z]/);
      expect(c.text).not.toMatch(/[.!?]\s+[A-Z]/);
    }
    // A pool of both habits: a review begun in lower case goes on in lower case, one begun in capitals stays so.
    const mixed = new RecombineGenerator([...lower, ...shouty]);
    const begun = new Set<boolean>();
    for (let seed = 1; seed <= 24; seed++) {
      const c = await mixed.generate({ count: 1, sentiment: 'positive', length: 'short', seed }, 0, seed);
      const starts = c.text.split(/(?<=[.!?])\s+/).map((x) => x[0] as string);
      const lowerStart = starts[0] === starts[0]?.toLowerCase();
      for (const ch of starts.slice(1)) expect(ch === ch.toLowerCase()).toBe(lowerStart);
      begun.add(lowerStart);
    }
    expect(begun).toEqual(new Set([true, false]));
  });

  it('never stitches a dealbreaker into a positive review, nor praise the classifier reads positive into a negative one', async () => {
    // Real 4-star reviews carry "sadly it went back"; real 2-star ones carry "the colour is gorgeous". Each pool has
    // such a sentence in every other source; the polarity gate must keep them all out and count what it turned away.
    const review = (id: string, text: string, sentiment: 'positive' | 'negative'): SourceReview => ({
      id,
      text,
      rating: sentiment === 'positive' ? 4 : 2,
      sentiment,
      category: 'Tops',
    });
    const pos: SourceReview[] = [];
    const neg: SourceReview[] = [];
    const against = [
      'Sadly it went back the next day.',
      'I will be returning it for a refund.',
      'The medium does not fit me at all.',
      'It was way too small in the chest.',
    ];
    for (let i = 0; i < 24; i++) {
      pos.push(
        review(
          `p${i}`,
          `Soft top number ${i}. The colour is lovely ${i}. ${against[i % 4]} I wear it often ${i}.`,
          'positive',
        ),
      );
      neg.push(
        review(
          `n${i}`,
          `Thin fabric number ${i}. The seam split in wash ${i}. The colour is gorgeous ${i}. Poor stitching ${i}.`,
          'negative',
        ),
      );
    }
    const scripted: SentimentJudge = {
      model: 'scripted: "gorgeous" reads positive',
      judge: async (text) => {
        const positive = /gorgeous/.test(text) ? 0.9 : 0.2;
        return {
          label: positive > 0.5 ? 'positive' : 'neutral',
          confidence: 0.8,
          scores: { positive, neutral: 0.8 - positive / 2, negative: 0.2 - positive / 2 },
        };
      },
    };
    const pGen = new RecombineGenerator(pos);
    const nGen = new RecombineGenerator(neg, { judge: scripted });
    let skipped = 0;
    for (let seed = 1; seed <= 15; seed++) {
      const p = await pGen.generate({ count: 1, sentiment: 'positive', length: 'short', seed }, 0, seed);
      for (const bad of against) expect(p.text).not.toContain(bad.slice(0, 12));
      expect(p.recipe.gate).toBe('words only');
      const n = await nGen.generate({ count: 1, sentiment: 'negative', length: 'short', seed }, 0, seed);
      expect(n.text).not.toContain('gorgeous');
      expect(n.recipe.gate).toContain('scripted');
      skipped += (p.recipe.againstSkipped as number) + (n.recipe.againstSkipped as number);
    }
    expect(skipped).toBeGreaterThan(0);
  });

  it('ends a neutral review made of complaints on a good point, when the judge finds one', async () => {
    // 3-star sources: mostly mild complaints; one sentence in four is mild praise. A neutral review with no good
    // point reads as a run of complaints (check list NEU-1/NEU-2); the generator must end such a one on praise.
    const pool: SourceReview[] = [];
    for (let i = 0; i < 40; i++) {
      const praise = i % 4 === 0 ? `The print is pretty ${i}.` : `The hem is uneven ${i}.`;
      pool.push({
        id: `m${i}`,
        text: `Ordered size ${i}. The sleeves are tight ${i}. ${praise} The zip sticks ${i}.`,
        rating: 3,
        sentiment: 'neutral',
        category: 'Tops',
      });
    }
    const scripted: SentimentJudge = {
      model: 'scripted: "pretty" is praise',
      judge: async (text) => {
        const positive = /pretty/.test(text) ? 0.6 : 0.2;
        const negative = /pretty/.test(text) ? 0.1 : 0.45;
        return { label: 'neutral', confidence: 0.5, scores: { positive, negative, neutral: 1 - positive - negative } };
      },
    };
    const gen = new RecombineGenerator(pool, { judge: scripted });
    let asked = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const c = await gen.generate({ count: 1, sentiment: 'neutral', length: 'short', seed }, 0, seed);
      expect(c.text).toMatch(/pretty/);
      if (c.recipe.goodPointAsked) {
        asked++;
        expect(c.recipe.goodPointAdded).toBe(true);
      }
    }
    // Most drafts had no praise by their last sentence: the rule did the work, not chance.
    expect(asked).toBeGreaterThan(5);
    // Without a judge there is no reading of praise, and no such rule.
    const plain = await new RecombineGenerator(pool).generate(
      { count: 1, sentiment: 'neutral', length: 'short', seed: 1 },
      0,
      1,
    );
    expect(plain.recipe.goodPointAsked).toBeUndefined();
  });

  it("goes on with sentences from reviews like its opening, and ends on a real review's ending", async () => {
    // One broad category ("general", as for MARC) holding two kinds of product: a review opened on a phone case
    // must not go on about coffee. Each source ends unpunctuated, as a quarter of real reviews do.
    const kinds = {
      phone: ['phone case', 'screen protector', 'charging port', 'camera bump', 'phone grip'],
      coffee: ['coffee beans', 'espresso roast', 'coffee grinder', 'french press', 'coffee aroma'],
    };
    const pool: SourceReview[] = [];
    for (const [kind, things] of Object.entries(kinds)) {
      for (let i = 0; i < 40; i++) {
        const a = things[i % 5] as string;
        const b = things[(i + 2) % 5] as string;
        pool.push({
          id: `${kind}-${i}`,
          text: `The ${a} arrived on day ${i + 1}. I like the ${b} a lot, number ${i}. My ${a} and ${b} are great ${kind} stuff ${i}`,
          rating: 5,
          sentiment: 'positive',
          category: 'general',
        });
      }
    }
    const gen = new RecombineGenerator(pool);
    let unpunctuated = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const c = await gen.generate({ count: 1, sentiment: 'positive', length: 'short', seed }, 0, seed);
      const parts = c.recipe.sentences as Array<{ id: string; sentence: string; closing?: boolean }>;
      const kind = (parts[0] as { id: string }).id.split('-')[0];
      for (const p of parts) expect(p.id.split('-')[0]).toBe(kind);
      expect(c.recipe.neighbours).toBe(30);
      if (parts[parts.length - 1]?.closing && !/[.!?]$/.test(c.text)) unpunctuated++;
    }
    expect(unpunctuated).toBeGreaterThan(10);
  });

  it('follows the casing of real reviews of the pool (clothing reviewers mostly type later sentences in lower case, Amazon ones do not)', async () => {
    const lowerShare = (texts: string[]) => {
      const k = STYLE_FEATURES.indexOf('lowercase_sentence_start');
      return texts.reduce((a, t) => a + (styleFeatures(t)[k] as number), 0) / texts.length;
    };
    for (const [category, lo, hi] of [
      ['Tops', 0.45, 0.85],
      ['general', 0, 0.15],
    ] as const) {
      const made: string[] = [];
      for (let i = 0; i < 40; i++) {
        made.push(
          (await gen.generate({ count: 1, sentiment: 'positive', category, length: 'short', seed: i }, 0, i)).text,
        );
      }
      const real = corpus.filter((r) => r.sentiment === 'positive' && r.category === category).slice(0, 400);
      expect(lowerShare(made)).toBeGreaterThanOrEqual(lo);
      expect(lowerShare(made)).toBeLessThanOrEqual(hi);
      expect(Math.abs(lowerShare(made) - lowerShare(real.map((r) => r.text)))).toBeLessThan(0.15);
    }
  });

  it('draws its length from real reviews of the same class and length: sentence counts follow the corpus', async () => {
    const words = (t: string) => t.split(/\s+/).filter(Boolean).length;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    for (const [sentiment, category, length] of [
      ['negative', 'Dresses', 'medium'],
      ['negative', 'general', 'short'],
      ['positive', 'Tops', 'long'],
    ] as const satisfies ReadonlyArray<readonly ['negative' | 'positive', string, SynthLength]>) {
      const [lo, hi] = LENGTH_WORDS[length];
      const real = corpus.filter(
        (r) =>
          r.sentiment === sentiment &&
          r.category === category &&
          words(r.text) >= lo &&
          words(r.text) <= hi &&
          !r.truncated,
      );
      const made: string[] = [];
      for (let i = 0; i < 60; i++) {
        const c = await gen.generate({ count: 1, sentiment, category, length, seed: 100 + i }, 0, 100 + i);
        expect(c.recipe.template).toMatchObject({ inRange: real.length });
        made.push(c.text);
      }
      for (const t of made) {
        expect(words(t)).toBeGreaterThanOrEqual(lo);
        expect(words(t)).toBeLessThanOrEqual(hi);
      }
      const madeK = made.map(sentenceCount);
      const realK = real.map((r) => sentenceCount(r.text));
      // Roughly: mean within 15%, median within one sentence, and not a fixed count.
      expect(Math.abs(mean(madeK) - mean(realK)) / mean(realK)).toBeLessThan(0.15);
      expect(Math.abs(median(madeK) - median(realK))).toBeLessThanOrEqual(1);
      expect(new Set(madeK).size).toBeGreaterThanOrEqual(3);
      expect(Math.abs(mean(made.map(words)) - mean(real.map((r) => words(r.text)))) / (hi - lo)).toBeLessThan(0.2);
    }
  });
});

describe('prompt leaks in LLM-written reviews', () => {
  it('cuts a copied few-shot heading and drops answer labels, leaving clean text alone', () => {
    const leaked = "I really don't like the feel of these. I don't want these in my hair. Example 2 (1 star) :";
    expect(stripPromptLeaks(leaked)).toEqual({
      text: "I really don't like the feel of these. I don't want these in my hair.",
      removed: ['Example 2 (1 star) :'],
    });
    expect(stripPromptLeaks('Review: Great kettle, boils fast and the lid shuts well.').text).toBe(
      'Great kettle, boils fast and the lid shuts well.',
    );
    expect(stripPromptLeaks('  Customer review -  "Runs small.  Returned it."  ').text).toBe(
      'Runs small. Returned it.',
    );
    expect(stripPromptLeaks('"Review: Soft fabric, true to size."').text).toBe('Soft fabric, true to size.');
    // The request echoed as a heading, with a full stop or a colon after it.
    expect(stripPromptLeaks('negative customer review (1 stars). The zipper broke.').text).toBe('The zipper broke.');
    expect(stripPromptLeaks('Positive product review (5 stars): Love it, fits well.').text).toBe('Love it, fits well.');
    expect(stripPromptLeaks('Neutral review - It is fine.').text).toBe('It is fine.');
    const plain = 'Positive customer reviews made me buy it. The strap broke.';
    expect(stripPromptLeaks(plain).text).toBe(plain);
    expect(stripPromptLeaks('Example 1 (4 or 5 stars): Lovely dress. Example 2 (5 stars): Fits well.').text).toBe(
      'Lovely dress.',
    );
    expect(stripPromptLeaks('Zipper broke in a week. Answer with JSON: {"review": "x"}').text).toBe(
      'Zipper broke in a week.',
    );
    const clean = 'For example 2 of the buttons fell off, and my review: never again. 3 stars (generous).';
    expect(stripPromptLeaks(clean)).toEqual({ text: clean, removed: [] });
  });

  it('the LLM generator returns the cleaned text, records what it removed, and fails an answer that was all leak', async () => {
    const fake = await startFakeOpenAI();
    try {
      const client = new OpenAIChatClient({
        baseUrl: fake.baseUrl,
        model: 'scripted',
        maxAttempts: 1,
        retryBaseMs: 10,
      });
      const llm = new LlmGenerator(client, corpus);
      const req = { count: 1, sentiment: 'negative' as const, category: 'Jackets', length: 'short' as const, seed: 2 };
      fake.script({
        content: JSON.stringify({
          review: 'Review: The zipper split on day two and the lining tore. Example 2 (1 star) :',
        }),
      });
      const c = await llm.generate(req, 0, 2);
      expect(c.text).toBe('The zipper split on day two and the lining tore.');
      expect(c.recipe.leaksRemoved).toEqual(['Review:', 'Example 2 (1 star) :']);
      fake.script({ content: JSON.stringify({ review: 'Example 1 (2 stars): Example 2 (1 star): hmm' }) });
      await expect(llm.generate(req, 1, 3)).rejects.toThrow(/after removing prompt leaks.*too short/);
    } finally {
      await fake.close();
    }
  });
});

describe('duplicates', () => {
  it('catches exact copies of real text and near copies of sources and kept synthetic reviews', () => {
    const d = new Deduper(['The zipper broke after one week.'], ['Lovely soft fabric and it fits true to size.']);
    expect(d.check('the zipper BROKE after one week!')).toBe('exact');
    const src = 'I ordered a medium and it was huge in the chest and the fabric pilled after one wash.';
    expect(
      d.check('I ordered a medium and it was huge in the chest and the fabric pilled after one wash, sadly.', [src]),
    ).toBe('near-real');
    expect(d.check('Lovely soft fabric and it fits true to size. Would buy again.')).toBe('near-synthetic');
    expect(d.check('Completely different words about a kettle that whistles too loudly.')).toBeUndefined();
  });
});

describe('a synthesis run', () => {
  it('keeps only new reviews the judge reads as the requested sentiment, counting what it drops', async () => {
    const { reviews, summary } = await synthesize(
      { count: 8, sentiment: 'positive', category: 'Tops', length: 'short', seed: 3 },
      { generator: new RecombineGenerator(corpus), corpus, judge: lexiconJudge },
    );
    expect(reviews).toHaveLength(8);
    expect(summary.kept).toBe(8);
    expect(summary.tried).toBe(8 + Object.values(summary.dropped).reduce((a, b) => a + b, 0));
    for (const r of reviews) {
      expect(r).toMatchObject({ source: 'synthetic', generator: 'recombine', sentiment: 'positive' });
      expect(r.check?.label).toBe('positive');
      expect(lexiconLabel(r.text).label).toBe('positive');
      expect(r.recipe.sentences).toBeDefined();
    }
    expect(new Set(reviews.map((r) => r.seed)).size).toBe(8);
    expect(new Set(reviews.map((r) => r.id)).size).toBe(8);
  });

  it('goes on past generator failures and stops, saying why, after too many in a row', async () => {
    let n = 0;
    const flaky: SynthGenerator = {
      name: 'llm',
      async generate(req, i, seed) {
        n++;
        if (n === 2) throw new Error('the local LLM gave no answer within 50 ms (timed out)');
        if (n > 3) throw new Error('the local LLM could not load x.gguf');
        return new RecombineGenerator(corpus).generate(req, i, seed);
      },
    };
    const { reviews, summary } = await synthesize(
      { count: 5, sentiment: 'negative', seed: 11 },
      { generator: flaky, corpus, maxConsecutiveFailures: 3 },
    );
    expect(reviews.length).toBe(2);
    expect(summary.dropped.failed).toBe(4);
    expect(summary.stoppedEarly).toMatch(/failed 3 times in a row: the local LLM could not load/);
    expect(summary.failures[0]).toMatch(/timed out/);
  });

  it('refuses a rating that disagrees with the sentiment', async () => {
    await expect(
      synthesize(
        { count: 1, sentiment: 'negative', rating: 5, seed: 1 },
        { generator: new RecombineGenerator(corpus), corpus },
      ),
    ).rejects.toThrow(/rating 5 reads as positive/);
  });
});

const cfg = loadConfig({ env: { REVIEWLENS_MODELS_DIR: MODELS_DIR } });
const present = textLlmStatus(cfg).provider === 'local';
if (!present) console.warn(`LLM generator test skipped: ${textLlmStatus(cfg).reason}`);

describe.skipIf(!present)('the LLM generator on the real local model', () => {
  it('writes a review as grammar-constrained JSON and records prompt, few-shot ids, model and seed', {
    timeout: 900_000,
  }, async () => {
    const client = new LocalLlamaClient({ modelPath: localModelPath(cfg), threads: 1, timeoutMs: 600_000 });
    const gen = new LlmGenerator(client, corpus);
    const c = await gen.generate(
      {
        count: 1,
        sentiment: 'negative',
        rating: 1,
        category: 'Jackets',
        length: 'short',
        aspects: ['quality'],
        seed: 5,
      },
      0,
      5,
    );
    expect(c.text.length).toBeGreaterThanOrEqual(20);
    expect(c.recipe).toMatchObject({ model: 'tinyllama-1.1b-chat-iq2_xxs', temperature: 0.8 });
    expect(c.recipe.fewShot).toHaveLength(2);
    expect(JSON.stringify(c.recipe.prompt)).toMatch(/negative customer review with a 1-star rating.*Jackets/);
    const byId = new Map(corpus.map((r) => [r.id, r]));
    for (const id of c.sourceIds) expect(byId.get(id)?.sentiment).toBe('negative');
  });
});
