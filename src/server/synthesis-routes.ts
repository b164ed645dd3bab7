import { basename } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../core/errors.js';
import type { Interval } from '../evaluation/index.js';
import {
  loadTrainingComparison,
  loadValidatorReport,
  TRAINING_COMPARISON_FILE,
  TRAINING_COMPARISON_PATH,
  type ValidatorReport,
  validatorReportPath,
} from '../synthesis/index.js';
import { type AppContext, thumbnailUrl } from './context.js';
import { errorSchema } from './schemas.js';

const intervalSchema = {
  type: ['object', 'null'],
  properties: { estimate: { type: 'number' }, low: { type: 'number' }, high: { type: 'number' } },
  required: ['estimate', 'low', 'high'],
} as const;

const generatorSchema = {
  type: 'object',
  properties: {
    generator: { type: 'string' },
    pairs: { type: 'integer', description: 'Synthetic reviews of this generator, each paired with one real review.' },
    accuracy: { ...intervalSchema, description: 'Held-out accuracy, bootstrap 95% interval; 0.5: cannot tell.' },
    auc: { type: ['number', 'null'] },
    style_only: intervalSchema,
    embedding_only: intervalSchema,
    rounds: {
      type: 'array',
      items: {
        type: 'object',
        properties: { round: { type: 'string' }, pairs: { type: 'integer' }, accuracy: intervalSchema },
      },
    },
    most_real: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          text: { type: 'string' },
          round: { type: ['string', 'null'] },
          p_synthetic: { type: 'number' },
        },
      },
    },
    giveaways: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          feature: { type: 'string' },
          description: { type: 'string' },
          auc: { type: 'number' },
          synthetic_mean: { type: 'number' },
          real_mean: { type: 'number' },
          coefficient: { type: 'number' },
        },
      },
    },
    skipped: { type: 'string' },
  },
  required: ['generator', 'pairs', 'accuracy'],
} as const;

const validatorSchema = {
  type: ['object', 'null'],
  properties: {
    created_at: { type: 'string' },
    seed: { type: 'integer' },
    folds: { type: 'integer' },
    classifier: { type: 'string' },
    goal: { type: 'number' },
    features: {
      type: 'object',
      properties: { embedding: { type: ['string', 'null'] }, style: { type: 'array', items: { type: 'string' } } },
    },
    synthetic: {
      type: 'object',
      properties: {
        source: { type: ['string', 'null'] },
        records: { type: 'integer' },
        used: { type: 'integer' },
        unmatched: { type: 'integer' },
      },
    },
    real: {
      type: 'object',
      properties: { source: { type: ['string', 'null'] }, pool: { type: 'integer' }, used: { type: 'integer' } },
    },
    generators: { type: 'array', items: generatorSchema },
  },
} as const;

/** An object with one value of `type` per sentiment class. */
const perClassSchema = <T extends 'number' | 'integer'>(type: T) =>
  ({
    type: 'object',
    properties: { negative: { type }, neutral: { type }, positive: { type } },
  }) as const;
const sideSchema = {
  type: 'object',
  properties: { accuracy: { type: 'number' }, macro_f1: { type: 'number' }, per_class_f1: perClassSchema('number') },
} as const;
const countsSchema = perClassSchema('integer');

/** data/synthesis/with-without.json (src/synthesis/training-comparison.ts), as `npm run bench:synthetic-training` writes it. */
const comparisonSchema = {
  type: ['object', 'null'],
  description:
    'Two models trained alike, without and with synthetic reviews in the training split, scored on real reviews only ' +
    '(served answers); paired bootstrap 95% intervals of with - without. The e-commerce val split decides; test sets ' +
    'are reported only.',
  properties: {
    created_at: { type: 'string' },
    command: { type: 'string' },
    machine: { type: 'string' },
    bootstrap: { type: 'object', properties: { resamples: { type: 'integer' }, seed: { type: 'integer' } } },
    decision_rule: { type: 'string' },
    decision: { type: 'object', properties: { include: { type: 'boolean' }, reason: { type: 'string' } } },
    without: { type: 'object', properties: { model: { type: 'string' }, artifact: { type: 'string' } } },
    with: {
      type: 'object',
      properties: {
        model: { type: 'string' },
        artifact: { type: 'string' },
        synthetic: {
          type: ['object', 'null'],
          properties: {
            file: { type: 'string' },
            sha256: { type: 'string' },
            used: { type: 'integer' },
            by_label: countsSchema,
            real_by_label: countsSchema,
            by_generator: { type: 'object', additionalProperties: { type: 'integer' } },
          },
        },
      },
    },
    sets: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          set: { type: 'string' },
          role: { type: 'string', enum: ['decision', 'reported'] },
          n: { type: 'integer' },
          without: sideSchema,
          with: sideSchema,
          macro_f1_diff: intervalSchema,
          accuracy_diff: intervalSchema,
        },
      },
    },
  },
} as const;

const sampleSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    text: { type: 'string' },
    label: { type: ['string', 'null'] },
    label_source: { type: ['string', 'null'] },
    rating: { type: ['integer', 'null'] },
    product: { type: ['string', 'null'] },
    generator: { type: ['string', 'null'], description: "The review's provenance.generator (recombine, llm, ...)." },
    thumbnail_url: { type: 'string', description: 'Its (synthetic) photo, when it has one.' },
    created_at: { type: 'string' },
  },
  required: ['id', 'text'],
} as const;

const iv = (i: Interval | null) => (i ? { estimate: i.estimate, low: i.low, high: i.high } : null);
/** File name only: the API names no server path. */
const sourceName = (s: string | null) => (s ? basename(s.split(' ')[0] as string) : null);

