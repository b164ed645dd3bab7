/**
 * Negated complaints ("No complaints at all", "the jeans did not shrink"): how the served text answer does where
 * `negatedComplaint` (src/models/review-text.ts) matches, and how much moving it toward positive
 * (NEGATED_COMPLAINT_WEIGHT in src/models/fusion.ts) helps, for weights 0 to 0.3.
 *
 * Data: FDU-MTL's training reviews (14 Amazon product domains, positive / negative, not used to train the shipped
 * model: FDU_TRAIN_SHARE is 0), a seeded sample of BENCH_FDU (default 9000), where the weight is chosen by binary
 * polarity (argmax of negative vs positive); and the e-commerce val split (3 classes), where it is checked. The
 * shipped artifact's text answer with the rule off is the baseline. Paired bootstrap (2000 resamples) of the
 * binary-polarity difference on all sampled FDU reviews.
 *
 *   npm run bench:negated-complaint        (BENCH_FDU=9000; BENCH_CACHE=dir: MiniLM vector cache, default .cache/features)
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, seededRandom, shuffleInPlace } from '../src/core/index.js';
import { classificationMetrics, machineLine, pairedMeanDiff, writeSection } from '../src/evaluation/index.js';
import { NEGATED_COMPLAINT_WEIGHT, towardClass } from '../src/models/fusion.js';
import { FusionModel, loadArtifactEncoders, parseArtifact } from '../src/models/index.js';
import { BUNDLED_ARTIFACT } from '../src/server/index.js';
import { loadEcommerce, loadFdu } from '../src/training/ecommerce.js';
import { FeatureCache, TEXT_ENCODER, textFeatures } from '../src/training/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const N_FDU = Number(process.env.BENCH_FDU ?? 9000);
const WEIGHTS = [0, 0.1, 0.15, 0.2, 0.25, 0.3];
const log = (m: string) => process.stderr.write(`${m}\n`);
const cfg = loadConfig({ cwd: ROOT });
const artifact = parseArtifact(readFileSync(BUNDLED_ARTIFACT), BUNDLED_ARTIFACT);
const enc = await loadArtifactEncoders(cfg.models, artifact);
const fusion = new FusionModel(artifact.components, enc.words ? { words: enc.words } : {});
const cache = new FeatureCache(resolve(process.env.BENCH_CACHE ?? join(ROOT, '.cache', 'features')), TEXT_ENCODER, 384);

interface Row {
  label: number;
  /** The served text answer without the rule (a stated rating still applies), [neg, neu, pos]. */
  base: Float64Array;
  matches: boolean;
}
const CLASSES = ['negative', 'neutral', 'positive'];
async function rows(set: readonly { text: string; label?: string | null }[]): Promise<Row[]> {
  const vecs = await textFeatures(
    enc.text,
    cache,
    set.map((r) => r.text),
    log,
  );
  return set.map((r, i) => {
    const out = fusion.predict(r.text, vecs[i] as Float32Array);
    // predict applies the rule; undo it by recomputing the answer without it.
    const base = out.negatedComplaint ? (fusion.textAnswer(out.parts) as Float64Array) : out.text;
    return { label: CLASSES.indexOf(r.label as string), base, matches: out.negatedComplaint !== undefined };
  });
}

const rand = seededRandom(3);
const fduAll = loadFdu('train').filter((r) => r.text.length < 3000);
shuffleInPlace(fduAll, rand);
log(`scoring ${Math.min(N_FDU, fduAll.length)} FDU-MTL training reviews and the e-commerce val split`);
const fdu = await rows(fduAll.slice(0, N_FDU));
const val = await rows(loadEcommerce().val);
await enc.text.dispose();
await enc.image.dispose();

const answer = (r: Row, w: number) => (r.matches && w > 0 ? towardClass(r.base, 2, w) : r.base);
const argmax = (p: ArrayLike<number>) => Array.from(p).indexOf(Math.max(...Array.from(p)));
const binaryHit = (r: Row, w: number) => {
  const p = answer(r, w);
  return ((p[2] as number) >= (p[0] as number) ? 2 : 0) === r.label ? 1 : 0;
};
const f3 = (x: number) => x.toFixed(3);
const lines: string[] = [];
for (const w of WEIGHTS) {
  const fm = fdu.filter((r) => r.matches);
  const vm = val.filter((r) => r.matches);
  const bin = (rs: Row[]) => rs.reduce((a, r) => a + binaryHit(r, w), 0) / rs.length;
  const m3 = (rs: Row[]) =>
    classificationMetrics(
      rs.map((r) => r.label),
      rs.map((r) => argmax(answer(r, w))),
      3,
    );
  const vAll = m3(val);
  const vSub = m3(vm);
  lines.push(
    `| ${w}${w === NEGATED_COMPLAINT_WEIGHT ? ' **(shipped)**' : ''} | ${f3(bin(fm))} | ${f3(bin(fdu))} | ${f3(vSub.accuracy)} / ${f3(vSub.macro_f1)} | ${f3(vAll.accuracy)} / ${f3(vAll.macro_f1)} |`,
  );
}
const diff = pairedMeanDiff(
  fdu.map((r) => binaryHit(r, NEGATED_COMPLAINT_WEIGHT)),
  fdu.map((r) => binaryHit(r, 0)),
  { seed: 5 },
);
const nF = fdu.filter((r) => r.matches).length;
const nV = val.filter((r) => r.matches).length;
const md = `## Negated complaints (issue 13: behaviours)

Command: \`npm run bench:negated-complaint\`. Model \`${artifact.name}@${artifact.version}\`, served text answer; the rule
(\`negatedComplaint\`, src/models/review-text.ts) moves the answer toward positive by the weight w where a review negates a
complaint ("no complaints", "never had a problem", "did not shrink") and states no rating. FDU-MTL training reviews
(${fdu.length}, 14 Amazon domains, binary; never used to train the shipped model; the weight is chosen here), of which
${nF} match; e-commerce val split (${val.length}, 3 classes; checked here), of which ${nV} match.
${machineLine()}.

| w | FDU binary polarity where it matches (n ${nF}) | FDU binary polarity, all | val accuracy / macro-F1 where it matches (n ${nV}) | val accuracy / macro-F1, all |
|---|---|---|---|---|
${lines.join('\n')}

Paired bootstrap of FDU binary polarity, w ${NEGATED_COMPLAINT_WEIGHT} minus w 0, all ${fdu.length} reviews: ${diff.estimate >= 0 ? '+' : ''}${diff.estimate.toFixed(4)} [${diff.low.toFixed(4)}, ${diff.high.toFixed(4)}].
`;
writeSection('negated-complaint', md);
process.stdout.write(md);
