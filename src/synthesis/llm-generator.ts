import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { seededRandom, shuffleInPlace } from '../core/random.js';
import { type ChatClient, type ChatMessage, completeStructured } from '../llm/index.js';
import { poolFor } from './corpus.js';
import {
  LENGTH_WORDS,
  type SourceReview,
  type SynthCandidate,
  type SynthGenerator,
  type SynthRequest,
} from './types.js';

const STARS_OF = { negative: '1 or 2', neutral: '3', positive: '4 or 5' } as const;

/** The messages for one LLM-written review: the target, and real reviews of the same pool as style examples. */
export function synthMessages(req: SynthRequest, examples: readonly SourceReview[]): ChatMessage[] {
  const [lo, hi] = LENGTH_WORDS[req.length ?? 'medium'];
  const what = [
    `a ${req.sentiment} customer review`,
    req.rating ? `with a ${req.rating}-star rating` : `(${STARS_OF[req.sentiment]} stars)`,
    req.product ? `of the product "${req.product}"` : '',
    req.category && req.category !== 'any' ? `in the category ${req.category}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const lines = [
    `Write ${what}, ${lo} to ${hi} words long.`,
    req.aspects?.length ? `Mention: ${req.aspects.join(', ')}.` : '',
    req.persona ? `Write it as ${req.persona}.` : '',
    'Write in the style of these real reviews, but do not copy them:',
    ...examples.map((e, i) => `Example ${i + 1} (${e.rating} stars): ${e.text.slice(0, 300)}`),
    'Answer with JSON: {"review": "..."}.',
  ].filter(Boolean);
  return [
    { role: 'system', content: 'You write realistic online shop reviews, as a customer would.' },
    { role: 'user', content: lines.join('\n') },
  ];
}

/**
 * A label a model puts before its answer: `Review:`, `Customer review:`, `Example 3 (2 stars):`, `Answer -`, or the
 * request echoed as a heading, `Negative customer review (1 stars).` (a full stop only after a sentiment and
 * `customer`/`product review`, so a review opening "Positive customer reviews made me..." is left alone).
 */
const LEADING_LABEL =
  /^\s*(?:(?:(?:negative|neutral|positive)\s+)?(?:(?:customer|product|synthetic|my)\s+)?review(?:\s*\(\s*\d[^)]{0,16}\))?|example\s*\d*(?:\s*\([^)]{0,20}\))?|answer|output)\s*[:\-\u2013]\s*|^\s*(?:negative|neutral|positive)\s+(?:customer|product)\s+review(?:\s*\(\s*\d[^)]{0,16}\))?\s*\.\s*/i;
/**
 * Where a copy of the prompt starts inside an answer: an `Example N (k stars):` heading of the few-shot list (with or
 * without its colon), or one of the prompt's instruction lines. Everything from there on is prompt, not review.
 */
const PROMPT_ECHO =
  /\s*(?:\bexample\s*\d+\s*\(\s*[\d\s]+(?:or\s*\d\s*)?stars?\s*\)\s*:?|\bexample\s*\d+\s*:|\banswer with json\b|\bwrite in the style of these real reviews\b|\bwrite (?:a|an) (?:negative|neutral|positive) customer review\b)/i;

/**
 * Cleans an LLM-written review of prompt leaks: collapses whitespace, drops wrapping double quotes and leading labels
 * (`Review:`, `Example 2 (1 star):`) and cuts the text where a copy of the prompt begins (an `Example N (k stars):`
 * heading or an instruction line of synthMessages), e.g. `... in my hair. Example 2 (1 star) :` becomes `... in my
 * hair.`. Returns the text and the fragments removed (empty when there was no leak). Own code, from the leaks seen in
 * TinyLlama's answers (docs/benchmarks.md, synthesis-validator).
 */
export function stripPromptLeaks(raw: string): { text: string; removed: string[] } {
  const removed: string[] = [];
  let text = raw.replace(/\s+/g, ' ').trim();
  for (let changed = true; changed; ) {
    changed = false;
    const quoted = text.match(/^["\u201c](.*)["\u201d]$/s);
    if (quoted && !/["\u201c\u201d]/.test(quoted[1] as string)) {
      text = (quoted[1] as string).trim();
      changed = true;
    }
    const label = text.match(LEADING_LABEL);
    if (label) {
      removed.push(label[0].trim());
      text = text.slice(label[0].length).trim();
      changed = true;
    }
  }
  const echo = PROMPT_ECHO.exec(text);
  if (echo) {
    removed.push(text.slice(echo.index).trim());
    text = text.slice(0, echo.index).trim();
  }
  return { text, removed };
}

/**
 * The LLM generator: any ChatClient (the local TinyLlama by default, or `llm.url`), prompted with the target
 * sentiment / rating / product / category / length / aspects / persona and 2 real reviews of the same pool as
 * few-shot style examples; the answer is grammar-constrained JSON `{review}` (validated and retried by
 * completeStructured), cleaned of prompt leaks (stripPromptLeaks). Sampled at temperature 0.8 with the review's
 * seed. The recipe records the prompt, the model, the example ids, the settings and any leak removed.
 * @throws Error when the answer is under 20 characters once its leaks are removed (a synthesis run counts it as
 *   failed and goes on).
 */
export class LlmGenerator implements SynthGenerator {
  readonly name = 'llm' as const;

  constructor(
    private readonly client: ChatClient,
    private readonly corpus: readonly SourceReview[],
    private readonly opts: { temperature?: number; maxAttempts?: number } = {},
  ) {}

  async generate(req: SynthRequest, _index: number, seed: number): Promise<SynthCandidate> {
    const { pool, matched } = poolFor(this.corpus, req);
    if (pool.length < 2) {
      throw new ValidationError(
        `only ${pool.length} real ${req.sentiment} review(s) match the request: few-shot needs 2`,
      );
    }
    const rand = seededRandom(seed);
    const short = pool.filter((r) => r.text.length <= 400);
    const examples = shuffleInPlace([...(short.length >= 2 ? short : pool)], rand).slice(0, 2);
    const messages = synthMessages(req, examples);
    const [, hi] = LENGTH_WORDS[req.length ?? 'medium'];
    const schema = z.object({
      review: z
        .string()
        .min(20)
        .max(hi * 9),
    });
    const temperature = this.opts.temperature ?? 0.8;
    const res = await completeStructured({
      client: this.client,
      messages,
      schema,
      what: 'synthetic review',
      temperature,
      maxTokens: Math.round(hi * 1.6) + 20,
      seed,
      maxAttempts: this.opts.maxAttempts ?? 2,
    });
    const { text, removed } = stripPromptLeaks(res.value.review);
    if (text.length < 20) {
      throw new Error(
        `the LLM's review is ${text.length} characters after removing prompt leaks (${removed.map((r) => JSON.stringify(r.slice(0, 60))).join(', ')}): too short`,
      );
    }
    return {
      text,
      sourceIds: examples.map((e) => e.id),
      recipe: {
        model: this.client.model,
        where: this.client.baseUrl,
        pool: { matched, size: pool.length },
        fewShot: examples.map((e) => e.id),
        prompt: messages,
        temperature,
        attempts: res.attempts,
        ...(removed.length ? { leaksRemoved: removed } : {}),
      },
    };
  }
}
