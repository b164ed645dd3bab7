import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../core/config.js';
import { ValidationError } from '../../core/errors.js';
import type { Sentiment } from '../../core/types.js';
import type { QueueItem, QueueStatus, SubmitAction } from '../../labeling/index.js';
import type { Encoders } from '../../models/index.js';
import type { BlobStore, MetadataStore } from '../../storage/index.js';
import type { ModelRegistry } from '../../training/index.js';
import { table } from '../format.js';
import { cliConfig, withMetadata } from '../shared.js';

const say = (m: string): void => {
  process.stdout.write(`${m}\n`);
};
const note = (m: string) => process.stderr.write(`${m}\n`);
const STATUSES = ['pending', 'labelled', 'skipped', 'discarded', 'all'];

const short = (t: string, n = 70) => {
  const s = t.replace(/\s+/g, ' ');
  return s.length > n ? `${s.slice(0, n - 3)}...` : s;
};

function printItem(i: QueueItem): void {
  say(
    `item ${i.id} (review ${i.review_id.slice(0, 12)}, priority ${i.priority}, ${i.status}${i.assignee ? `, assigned to ${i.assignee}` : ''})`,
  );
  say(`  text: ${i.text}`);
  if (i.photo_url) say(`  photo: ${i.photo_url}`);
  say(`  suggestion: ${i.suggestion.label} (${i.suggestion.confidence.toFixed(3)})`);
  say(`  votes: ${i.votes.map((v) => `${v.labeler} ${v.label} ${v.confidence.toFixed(3)}`).join('; ')}`);
  if (i.human_label) say(`  human label: ${i.human_label} by ${i.labelled_by} at ${i.labelled_at}`);
}

function num(v: string, name: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new ValidationError(`--${name} must be a number from ${min} to ${max}`, name);
  return n;
}

/** The stores, the registry and (on first use) the production model's encoders, closed after `fn`. */
async function withServices<T>(
  program: Command,
  fn: (s: {
    config: Config;
    meta: MetadataStore;
    blobs: BlobStore;
    registry: ModelRegistry;
    encoders(): Promise<Encoders>;
  }) => Promise<T>,
): Promise<T> {
  const { openBlobStore } = await import('../../storage/index.js');
  const { ModelRegistry } = await import('../../training/index.js');
  const { loadArtifactEncoders } = await import('../../models/index.js');
  const { BUNDLED_ARTIFACT } = await import('../../server/index.js');
  return withMetadata(program, async (meta, config) => {
    const blobs = openBlobStore(config);
    const registry = new ModelRegistry(meta, blobs);
    await registry.bootstrap(BUNDLED_ARTIFACT);
    let enc: Encoders | undefined;
    try {
      return await fn({
        config,
        meta,
        blobs,
        registry,
        async encoders() {
          if (!enc) {
            const a = await registry.production();
            note(`loading encoders for ${a.name}@${a.version}`);
            enc = await loadArtifactEncoders(config.models, a);
          }
          return enc;
        },
      });
    } finally {
      await enc?.text.dispose();
      await enc?.image.dispose();
    }
  });
}

type Services = Parameters<Parameters<typeof withServices>[1]>[0];

/** Labels the unlabelled reviews (all, or of one source) and prints the summary; exit code 1 when some failed. */
async function runLabeling(s: Services, o: { limit?: number; source?: string; json?: boolean }): Promise<void> {
  const { buildEnsemble, buildLabelers, labelUnlabelled } = await import('../../labeling/index.js');
  const { labelers, model } = await buildLabelers(s.config, s);
  const ensemble = buildEnsemble(s.config, labelers, (m) => note(`warning: ${m}`));
  note(
    `labelers: ${labelers.map((l) => l.name).join(', ')} (classifier ${model}); calibration: ${ensemble.calibration.method}`,
  );
  const thresholds = { accept: s.config.labeling.acceptThreshold, review: s.config.labeling.reviewThreshold };
  const r = await labelUnlabelled(s.meta, s.blobs, ensemble, {
    thresholds,
    batchSize: s.config.labeling.batchSize,
    uncertaintyWeight: s.config.labeling.uncertaintyWeight,
    uncertainty: s.config.labeling.uncertainty,
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    ...(o.source !== undefined ? { source: o.source } : {}),
    progress: (done, total) => {
      note(`  ${done}/${total} reviews asked`);
    },
    log: note,
  });
  if (o.json) say(JSON.stringify({ thresholds, ...r }, null, 2));
  else {
    say(
      `${r.considered} reviews: ${r.accepted} auto-labelled (>= ${thresholds.accept}), ${r.queued} to the review queue, ` +
        `${r.discarded} discarded (< ${thresholds.review}), ${r.failed} failed`,
    );
    for (const [l, n] of Object.entries(r.labelerErrors))
      say(`  labeler ${l} failed on ${n} reviews (the others decided)`);
  }
  if (r.failed > 0) process.exitCode = 1;
}