/** The saved report in the API's shape (snake_case, generators as a list, no server paths). */
function apiReport(r: ValidatorReport) {
  return {
    created_at: r.createdAt,
    seed: r.seed,
    folds: r.folds,
    classifier: r.classifier,
    goal: r.goal,
    features: r.features,
    synthetic: { ...r.synthetic, source: sourceName(r.synthetic.source) },
    real: { source: sourceName(r.real.source), pool: r.real.pool, used: r.real.used },
    generators: Object.entries(r.byGenerator).map(([generator, g]) => ({
      generator,
      pairs: g.pairs,
      accuracy: iv(g.accuracy),
      auc: g.auc,
      style_only: iv(g.byFeatures.style),
      embedding_only: iv(g.byFeatures.embedding),
      rounds: Object.entries(g.byRound).map(([round, v]) => ({ round, pairs: v.pairs, accuracy: iv(v.accuracy) })),
      most_real: g.mostReal.map((m) => ({ id: m.id, text: m.text, round: m.round, p_synthetic: m.pSynthetic })),
      giveaways: g.giveaways.map((x) => ({
        feature: x.feature,
        description: x.description,
        auc: x.auc,
        synthetic_mean: x.syntheticMean,
        real_mean: x.realMean,
        coefficient: x.coefficient,
      })),
      ...(g.skipped ? { skipped: g.skipped } : {}),
    })),
  };
}

/**
 * `GET /api/synthesis`: the most recent synthetic reviews in the store (source `synthetic`, newest first), the
 * adversarial validator's last saved report (`reviewlens synth validate --save`, kept in
 * `<dataDir>/synthesis/validator-report.json`) and the with/without-synthetic-data training comparison committed in
 * the repository (data/synthesis/with-without.json, written by `npm run bench:synthetic-training`), for the web UI's
 * Synthesis page. Read-only: the `analyze` scope.
 */
export function registerSynthesisRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    '/api/synthesis',
    {
      config: { scope: 'analyze' },
      schema: {
        summary: 'Recent synthetic reviews and the adversarial validator’s last report',
        description:
          'Synthetic reviews are the stored reviews whose source is `synthetic` (newest first, `limit` of them, with ' +
          '`total`). `validator` is the last report saved by `reviewlens synth validate --save`: per generator, the ' +
          'held-out accuracy of a discriminator telling its reviews from as many real ones (0.5 = it cannot tell), ' +
          'the most real-looking samples and the style features that give synthetic text away; null when none was ' +
          'saved (`validator_error` says why when a saved report could not be read). `training_comparison`: does ' +
          'synthetic data help training? Two models trained alike without and with synthetic reviews, scored on real ' +
          'reviews only, with paired bootstrap intervals and the decision rule applied (null when not measured).',
        tags: ['synthesis'],
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'string', pattern: '^[0-9]{1,3}$', description: 'Samples to return, 1-100 (default 20).' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              samples: { type: 'array', items: sampleSchema },
              total: { type: 'integer', description: 'Synthetic reviews in the store.' },
              validator: validatorSchema,
              validator_error: { type: 'string' },
              training_comparison: comparisonSchema,
              training_comparison_error: { type: 'string' },
            },
            required: ['samples', 'total', 'validator', 'training_comparison'],
          },
          '4xx': errorSchema,
        },
      },
    },
    async (req) => {
      const q = req.query as { limit?: string };
      const limit = q.limit === undefined ? 20 : Number(q.limit);
      if (limit < 1 || limit > 100) throw new ValidationError('limit must be between 1 and 100', 'limit');
      const total = await ctx.meta.reviews.count({ source: 'synthetic' });
      // The store lists oldest first: read the last `limit` and turn them round.
      const rows = await ctx.meta.reviews.list({ source: 'synthetic', limit, offset: Math.max(0, total - limit) });
      const samples = rows.reverse().map((r) => ({
        id: r.id,
        text: r.text,
        label: r.label,
        label_source: r.labelSource,
        rating: r.rating,
        product: r.product,
        generator: typeof r.provenance.generator === 'string' ? r.provenance.generator : null,
        ...(r.photoBlobs[0] ? { thumbnail_url: thumbnailUrl(r.photoBlobs[0]) } : {}),
        created_at: r.createdAt.toISOString(),
      }));
      let validator: ReturnType<typeof apiReport> | null = null;
      let validatorError: string | undefined;
      try {
        const report = loadValidatorReport(ctx.config.dataDir);
        validator = report ? apiReport(report) : null;
      } catch (e) {
        const file = validatorReportPath(ctx.config.dataDir);
        const why = (e as Error).message.split(file).join(basename(file));
        validatorError = `the saved validator report could not be read (${why}); run \`reviewlens synth validate --save\` again`;
      }
      let comparison: ReturnType<typeof loadTrainingComparison> = null;
      let comparisonError: string | undefined;
      try {
        comparison = loadTrainingComparison();
      } catch (e) {
        const why = (e as Error).message.split(TRAINING_COMPARISON_PATH).join(basename(TRAINING_COMPARISON_FILE));
        comparisonError = `${basename(TRAINING_COMPARISON_FILE)} could not be read (${why}); run \`npm run bench:synthetic-training\` again`;
      }
      return {
        samples,
        total,
        validator,
        ...(validatorError ? { validator_error: validatorError } : {}),
        training_comparison: comparison,
        ...(comparisonError ? { training_comparison_error: comparisonError } : {}),
      };
    },
  );
}
