/**
 * The local LLM (issue 16): TinyLlama-1.1B-Chat IQ2_XXS GGUF on node-llama-cpp 3.21.1, CPU only.
 *
 *   npm run bench:llm-local -- [--n 500] [--deadline-min 60] [--threads 1] [--phase speed|labels|votes|report|all]
 *
 * 1. speed: prompt-processing and generation tokens/s with 1 and 2 llama.cpp threads (raw sequence evaluation,
 *    64 prompt tokens then 32 generated, 3 repetitions each, median), and the resident memory after loading.
 * 2. labels: the labeler's zero-shot prompt (src/labeling/llm-labeler.ts) with its answer schema as a grammar,
 *    on a seeded sample of `--n` reviews of the star-balanced e-commerce test split (`loadEcommerce().test`,
 *    3 classes from stars; text cut to 500 characters to bound the prompt): one answer each, no retry. Counts
 *    answers that parse as JSON and that match the zod schema (the grammar's job), and scores the labels
 *    (accuracy, macro-F1). Answers are kept in `data/bench/llm-local-answers.jsonl` (in the repository, so a run
 *    that takes longer than a working session resumes in the next; `--answers FILE` to keep them elsewhere);
 *    `--shard i/n` asks only the reviews whose sample position is i modulo n (two processes of one thread each
 *    share the file: one line per answer, appended);
 *    `--deadline-min` stops asking after that many minutes (n is what was answered, and is reported).
 * 3. votes: the production classifier (text only) and the lexicon on the same reviews, pooled as the labeling
 *    ensemble pools them (DEFAULT_WEIGHTS, no calibration), with and without the LLM's vote.
 * 4. report: rewrites the `llm-local` section of docs/benchmarks.md from what 1-3 stored.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '../src/core/index.js';
import { seededRandom, shuffleInPlace } from '../src/core/random.js';
import { SENTIMENTS, type Sentiment } from '../src/core/types.js';
import { classificationMetrics, machineLine, writeSection } from '../src/evaluation/index.js';
import {
  DEFAULT_WEIGHTS,
  lexiconLabel,
  llmLabelMessages,
  llmLabelSchema,
  poolVotes,
  type Vote,
} from '../src/labeling/index.js';
import {
  answerJsonSchema,
  disposeLocalModels,
  LocalLlamaClient,
  localModelPath,
  parseJsonAnswer,
} from '../src/llm/index.js';
import { loadArtifactEncoders, parseArtifact } from '../src/models/index.js';
import { Analyzer } from '../src/sentiment/index.js';
import { BUNDLED_ARTIFACT } from '../src/server/index.js';
import { loadEcommerce } from '../src/training/ecommerce.js';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const N = Number(arg('--n') ?? 500);
const DEADLINE_MIN = Number(arg('--deadline-min') ?? 0);
const THREADS = Number(arg('--threads') ?? 1);
const PHASE = arg('--phase') ?? 'all';
const MAX_CHARS = 500;
const log = (m: string) => process.stderr.write(`${m}\n`);

const cfg = loadConfig();
const MODEL = resolve(localModelPath(cfg));
const OUT_DIR = resolve(cfg.dataDir, 'bench');
const ANSWERS = resolve(arg('--answers') ?? 'data/bench/llm-local-answers.jsonl');
const [SHARD, SHARDS] = (arg('--shard') ?? '0/1').split('/').map(Number) as [number, number];
if (!(SHARDS >= 1 && SHARD >= 0 && SHARD < SHARDS)) throw new Error('--shard must be i/n with 0 <= i < n');
const SPEED = join(OUT_DIR, 'llm-local-speed.json');
const VOTES = join(OUT_DIR, 'llm-local-votes.json');
mkdirSync(OUT_DIR, { recursive: true });
mkdirSync(dirname(ANSWERS), { recursive: true });

interface Answer {
  id: string;
  gold: Sentiment;
  raw: string;
  parses: boolean;
  valid: boolean;
  label: Sentiment | null;
  confidence: number | null;
  ms: number;
  completionTokens: number;
  finish: string | null;
  threads: number;
}

function sample() {
  const test = loadEcommerce().test;
  const items = shuffleInPlace(
    [...test].sort((a, b) => a.id.localeCompare(b.id)),
    seededRandom(16),
  ).slice(0, N);
  return items.map((e) => ({ id: e.id, text: e.text.slice(0, MAX_CHARS), gold: e.label as Sentiment }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function speed(): Promise<void> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: LlamaLogLevel.error });
  const rssBefore = process.memoryUsage().rss;
  const t0 = Date.now();
  const model = await llama.loadModel({ modelPath: MODEL, gpuLayers: 0 });
  const loadMs = Date.now() - t0;
  const text =
    'I ordered this jacket in medium. The fit is fine but the zipper broke after a week and the seller never answered. ';
  const rows: Array<{ threads: number; promptTokS: number; genTokS: number; runs: number }> = [];
  for (const threads of [1, 2]) {
    const p: number[] = [];
    const g: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const ctx = await model.createContext({ contextSize: 512, threads, batchSize: 512 });
      const seq = ctx.getSequence();
      const toks = model.tokenize(text.repeat(3)).slice(0, 64);
      let t = performance.now();
      const it = seq.evaluate(toks, { temperature: 0 });
      await it.next();
      p.push((toks.length / (performance.now() - t)) * 1000);
      t = performance.now();
      let n = 0;
      for (; n < 32; n++) if ((await it.next()).done) break;
      g.push((n / (performance.now() - t)) * 1000);
      await it.return?.(undefined);
      await ctx.dispose();
    }
    rows.push({ threads, promptTokS: median(p), genTokS: median(g), runs: 3 });
    log(`threads ${threads}: prompt ${median(p).toFixed(1)} tok/s, generation ${median(g).toFixed(2)} tok/s`);
  }
  const rssLoaded = process.memoryUsage().rss;
  writeFileSync(
    SPEED,
    JSON.stringify({ loadMs, rssBeforeMB: rssBefore / 1e6, rssLoadedMB: rssLoaded / 1e6, rows, at: machineLine() }),
  );
  await model.dispose();
  await llama.dispose();
}

function readAnswers(): Answer[] {
  if (!existsSync(ANSWERS)) return [];
  return readFileSync(ANSWERS, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Answer);
}

async function labels(): Promise<void> {
  const items = sample();
  const done = new Set(readAnswers().map((a) => a.id));
  const todo = items.filter((e, i) => i % SHARDS === SHARD && !done.has(e.id));
  log(`labels: ${done.size} answered before, ${todo.length} to ask (threads ${THREADS})`);
  const client = new LocalLlamaClient({ modelPath: MODEL, threads: THREADS, timeoutMs: 300_000 });
  const jsonSchema = answerJsonSchema(llmLabelSchema);
  const started = Date.now();
  for (const [i, e] of todo.entries()) {
    if (DEADLINE_MIN > 0 && Date.now() - started > DEADLINE_MIN * 60_000) {
      log(`labels: deadline of ${DEADLINE_MIN} min reached after ${i} answers`);
      break;
    }
    const t = performance.now();
    const res = await client.complete({
      messages: llmLabelMessages(e.text),
      json: true,
      ...(jsonSchema ? { jsonSchema } : {}),
      temperature: 0,
      maxTokens: 60,
    });
    const ms = performance.now() - t;
    const parsed = parseJsonAnswer(res.content);
    const checked = parsed.ok ? llmLabelSchema.safeParse(parsed.value) : undefined;
    const a: Answer = {
      id: e.id,
      gold: e.gold,
      raw: res.content,
      parses: parsed.ok,
      valid: checked?.success ?? false,
      label: checked?.success ? checked.data.label : null,
      confidence: checked?.success ? checked.data.confidence : null,
      ms: Math.round(ms),
      completionTokens: await client.countTokens(res.content),
      finish: res.finishReason,
      threads: THREADS,
    };
    writeFileSync(ANSWERS, `${JSON.stringify(a)}\n`, { flag: 'a' });
    if ((i + 1) % 10 === 0) log(`labels: ${done.size + i + 1}/${items.length} (${Math.round(ms)} ms the last)`);
  }
  const rss = process.resourceUsage().maxRSS / 1024;
  const prev = existsSync(SPEED) ? JSON.parse(readFileSync(SPEED, 'utf8')) : {};
  writeFileSync(SPEED, JSON.stringify({ ...prev, labelsPeakRssMB: Math.max(rss, prev.labelsPeakRssMB ?? 0) }));
  await disposeLocalModels();
}

async function votes(): Promise<void> {
  const answers = readAnswers();
  const byId = new Map(sample().map((e) => [e.id, e]));
  const artifact = parseArtifact(readFileSync(BUNDLED_ARTIFACT), BUNDLED_ARTIFACT);
  const enc = await loadArtifactEncoders(cfg.models, artifact);
  const analyzer = new Analyzer(artifact, enc, { ...cfg.limits }, false);
  const rows: Array<{ id: string; classifier: number[]; lexicon: number[] }> = [];
  for (const a of answers) {
    const e = byId.get(a.id);
    if (!e) continue;
    const an = await analyzer.analyze({ text: e.text });
    const lx = lexiconLabel(e.text);
    const p = lx.probs ?? { negative: 1 / 3, neutral: 1 / 3, positive: 1 / 3 };
    rows.push({
      id: a.id,
      classifier: [an.scores.negative, an.scores.neutral, an.scores.positive],
      lexicon: [p.negative, p.neutral, p.positive],
    });
  }
  writeFileSync(VOTES, JSON.stringify({ artifact: `${artifact.name}@${artifact.version}`, rows }));
}

const f3 = (x: number) => x.toFixed(3);

function report(): void {
  const sp = existsSync(SPEED) ? JSON.parse(readFileSync(SPEED, 'utf8')) : undefined;
  const answers = readAnswers();
  const n = answers.length;
  const parses = answers.filter((a) => a.parses).length;
  const valid = answers.filter((a) => a.valid).length;
  const cut = answers.filter((a) => a.finish === 'length').length;
  const k = SENTIMENTS.length;
  const idx = (s: Sentiment) => SENTIMENTS.indexOf(s);
  const gold = answers.map((a) => idx(a.gold));
  // An answer that does not validate counts as wrong: it is scored as the next class after the gold one.
  const llmPred = answers.map((a) => (a.label ? idx(a.label) : (idx(a.gold) + 1) % k));
  const llm = classificationMetrics(gold, llmPred, k);
  const predCounts = SENTIMENTS.map((s) => answers.filter((a) => a.label === s).length);
  const ms = answers.map((a) => a.ms);
  const toks = answers.reduce((s, a) => s + a.completionTokens, 0);
  const secs = ms.reduce((s, x) => s + x, 0) / 1000;
  const majority = classificationMetrics(
    gold,
    gold.map(() => idx('positive')),
    k,
  );

  let votesBlock = '(votes phase not run)';
  if (existsSync(VOTES)) {
    const v = JSON.parse(readFileSync(VOTES, 'utf8')) as {
      artifact: string;
      rows: Array<{ id: string; classifier: number[]; lexicon: number[] }>;
    };
    const ans = new Map(answers.map((a) => [a.id, a]));
    const rows = v.rows.filter((r) => ans.has(r.id));
    const g = rows.map((r) => idx((ans.get(r.id) as Answer).gold));
    const probsOf = (xs: number[]) => ({
      negative: xs[0] as number,
      neutral: xs[1] as number,
      positive: xs[2] as number,
    });
    const llmVote = (a: Answer) => {
      if (!a.label || a.confidence === null) return { labeler: 'llm', label: null, confidence: 0, error: 'invalid' };
      const rest = (1 - a.confidence) / 2;
      const probs = { negative: rest, neutral: rest, positive: rest };
      probs[a.label] = a.confidence;
      return { labeler: 'llm', label: a.label, confidence: a.confidence, probs };
    };
    const pool = (withLlm: boolean) =>
      rows.map((r) => {
        const votes = [
          { labeler: 'classifier', label: null, confidence: 0, probs: probsOf(r.classifier) },
          { labeler: 'lexicon', label: null, confidence: 0, probs: probsOf(r.lexicon) },
          ...(withLlm ? [llmVote(ans.get(r.id) as Answer)] : []),
        ] as Vote[];
        const z = poolVotes(votes, DEFAULT_WEIGHTS) as Float64Array;
        return z.indexOf(Math.max(...z));
      });
    const argmaxOf = (xs: number[]) => xs.indexOf(Math.max(...xs));
    const cls = classificationMetrics(
      g,
      rows.map((r) => argmaxOf(r.classifier)),
      k,
    );
    const without = classificationMetrics(g, pool(false), k);
    const withLlm = classificationMetrics(g, pool(true), k);
    votesBlock = `| labels from (n = ${rows.length}) | accuracy | macro-F1 |
|---|---|---|
| production classifier alone (\`${v.artifact}\`, text only) | ${f3(cls.accuracy)} | ${f3(cls.macro_f1)} |
| ensemble without the LLM (classifier + lexicon, DEFAULT_WEIGHTS) | ${f3(without.accuracy)} | ${f3(without.macro_f1)} |
| ensemble with the local LLM's vote (weight ${DEFAULT_WEIGHTS.llm}) | ${f3(withLlm.accuracy)} | ${f3(withLlm.macro_f1)} |
| local LLM alone, zero-shot | ${f3(llm.accuracy)} | ${f3(llm.macro_f1)} |`;
  }
  const speedRows = sp?.rows
    ? sp.rows
        .map(
          (r: { threads: number; promptTokS: number; genTokS: number }) =>
            `| ${r.threads} | ${r.promptTokS.toFixed(1)} | ${r.genTokS.toFixed(2)} |`,
        )
        .join('\n')
    : '| (speed phase not run) | | |';
  const md = `## Local LLM

TinyLlama-1.1B-Chat IQ2_XXS (2-bit GGUF) on node-llama-cpp 3.21.1, CPU only (issue 16).

\`npm run bench:llm-local -- --n ${N} --deadline-min ${DEADLINE_MIN || 'none'}\` (bench/llm-local.ts). ${sp?.at ?? machineLine()}.
The load on the machine during each phase is in the note below the section (on 2 cores, other jobs slow every
figure here, 2 threads most).

Speed (raw llama.cpp sequence evaluation: 64 prompt tokens, then 32 generated; median of 3). Model load
${sp ? `${sp.loadMs} ms (mmap)` : '?'}; resident memory ${sp ? `${sp.rssBeforeMB.toFixed(0)} MB before and ${sp.rssLoadedMB.toFixed(0)} MB after loading the model and creating contexts` : '?'};
peak RSS of the labels run (one model, one 2048-token context, Node included): ${sp?.labelsPeakRssMB ? `${sp.labelsPeakRssMB.toFixed(0)} MB` : '?'}.

| threads | prompt tokens/s | generated tokens/s |
|---|---|---|
${speedRows}

Grammar-constrained JSON: the labeler's zero-shot prompt with its zod schema turned into a GBNF grammar
(src/llm/gbnf-schema.ts; the [0, 1] confidence becomes a 21-value grid), one answer per review, no retry, max 60
tokens, threads ${answers[0]?.threads ?? THREADS}, on n = ${n} reviews of the star-balanced e-commerce test split (seeded sample of
\`loadEcommerce().test\`, 3 classes from stars, text cut to ${MAX_CHARS} characters)${n < N ? `; the run asked ${n} of the ${N} planned before its deadline` : ''}.

| | value |
|---|---|
| answers that parse as JSON | ${parses}/${n} (${n ? f3(parses / n) : '-'}) |
| answers that match the schema | ${valid}/${n} (${n ? f3(valid / n) : '-'}) |
| answers cut by the token limit | ${cut} |
| latency per answer, median / p90 | ${n ? `${(median(ms) / 1000).toFixed(1)} s / ${((([...ms].sort((a, b) => a - b)[Math.floor(n * 0.9)] as number) ?? 0) / 1000).toFixed(1)} s` : '-'} |
| generated tokens/s over the run (prompt time included) | ${secs ? (toks / secs).toFixed(2) : '-'} |
| zero-shot accuracy / macro-F1 | ${f3(llm.accuracy)} / ${f3(llm.macro_f1)} |
| labels given (negative / neutral / positive) | ${predCounts.join(' / ')} |
| always "positive", for scale: accuracy / macro-F1 | ${f3(majority.accuracy)} / ${f3(majority.macro_f1)} |

As a labeling vote, on the same reviews:

${votesBlock}

What follows for the defaults: the local LLM serves text tasks when \`llm.url\` is empty (\`llm.local.enabled\`), but
it is **not** a labeling vote by default (\`labeling.useLocalLlm\` false): see the table above for how its vote
compares with the ensemble without it, and it costs seconds a review on 2 cores. Selector discovery with it is
opt-in too (\`ingest.llmSelectorsLocal\`; not measured). Default threads: 1 (\`llm.local.threads\`), from the speed table.`;
  writeSection('llm-local', md);
  log(md);
}

if (PHASE === 'speed' || PHASE === 'all') await speed();
if (PHASE === 'labels' || PHASE === 'all') await labels();
if (PHASE === 'votes' || PHASE === 'all') await votes();
if (PHASE === 'report' || PHASE === 'all' || PHASE === 'votes') report();
