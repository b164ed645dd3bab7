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
 * The LLM generator: any ChatClient (the local TinyLlama by default, or `llm.url`), prompted with the target
 * sentiment / rating / product / category / length / aspects / persona and 2 real reviews of the same pool as
 * few-shot style examples; the answer is grammar-constrained JSON `{review}` (validated and retried by
 * completeStructured). Sampled at temperature 0.8 with the review's seed. The recipe records the prompt, the
 * model, the example ids and the settings.
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
    return {
      text: res.value.review.replace(/\s+/g, ' ').trim(),
      sourceIds: examples.map((e) => e.id),
      recipe: {
        model: this.client.model,
        where: this.client.baseUrl,
        pool: { matched, size: pool.length },
        fewShot: examples.map((e) => e.id),
        prompt: messages,
        temperature,
        attempts: res.attempts,
      },
    };
  }
}