/** `reviewlens label ...`: the labeling agent and the human review queue from the terminal. */
export function registerLabelCommands(program: Command): void {
  const label = program
    .command('label')
    .description(
      'the labeling agent: auto-label reviews with a confidence gate, work the human review queue, calibrate, find wrong labels',
    );

  label
    .command('import')
    .summary('import unlabelled reviews with their photos (the pool the agent labels)')
    .description(
      'import reviews (JSON Lines: text, image) with their photos as unlabelled reviews, the pool the agent labels. ' +
        'Demo queue in one command: label import --data ../shared/data/mvsa-single/unlabeled.jsonl --images ../shared/data/mvsa-single/images --run',
    )
    .requiredOption('-d, --data <file>', 'JSON Lines file, e.g. ../shared/data/mvsa-single/unlabeled.jsonl')
    .option(
      '--images <dir>',
      "folder holding the photos named in the file (default: paths relative to the file's folder)",
    )
    .option('--source <name>', 'source recorded on each review', 'dataset:mvsa-unlabeled')
    .option(
      '--run',
      'then label the unlabelled reviews of this source and fill the review queue (as `label run --source`)',
    )
    .action(async (o: { data: string; images?: string; source: string; run?: boolean }) => {
      const { importReviewsJsonl } = await import('../../labeling/index.js');
      await withServices(program, async (s) => {
        const r = await importReviewsJsonl(s.meta, s.blobs, {
          data: resolve(o.data),
          ...(o.images ? { images: resolve(o.images) } : {}),
          source: o.source,
          log: note,
        });
        for (const k of r.skipped.slice(0, 10)) say(`  line ${k.line} skipped: ${k.reason}`);
        for (const k of r.photoMissing.slice(0, 10)) say(`  line ${k.line} imported without its photo: ${k.reason}`);
        say(
          `${o.data}: ${r.rows} rows, ${r.inserted} new reviews (${r.withPhoto} with a photo), ${r.duplicates} already stored, ${r.repeated} repeated in the file, ` +
            `${r.skipped.length} skipped, ${r.photoMissing.length} without their photo; source ${o.source}`,
        );
        if (o.run) await runLabeling(s, { source: o.source });
        else if (r.inserted > 0) say('next: `reviewlens label run` labels them and fills the review queue');
      });
    });

  label
    .command('run')
    .summary('label the unlabelled reviews: gate, auto-accept, queue for humans')
    .description(
      'label the unlabelled reviews in the store: classifier + lexicon (+ LLM when llm.url is set), gate by calibrated ' +
        'confidence (labeling.acceptThreshold / reviewThreshold), queue the uncertain ones for humans. Safe to re-run.',
    )
    .option('--limit <n>', 'label at most this many reviews')
    .option('--source <name>', 'only reviews of this source')
    .option('--json', 'print the summary as JSON')
    .action(async (o: { limit?: string; source?: string; json?: boolean }) => {
      await withServices(program, (s) =>
        runLabeling(s, {
          ...(o.limit ? { limit: num(o.limit, 'limit', 1, 1e9) } : {}),
          ...(o.source ? { source: o.source } : {}),
          ...(o.json ? { json: true } : {}),
        }),
      );
    });

  label
    .command('queue')
    .description('list the human review queue (pending items highest priority first) and its counts')
    .option('-s, --status <status>', `one of ${STATUSES.join(', ')}`, 'pending')
    .option('-n, --limit <n>', 'items to show', '20')
    .option('--offset <n>', 'items to skip', '0')
    .option('--stats', 'show work per labeller and agreement instead')
    .option('--json', 'print JSON (the same answer as GET /api/queue or /api/queue/stats)')
    .action(async (o: { status: string; limit: string; offset: string; stats?: boolean; json?: boolean }) => {
      if (!STATUSES.includes(o.status))
        throw new ValidationError(`--status must be one of ${STATUSES.join(', ')}`, 'status');
      const { LabelQueue } = await import('../../labeling/index.js');
      await withMetadata(program, async (meta) => {
        const q = new LabelQueue(meta);
        if (o.stats) {
          const s = await q.stats();
          if (o.json) return say(JSON.stringify(s, null, 2));
          say(
            `counts: ${Object.entries(s.counts)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}`,
          );
          for (const line of table([
            ['labeller', 'labelled', 'skipped'],
            ...s.by_labeller.map((b) => [b.labeller, String(b.labelled), String(b.skipped)]),
          ]))
            say(line);
          const f = (v: number | null) => (v === null ? '-' : v.toFixed(3));
          say(
            `agreement: human-model ${f(s.agreement.human_model)}, human-human ${f(s.agreement.human_human)} (${s.agreement.pairs} pairs)`,
          );
          return;
        }
        const r = await q.list({
          status: o.status as QueueStatus | 'all',
          limit: num(o.limit, 'limit', 1, 500),
          offset: num(o.offset, 'offset', 0, 1e9),
        });
        if (o.json) return say(JSON.stringify(r, null, 2));
        say(
          `counts: ${Object.entries(r.counts)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}; showing ${r.items.length} of ${r.total} ${o.status}`,
        );
        if (r.items.length === 0) {
          if (r.total === 0 && o.status === 'pending')
            say('the queue is empty: `reviewlens label import` then `reviewlens label run` fill it');
          return;
        }
        const rows = r.items.map((i) => [
          String(i.id),
          i.priority.toFixed(3),
          `${i.suggestion.label} ${i.suggestion.confidence.toFixed(2)}`,
          i.status,
          i.assignee ?? '-',
          i.human_label ?? '-',
          short(i.text),
        ]);
        for (const line of table([['id', 'priority', 'suggestion', 'status', 'assignee', 'human', 'text'], ...rows]))
          say(line);
      });
    });

  label
    .command('next')
    .description('claim the next item to label (highest priority, unassigned or already yours) and show it')
    .requiredOption('--as <name>', 'your name, recorded as the assignee and in the audit trail')
    .option('--json', 'print JSON (the same answer as POST /api/queue/next)')
    .action(async (o: { as: string; json?: boolean }) => {
      const { LabelQueue } = await import('../../labeling/index.js');
      await withMetadata(program, async (meta) => {
        const r = await new LabelQueue(meta).next(o.as);
        if (o.json) return say(JSON.stringify(r, null, 2));
        if (!r.item) return say(`nothing left to label (${r.progress.done}/${r.progress.total} done)`);
        printItem(r.item);
        say(`progress: ${r.progress.done}/${r.progress.total}`);
        say(
          `answer: reviewlens label submit ${r.item.id} --as ${o.as} --action accept|correct|skip [--label positive|negative|neutral]`,
        );
      });
    });

  label
    .command('submit <id>')
    .description('answer a queue item: accept the suggestion, correct it with --label, or skip it')
    .requiredOption('--as <name>', 'your name, recorded with the label and in the audit trail')
    .requiredOption('-a, --action <action>', 'accept, correct or skip')
    .option('-l, --label <label>', 'positive, negative or neutral (required with --action correct)')
    .option('--json', 'print JSON (the same answer as POST /api/queue/:id/submit)')
    .action(async (id: string, o: { as: string; action: string; label?: string; json?: boolean }) => {
      if (!/^[0-9]{1,9}$/.test(id)) throw new ValidationError('the item id must be a number', 'id');
      if (!['accept', 'correct', 'skip'].includes(o.action))
        throw new ValidationError('--action must be accept, correct or skip', 'action');
      const { LabelQueue } = await import('../../labeling/index.js');
      await withMetadata(program, async (meta) => {
        const item = await new LabelQueue(meta).submit(
          Number(id),
          o.as,
          o.action as SubmitAction,
          o.action === 'skip' ? undefined : o.label,
        );
        if (o.json) return say(JSON.stringify({ item }, null, 2));
        say(
          item.status === 'skipped'
            ? `item ${item.id} skipped`
            : `item ${item.id}: review ${item.review_id.slice(0, 12)} labelled ${item.human_label} by ${item.labelled_by}`,
        );
      });
    });

  label
    .command('calibrate')
    .summary('fit the confidence calibration and propose thresholds for a target precision')
    .description(
      "fit the ensemble's calibration (temperature + isotonic) on labelled reviews, show the reliability table and ECE,\n" +
        'and propose gating thresholds reaching a target precision with the coverage they give. Default data: the ' +
        'MVSA-Single test split (data/splits/mvsa-single.json), which the bundled production model never trained on.',
    )
    .option(
      '-d, --data <file>',
      'labelled reviews instead (.jsonl/.csv/.tsv with text, image, label) the production model did not train on',
    )
    .option('--images <dir>', 'folder that relative image paths in --data are resolved against')
    .option('-p, --target-precision <p>', 'precision wanted for auto-accepted labels', '0.9')
    .option('--limit <n>', 'use at most this many labelled reviews')
    .option('--no-save', 'only report; do not write the calibration file')
    .action(async (o: { data?: string; images?: string; targetPrecision: string; limit?: string; save: boolean }) => {
      const target = num(o.targetPrecision, 'target-precision', 0.34, 1);
      const lab = await import('../../labeling/index.js');
      const tr = await import('../../training/index.js');
      let examples: Array<{ id: string; text: string; image?: string; label: Sentiment }>;
      let source: string;
      if (o.data) {
        const { examples: ex, report } = tr.loadUserData(resolve(o.data), o.images);
        say(`${o.data}: ${report.rows} rows, ${report.used} used, ${report.skipped.length} skipped`);
        examples = ex;
        source = `file:${o.data}`;
      } else {
        const all = tr.loadMvsa();
        const test = new Set(tr.mvsaSplit(all).test);
        examples = all.filter((e) => test.has(e.id));
        source = 'mvsa-single test split';
      }
      if (o.limit) examples = examples.slice(0, num(o.limit, 'limit', 40, 1e9));
      await withServices(program, async (s) => {
        const { labelers, model } = await lab.buildLabelers(s.config, s);
        const ensemble = new lab.Ensemble(labelers, { labelerTimeoutMs: s.config.labeling.labelerTimeoutMs });
        note(
          `labelers: ${labelers.map((l) => l.name).join(', ')} (classifier ${model}); ${examples.length} labelled reviews from ${source}`,
        );
        const inputs = [];
        for (const e of examples) {
          const photo =
            e.image && !/^https?:/.test(e.image) ? await readFile(e.image).catch(() => undefined) : undefined;
          inputs.push({ id: e.id, text: e.text, label: e.label, ...(photo ? { photo } : {}) });
        }
        const seed = { accept: s.config.labeling.acceptThreshold, review: s.config.labeling.reviewThreshold };
        const r = await lab.calibrateOnLabelled(ensemble, inputs, {
          targetPrecision: target,
          seedThresholds: seed,
          source: `${source} (${model})`,
          progress: (d, t) => note(`  labelled ${d}/${t}`),
        });
        const f = (v: number | null) => (v === null ? '-' : v.toFixed(3));
        const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
        say(`\n${r.n} labelled reviews; ensemble accuracy ${f(r.accuracy)}; temperature ${r.calibration.temperature}`);
        say(
          `ECE (held out, 2-fold cross-fitted): uncalibrated ${f(r.heldOut.eceBefore)}, calibrated ${f(r.heldOut.eceAfter)}\n`,
        );
        const rows = r.heldOut.before.map((b, i) => {
          const a = r.heldOut.after[i] as (typeof r.heldOut.after)[number];
          return [
            `${b.lower.toFixed(1)}-${b.upper.toFixed(1)}`,
            String(b.count),
            b.count ? f(b.accuracy) : '-',
            String(a.count),
            a.count ? f(a.accuracy) : '-',
          ];
        });
        for (const line of table([['confidence', 'n raw', 'accuracy', 'n calibrated', 'accuracy'], ...rows])) say(line);
        const g = (name: string, t: { accept: number; review: number }, x: typeof r.heldOut.seed) =>
          say(
            `${name}: accept >= ${t.accept.toFixed(3)}, review >= ${t.review.toFixed(3)} -> coverage ${pct(x.coverage)}, ` +
              `precision ${f(x.precision)}, queued ${pct(x.queued / x.n)}, discarded ${pct(x.discarded / x.n)} (held out)`,
          );
        say('');
        g('configured thresholds, uncalibrated', seed, r.heldOut.seedUncalibrated);
        g('configured thresholds', seed, r.heldOut.seed);
        g(`proposed for precision ${target}`, r.proposed, r.heldOut.proposed);
        if (!r.proposed.reached)
          say(`no threshold reaches precision ${target} on this data: nothing would be auto-accepted`);
        say(
          `\nproposed thresholds (fitted on all ${r.n}): REVIEWLENS_LABEL_ACCEPT=${r.proposed.accept.toFixed(3)} ` +
            `REVIEWLENS_LABEL_REVIEW=${r.proposed.review.toFixed(3)} (coverage ${pct(r.proposed.coverage)}, precision ${f(r.proposed.precision)} on the same data)`,
        );
        for (const [l, n] of Object.entries(r.labelerErrors)) say(`labeler ${l} failed on ${n} reviews`);
        if (o.save) {
          const file = lab.saveCalibration(s.config, {
            ...r.calibration,
            labelers: labelers.map((l) => l.name),
            model,
          });
          say(`calibration written to ${file}; \`label run\` and the label step use it`);
        }
      });
    });

  label
    .command('noise')
    .summary('list likely wrong labels in a labelled file (confident learning)')
    .description(
      'list likely wrong labels in a labelled file (confident learning: out-of-fold probabilities from a head on ' +
        'MiniLM embeddings + lexicon features, per-class thresholds), most suspicious first',
    )
    .requiredOption(
      '-d, --data <file>',
      'labelled reviews (.jsonl/.csv/.tsv with text, label), e.g. ../shared/data/mvsa-single/labeled.jsonl',
    )
    .option('-n, --top <n>', 'how many to list', '20')
    .option('--folds <n>', 'folds for the out-of-fold probabilities', '5')
    .option('--cache <dir>', 'feature cache directory (encoder outputs, reused across runs)', '.cache/features')
    .option('--json', 'print all flagged items as JSON')
    .action(async (o: { data: string; top: string; folds: string; cache: string; json?: boolean }) => {
      const cfg = cliConfig(program);
      const { loadUserData } = await import('../../training/index.js');
      const lab = await import('../../labeling/index.js');
      const { SENTIMENTS } = await import('../../core/types.js');
      const { examples, report } = loadUserData(resolve(o.data));
      note(`${o.data}: ${report.rows} rows, ${report.used} used, ${report.skipped.length} skipped`);
      if (examples.length < 30)
        throw new ValidationError(`--data needs at least 30 labelled rows; it has ${examples.length}`, 'data');
      const { features } = await lab.labelingFeatures(
        examples.map((e) => e.text),
        { modelsDir: cfg.models.dir, cacheDir: resolve(o.cache), threads: cfg.models.threads, log: note },
      );
      const y = examples.map((e) => SENTIMENTS.indexOf(e.label));
      const probs = lab.outOfFoldProbs(features, y, { folds: num(o.folds, 'folds', 2, 20) });
      const { thresholds, issues } = lab.findLabelIssues(probs, y);
      const rows = issues.map((i) => ({
        id: (examples[i.index] as (typeof examples)[number]).id,
        text: (examples[i.index] as (typeof examples)[number]).text,
        given: SENTIMENTS[i.given],
        suggested: SENTIMENTS[i.suggested],
        given_probability: Number(i.selfConfidence.toFixed(4)),
        suggested_probability: Number(i.suggestedConfidence.toFixed(4)),
      }));
      if (o.json)
        return say(JSON.stringify({ thresholds, flagged: rows.length, n: examples.length, issues: rows }, null, 2));
      say(
        `${rows.length} of ${examples.length} labels (${((100 * rows.length) / examples.length).toFixed(1)}%) look wrong; ` +
          `per-class thresholds ${SENTIMENTS.map((s, c) => `${s} ${(thresholds[c] as number).toFixed(3)}`).join(', ')}`,
      );
      const top = rows.slice(0, num(o.top, 'top', 1, 1e6));
      for (const line of table([
        ['id', 'given', 'p(given)', 'suggested', 'p(sugg.)', 'text'],
        ...top.map((r) => [
          r.id,
          r.given ?? '',
          r.given_probability.toFixed(3),
          r.suggested ?? '',
          r.suggested_probability.toFixed(3),
          short(r.text, 60),
        ]),
      ]))
        say(line);
    });
}
