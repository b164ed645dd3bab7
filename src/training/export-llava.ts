import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Sentiment } from '../core/types.js';
import { type Example, loadMvsa, sharedDataDir } from './datasets.js';
import { MVSA_SPLIT_PATH, mvsaSplit } from './features.js';

/**
 * Export of MVSA-Single's labelled examples in LLaVA's conversation format, one JSON object per line:
 * `{ id, image, conversations: [{ from: 'human', value: '<image>\n...' }, { from: 'gpt', value: label }] }`,
 * the input a LLaVA fine-tuning run (or a VLM evaluation) reads. The split is the repository's fixed one.
 */

export const LLAVA_SPLITS = ['train', 'val', 'test', 'all'] as const;
export type LlavaSplit = (typeof LLAVA_SPLITS)[number];

/** The repository's fixed MVSA-Single split, by absolute path (so it does not depend on the working directory). */

/** The instruction that precedes the post's text in the human turn; the answer is the one-word label. */
export const LLAVA_INSTRUCTION =
  'What sentiment does this post express, judging its text and its photo together? ' +
  'Answer with one word: positive, negative or neutral.';

export interface LlavaRecord {
  id: string;
  image: string;
  conversations: [{ from: 'human'; value: string }, { from: 'gpt'; value: Sentiment }];
}

export interface ExportLlavaOptions {
  /** The JSONL file to write (parent directories are created). */
  out: string;
  split?: LlavaSplit;
  /** The shared data directory (default: `REVIEWLENS_SHARED_DATA` or `../shared/data`). */
  dataDir?: string;
  /** The split file (default: the repository's `data/splits/mvsa-single.json`). */
  splitFile?: string;
  log?: (msg: string) => void;
}

export interface ExportLlavaSummary {
  out: string;
  split: LlavaSplit;
  /** Records written. */
  count: number;
  byLabel: Record<Sentiment, number>;
  /** Examples left out because their photo is not on disk (ids). */
  missingImages: string[];
}

/** One example as a LLaVA conversation record. */
export function toLlavaRecord(e: Example): LlavaRecord {
  if (!e.image) throw new Error(`example ${e.id} has no photo`);
  return {
    id: e.id,
    image: resolve(e.image),
    conversations: [
      { from: 'human', value: `<image>\n${LLAVA_INSTRUCTION}\nText: ${e.text}` },
      { from: 'gpt', value: e.label },
    ],
  };
}

/** The labelled examples of one split (or all of them), in the data file's order. */
export function mvsaExamplesForSplit(
  split: LlavaSplit,
  dataDir = sharedDataDir(),
  splitFile = MVSA_SPLIT_PATH,
): Example[] {
  const all = loadMvsa(dataDir);
  if (split === 'all') return all;
  const s = mvsaSplit(all, splitFile);
  const ids = new Set(s[split]);
  const known = new Set(all.map((e) => e.id));
  const unknown = s[split].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new Error(
      `split file ${splitFile} names ${unknown.length} ${split} example(s) that ${join(dataDir, 'mvsa-single', 'labeled.jsonl')} does not have (e.g. ${unknown.slice(0, 3).join(', ')})`,
    );
  }
  return all.filter((e) => ids.has(e.id));
}

/** Writes the chosen split as LLaVA conversation JSONL, atomically (a temp file beside `out`, then a rename). */
export async function exportLlava(opts: ExportLlavaOptions): Promise<ExportLlavaSummary> {
  const split = opts.split ?? 'train';
  if (!LLAVA_SPLITS.includes(split)) throw new Error(`unknown split "${split}"; one of ${LLAVA_SPLITS.join(', ')}`);
  const log = opts.log ?? (() => {});
  const out = isAbsolute(opts.out) ? opts.out : resolve(opts.out);
  const examples = mvsaExamplesForSplit(split, opts.dataDir ?? sharedDataDir(), opts.splitFile ?? MVSA_SPLIT_PATH);
  log(`exporting ${examples.length} MVSA-Single examples (split ${split}) to ${out}`);

  const byLabel: Record<Sentiment, number> = { negative: 0, neutral: 0, positive: 0 };
  const missingImages: string[] = [];
  const lines: string[] = [];
  for (const [i, e] of examples.entries()) {
    const rec = toLlavaRecord(e);
    if (!existsSync(rec.image)) {
      missingImages.push(e.id);
      continue;
    }
    lines.push(JSON.stringify(rec));
    byLabel[e.label]++;
    if ((i + 1) % 1000 === 0) log(`  ${i + 1}/${examples.length}`);
  }
  if (missingImages.length > 0) {
    log(
      `  left out ${missingImages.length} example(s) whose photo is missing (e.g. ${missingImages.slice(0, 3).join(', ')})`,
    );
  }

  await mkdir(dirname(out), { recursive: true });
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, lines.length ? `${lines.join('\n')}\n` : '');
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  log(
    `wrote ${lines.length} records (negative ${byLabel.negative}, neutral ${byLabel.neutral}, positive ${byLabel.positive}) to ${out}`,
  );
  return { out, split, count: lines.length, byLabel, missingImages };
}
