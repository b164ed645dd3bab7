/**
 * Synthetic review text (issue 16): per generator and requested sentiment, how many candidates it took, why the
 * rest were dropped (duplicates, label mismatches read by the production classifier, generator failures), the share
 * of new candidates the classifier read as the sentiment asked for (before the check drops the others), and kept
 * reviews per minute on this machine (wall clock, checks included).
 *
 *   npm run bench:synthesis -- [--n 30] [--llm-n 3] [--llm-threads 1]
 *
 * The recombine generator makes `--n` reviews per sentiment (medium length, all categories); the LLM generator
 * (the local TinyLlama, grammar-constrained JSON) makes `--llm-n` short ones per sentiment (0 skips it). The
 * checker is the bundled production artifact, text only.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { loadConfig } from '../src/core/index.js';
import { SENTIMENTS, type Sentiment } from '../src/core/types.js';
import { machineLine, writeSection } from '../src/evaluation/index.js';
import { disposeLocalModels, LocalLlamaClient, localModelPath, textLlmStatus } from '../src/llm/index.js';
import { loadEncoders, parseArtifact } from '../src/models/index.js';
import { Analyzer } from '../src/sentiment/index.js';
import { BUNDLED_ARTIFACT } from '../src/server/index.js';
import {
  analyzerJudge,
  LlmGenerator,
  loadSourceReviews,
  RecombineGenerator,
  type SyntheticReview,
  type SynthGenerator,
  type SynthSummary,
  synthesize,
} from '../src/synthesis/index.js';
import { sharedDataDir } from '../src/training/datasets.js';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const N = Number(arg('--n') ?? 30);
const LLM_N = Number(arg('--llm-n') ?? 3);
const LLM_THREADS = Number(arg('--llm-threads') ?? 1);
const log = (m: string) => process.stderr.write(`${m}\n`);

const cfg = loadConfig();
const corpus = loadSourceReviews(sharedDataDir());
const artifact = parseArtifact(readFileSync(BUNDLED_ARTIFACT), BUNDLED_ARTIFACT);
const enc = await loadEncoders({ modelsDir: cfg.models.dir, threads: cfg.models.threads, ...artifact.encoders });
const analyzer = new Analyzer(artifact, enc, { ...cfg.limits }, false);
const judge = analyzerJudge(analyzer);

interface Row {
  generator: string;
  sentiment: Sentiment;
  summary: SynthSummary;
  samples: SyntheticReview[];
}
const rows: Row[] = [];

/** 1-minute load averages sampled before each generator run and after the last (the box's business while timing). */
const loads: number[] = [];
async function run(gen: SynthGenerator, n: number, length: 'short' | 'medium'): Promise<void> {
  for (const sentiment of SENTIMENTS) {
    loads.push(loadavg()[0] as number);
    const { reviews, summary } = await synthesize(
      { count: n, sentiment, length, seed: 1000 },
      { generator: gen, corpus, judge, maxTries: n * 6 },
    );
    log(
      `${gen.name} ${sentiment}: kept ${summary.kept}/${n}, tried ${summary.tried}, ${JSON.stringify(summary.dropped)}, ${summary.perMinute}/min`,
    );
    rows.push({ generator: gen.name, sentiment, summary, samples: reviews.slice(0, 1) });
  }
}

await run(new RecombineGenerator(corpus, { judge }), N, 'medium');
const llmNote = textLlmStatus(cfg);
if (LLM_N > 0 && llmNote.provider === 'local') {
  const client = new LocalLlamaClient({ modelPath: localModelPath(cfg), threads: LLM_THREADS, timeoutMs: 600_000 });
  await run(new LlmGenerator(client, corpus), LLM_N, 'short');
  await disposeLocalModels();
}

const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(0)}%` : '-');
const table = rows
  .map((r) => {
    const s = r.summary;
    const dup = s.dropped.exact + s.dropped.nearReal + s.dropped.nearSynthetic;
    const judged = s.kept + s.dropped.labelMismatch;
    return `| ${r.generator} | ${r.sentiment} | ${s.kept}/${s.requested} | ${s.tried} | ${dup} | ${s.dropped.labelMismatch} | ${s.dropped.failed} | ${pct(s.kept, judged)} (${s.kept}/${judged}) | ${s.perMinute} |`;
  })
  .join('\n');
const samples = rows
  .flatMap((r) => r.samples.map((x) => `- ${r.generator}, ${r.sentiment}: "${x.text.slice(0, 300)}"`))
  .join('\n');
loads.push(loadavg()[0] as number);
const maxLoad = Math.max(...loads);
const busy =
  maxLoad > 2.5
    ? ` **The machine was shared** with other jobs (1-minute load average up to ${maxLoad.toFixed(2)} on 2 cores), so the per-minute figures are what a busy box gives.`
    : ` 1-minute load average up to ${maxLoad.toFixed(2)} on 2 cores (this bench's own work included).`;
const md = `## Synthetic review text: generators, label consistency, throughput

\`npm run bench:synthesis -- --n ${N} --llm-n ${LLM_N}\` (bench/synthesis.ts). ${machineLine()}.${busy}
Checker: the bundled production classifier \`${judge.model}\` (text only). Sources: real womens-clothing and MARC
reviews minus the held-out test/val split (${corpus.length} reviews). Recombine: medium length (40-90 words), all
categories; LLM: the local TinyLlama-1.1B-Chat 2-bit, ${LLM_THREADS} thread(s), short (15-40 words)${LLM_N > 0 && llmNote.provider !== 'local' ? ` (not run: ${llmNote.reason})` : ''}.
"Read as asked" is the share of new (non-duplicate) candidates the classifier read as the requested sentiment,
before the check drops the rest; every kept review was read as asked, by construction.

| generator | sentiment | kept | tried | duplicates | label mismatches | failures | read as asked | kept / min |
|---|---|---|---|---|---|---|---|---|
${table}

One kept sample each:

${samples}

How real the kept reviews look to a discriminator: the next section (\`npm run bench:synthesis-validator\`). Not
measured here: whether training with them helps on real held-out data.`;
writeSection('synthesis', md);
log(md);
