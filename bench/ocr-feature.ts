/**
 * Text inside the photo (OCR with Debian's tesseract), measured on its own: on the MVSA-Single test
 * split, how many photos carry readable text, what OCR costs per photo, and whether the served text
 * model does better on those reviews when the photo's text is appended to the review text.
 *
 *   npm run bench:ocr        (needs: apt-get install tesseract-ocr tesseract-ocr-eng)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, SENTIMENTS, type Sentiment } from '../src/core/index.js';
import { classificationMetrics, machineLine, percentile, writeSection } from '../src/evaluation/index.js';
import { FusionModel, MiniLmTextEncoder, parseArtifact, resolveAsset } from '../src/models/index.js';
import { ocrImage } from '../src/models/ocr.js';
import { loadMvsa, mvsaSplit } from '../src/training/index.js';

const ROOT = join(import.meta.dirname, '..');
const file = join(ROOT, 'artifacts', 'reviewlens-fusion.json');
const artifact = parseArtifact(readFileSync(file), file);
const model = new FusionModel(artifact.components);
const cfg = loadConfig({ cwd: ROOT });
const enc = await MiniLmTextEncoder.load({
  assetDir: await resolveAsset(cfg.models.dir, artifact.encoders.text),
  id: artifact.encoders.text,
  threads: 1,
});
const mvsa = loadMvsa();
const ids = new Set(mvsaSplit(mvsa).test);
const test = mvsa.filter((e) => ids.has(e.id));
const times: number[] = [];
const rows: Array<{ y: number; text: string; ocr: string }> = [];
for (const [i, e] of test.entries()) {
  const t0 = performance.now();
  const ocr = await ocrImage(readFileSync(e.image as string));
  times.push(performance.now() - t0);
  rows.push({ y: SENTIMENTS.indexOf(e.label as Sentiment), text: e.text, ocr });
  if ((i + 1) % 100 === 0) process.stderr.write(`${i + 1}/${test.length} photos read\n`);
}
const withText = rows.filter((r) => r.ocr !== '');
const argmax = (p: ArrayLike<number>) => [0, 1, 2].reduce((b, c) => ((p[c] as number) > (p[b] as number) ? c : b), 0);
async function score(texts: string[]): Promise<number[]> {
  const vecs = await enc.encode(texts);
  return texts.map((t, i) => argmax(model.predict(t, vecs[i] as Float32Array).text));
}
const y = withText.map((r) => r.y);
const base = classificationMetrics(y, await score(withText.map((r) => r.text)), 3);
const joined = classificationMetrics(y, await score(withText.map((r) => `${r.text}\n${r.ocr}`)), 3);
const alone = classificationMetrics(y, await score(withText.map((r) => r.ocr)), 3);
await enc.dispose();
const f = (x: number) => x.toFixed(3);
const md = `## Text inside the photo: OCR measured on its own (issue 3)

Command: \`npm run bench:ocr\`. Debian's tesseract 5 (\`--psm 3\`, English, one thread) on the ${test.length} photos of the MVSA-Single
test split; lines that do not read as words are dropped. Scored with the served text model of \`${artifact.name}@${artifact.version}\`.
Machine: ${machineLine()}.

- photos with readable text: ${withText.length} of ${test.length} (${((100 * withText.length) / test.length).toFixed(1)}%)
- OCR time per photo: p50 ${percentile(times, 50).toFixed(0)} ms, p95 ${percentile(times, 95).toFixed(0)} ms

| on the ${withText.length} reviews whose photo has text | accuracy | macro-F1 |
|---|---|---|
| review text only | ${f(base.accuracy)} | ${f(base.macro_f1)} |
| photo text only | ${f(alone.accuracy)} | ${f(alone.macro_f1)} |
| review text + photo text | ${f(joined.accuracy)} | ${f(joined.macro_f1)} |

Decision: OCR is not part of the served model. It reads text in about one photo in ${Math.round(test.length / Math.max(1, withText.length))}, costs more per photo
than the whole text + photo analysis, and the table above is what it would add on the photos it can read.
`;
writeSection('ocr', md);
process.stdout.write(md);
