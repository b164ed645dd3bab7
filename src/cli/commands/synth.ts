import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { ValidationError } from '../../core/errors.js';
import { cliConfig } from '../shared.js';
import { registerSynthValidateCommand } from './synth-validate.js';

const err = (m: string) => process.stderr.write(`${m}\n`);

function int(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be a whole number`);
    return n;
  };
}

function oneOf<T extends string>(values: readonly T[]) {
  return (v: string) => {
    if (!(values as readonly string[]).includes(v))
      throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return v as T;
  };
}

interface SynthOpts {
  count: number;
  sentiment: 'negative' | 'neutral' | 'positive';
  rating?: number;
  product?: string;
  category?: string;
  length: 'short' | 'medium' | 'long';
  aspects?: string;
  persona?: string;
  generator: 'recombine' | 'llm';
  seed: number;
  out: string;
  check: boolean;
  artifact?: string;
  data?: string;
  json?: boolean;
  withPhotos?: boolean;
  photoGenerator: 'pair' | 'http';
}

/**
 * `reviewlens synth`: controllable synthetic review text (src/synthesis). Every kept review is new (not a duplicate
 * of a real or earlier synthetic one) and, unless `--no-check`, read by the production classifier as the sentiment
 * asked for; the JSONL records its generator, recipe or prompt, and seed. With `--with-photos` each review also gets
 * a JPEG of the matching condition (src/synthesis/photos) in `<out name>.photos/` beside the JSONL, its row the
 * `image` path (relative to the JSONL's folder, as `train --data` reads it) and the `photo_recipe`.
 */
export function registerSynthCommands(program: Command): void {
  const synth = program
    .command('synth')
    .description(
      'generate synthetic reviews with a target sentiment (and rating, product, category, length, aspects, persona), ' +
        'deduplicated against real and earlier synthetic reviews and checked by the production classifier; ' +
        'appends to --out (JSONL, written atomically)',
    )
    .requiredOption('-n, --count <n>', 'how many reviews to keep', int('--count'))
    .requiredOption('-s, --sentiment <s>', 'negative, neutral or positive', oneOf(['negative', 'neutral', 'positive']))
    .requiredOption('-o, --out <file>', 'JSONL file to append to (its reviews count as earlier synthetic for dedup)')
    .option('-r, --rating <stars>', 'star rating 1-5 (must agree with --sentiment)', int('--rating'))
    .option('--product <id>', 'product id or class to draw real reviews from (falls back to --category)')
    .option('--category <name>', 'category (department or class, e.g. Dresses) to draw real reviews from')
    .option(
      '--length <l>',
      'short (15-40 words), medium (40-90) or long (90-160)',
      oneOf(['short', 'medium', 'long']),
      'medium',
    )
    .option(
      '--aspects <list>',
      'comma-separated aspects to mention: battery, fit, delivery, packaging, price, quality, comfort, look, service',
    )
    .option('--persona <text>', "the reviewer's voice (llm generator only)")
    .option(
      '-g, --generator <g>',
      'recombine (no LLM) or llm (llm.url, else the local model)',
      oneOf(['recombine', 'llm']),
      'recombine',
    )
    .option('--seed <n>', 'seed of the first review (review i uses seed + i)', int('--seed'), 1)
    .option(
      '--no-check',
      'skip the production classifier: no label-consistency check, and recombine gates sentences by its word rules only (no classifier reading, no neutral good-point rule), so the same seed gives other text',
    )
    .option(
      '--artifact <file>',
      'the classifier that checks labels (default: the bundled artifacts/reviewlens-fusion.json)',
    )
    .option('--data <dir>', 'the shared data directory (default ../shared/data or REVIEWLENS_SHARED_DATA)')
    .option(
      '--with-photos',
      'give each review a photo of the matching condition (damaged for negative, intact for positive and neutral), ' +
        'written as JPEG to <out name>.photos/ beside --out; each row gets `image` and `photo_recipe`',
    )
    .option(
      '--photo-generator <g>',
      'pair (a real photo from ../shared/data/product-photos, lightly cropped, brightened or blurred; no model) or ' +
        'http (a diffusion server at synthesis.imageUrl: OpenAI-compatible images API or AUTOMATIC1111)',
      oneOf(['pair', 'http']),
      'pair',
    )
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (o: SynthOpts) => {
      const cfg = cliConfig(program, { 'log.level': 'silent' });
      const { analyzerJudge, ASPECTS, checkRequest, LlmGenerator, loadSourceReviews, RecombineGenerator, synthesize } =
        await import('../../synthesis/index.js');
      const aspects = o.aspects
        ?.split(',')
        .map((a) => a.trim().toLowerCase())
        .filter(Boolean);
      const unknown = aspects?.filter((a) => !(a in ASPECTS)) ?? [];
      if (unknown.length) {
        throw new ValidationError(`unknown aspect(s) ${unknown.join(', ')}; known: ${Object.keys(ASPECTS).join(', ')}`);
      }
      const req = {
        count: o.count,
        sentiment: o.sentiment,
        ...(o.rating === undefined ? {} : { rating: o.rating }),
        ...(o.product ? { product: o.product } : {}),
        ...(o.category ? { category: o.category } : {}),
        length: o.length,
        ...(aspects?.length ? { aspects } : {}),
        ...(o.persona ? { persona: o.persona } : {}),
        seed: o.seed,
      };
      checkRequest(req);
      const out = resolve(o.out);
      const earlierLines = existsSync(out)
        ? readFileSync(out, 'utf8')
            .split('\n')
            .filter((l) => l.trim() !== '')
        : [];
      const earlier = earlierLines.map((l, i) => {
        try {
          return String((JSON.parse(l) as { text: string }).text);
        } catch {
          throw new ValidationError(`${out} line ${i + 1} is not a JSON synthetic review; give another --out`);
        }
      });
      const { sharedDataDir } = await import('../../training/datasets.js');
      const dataDir = o.data ? resolve(o.data) : sharedDataDir();
      // The photo generator is set up before any text is made, so a missing server URL or photo set fails at once.
      const photoGen = o.withPhotos ? await photoGenerator(o.photoGenerator, cfg, dataDir) : undefined;
      const corpus = loadSourceReviews(dataDir);
      if (corpus.length === 0) throw new ValidationError('no real reviews found in the shared data (see --data)');

      let judge: import('../../synthesis/index.js').SentimentJudge | undefined;
      if (o.check) {
        const { parseArtifact, loadArtifactEncoders } = await import('../../models/index.js');
        const { BUNDLED_ARTIFACT } = await import('../../server/index.js');
        const { Analyzer } = await import('../../sentiment/index.js');
        const file = resolve(o.artifact ?? BUNDLED_ARTIFACT);
        const artifact = parseArtifact(readFileSync(file), file);
        const encoders = await loadArtifactEncoders(cfg.models, artifact);
        const analyzer = new Analyzer(artifact, encoders, { ...cfg.limits }, false);
        judge = analyzerJudge(analyzer);
      }
      let generator: InstanceType<typeof RecombineGenerator> | InstanceType<typeof LlmGenerator>;
      if (o.generator === 'llm') {
        const { textLlmClient, textLlmStatus } = await import('../../llm/index.js');
        const client = textLlmClient(cfg);
        if (!client) throw new ValidationError(`--generator llm needs an LLM: ${textLlmStatus(cfg).reason}`);
        err(`synth: LLM ${client.model} (${client.baseUrl})`);
        generator = new LlmGenerator(client, corpus);
      } else {
        // The classifier also gates each drawn sentence's polarity (synthesis/polarity.ts).
        generator = new RecombineGenerator(corpus, judge ? { judge } : {});
      }

      try {
        const { reviews, summary } = await synthesize(req, {
          generator,
          corpus,
          earlier,
          ...(judge ? { judge } : {}),
          onProgress: (s) =>
            err(
              `synth: kept ${s.kept}/${s.requested} (tried ${s.tried}; dropped: ${s.dropped.exact + s.dropped.nearReal + s.dropped.nearSynthetic} duplicate, ${s.dropped.labelMismatch} label mismatch, ${s.dropped.failed} failed)`,
            ),
        });
        let rows: Array<Record<string, unknown>> = reviews.map((r) => ({ ...r }));
        let photoSummary: import('../../synthesis/index.js').PhotoSummary | undefined;
        if (photoGen) {
          const { attachPhotos } = await import('../../synthesis/index.js');
          const made = await attachPhotos(reviews, photoGen, {
            onPhoto: (done, total) => err(`synth: photos ${done}/${total} (${photoGen.name})`),
          });
          photoSummary = made.summary;
          // Photos first (each written whole, then renamed), the JSONL last: a row never names a missing file.
          const folder = `${basename(out, extname(out))}.photos`;
          if (made.photos.size > 0) mkdirSync(join(dirname(out), folder), { recursive: true });
          rows = reviews.map((r) => {
            const p = made.photos.get(r.id);
            if (!p) return { ...r, image: null, photo_recipe: null };
            const rel = `${folder}/${r.id.replace(/^synth:/, '')}.jpg`;
            const file = join(dirname(out), rel);
            writeFileSync(`${file}.tmp-${process.pid}`, p.jpeg);
            renameSync(`${file}.tmp-${process.pid}`, file);
            return { ...r, image: rel, photo_recipe: { ...p.recipe, sha256: p.sha256 } };
          });
        }
        const tmp = `${out}.tmp-${process.pid}`;
        writeFileSync(tmp, [...earlierLines, ...rows.map((r) => JSON.stringify(r))].map((l) => `${l}\n`).join(''));
        renameSync(tmp, out);
        const result = { out, ...summary, ...(photoSummary ? { photos: photoSummary } : {}) };
        if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          process.stdout.write(
            `${summary.kept} synthetic ${o.sentiment} review(s) (${summary.generator}) appended to ${out} in ${summary.seconds} s ` +
              `(${summary.perMinute}/min); dropped ${summary.dropped.exact} exact and ${summary.dropped.nearReal + summary.dropped.nearSynthetic} near duplicates, ` +
              `${summary.dropped.labelMismatch} label mismatches, ${summary.dropped.failed} failures${summary.stoppedEarly ? `; stopped early: ${summary.stoppedEarly}` : ''}\n`,
          );
          if (photoSummary) {
            process.stdout.write(
              `${photoSummary.made} photo(s) (${photoSummary.generator}) in ${join(dirname(out), `${basename(out, extname(out))}.photos`)}` +
                `${photoSummary.failed ? `; ${photoSummary.failed} failed: ${photoSummary.failures[0]}` : ''}` +
                `${photoSummary.stoppedEarly ? `; stopped early: ${photoSummary.stoppedEarly}` : ''}\n`,
            );
          }
        }
        if (summary.kept < req.count || (photoSummary && photoSummary.made < reviews.length)) process.exitCode = 1;
      } finally {
        const { disposeLocalModels } = await import('../../llm/index.js');
        await disposeLocalModels();
      }
    });
  // `synth validate`: the required options above are not required of the subcommand (commander checks ancestors).
  synth.hook('preSubcommand', () => {
    for (const opt of synth.options) opt.makeOptionMandatory(false);
  });
  registerSynthValidateCommand(synth, program);
}

/**
 * The photo generator of `--photo-generator`: `pair` over ../shared/data/product-photos (a clear error when the
 * set is missing), or `http` from `synthesis.imageUrl` (a clear error when it is empty).
 */
async function photoGenerator(
  kind: 'pair' | 'http',
  cfg: ReturnType<typeof cliConfig>,
  dataDir: string,
): Promise<import('../../synthesis/index.js').ImageGenerator> {
  const photos = await import('../../synthesis/photos/index.js');
  if (kind === 'http') return photos.httpImageGenerator(cfg);
  let pool: import('../../synthesis/index.js').PairablePhoto[];
  try {
    pool = photos.productPhotoPool(dataDir);
  } catch (e) {
    throw new ValidationError(
      `--with-photos: cannot read the product photos in ${join(dataDir, 'product-photos')} (see --data): ${(e as Error).message}`,
    );
  }
  return new photos.RealPhotoPairing(pool, { relativeTo: dataDir, maxPixels: cfg.limits.maxImagePixels });
}
