/**
 * Synthetic reviews as training data for the review text model (`reviewlens train --synthetic FILE.jsonl`): the
 * JSONL `reviewlens synth` writes (src/synthesis: text, sentiment, source `synthetic`, generator, recipe, seed),
 * read and checked here. They join only the e-commerce training split (src/training/multimodal.ts), never val,
 * test or any evaluation, and are counted apart from real reviews in the run's log, data hash and artifact.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ValidationError } from '../core/errors.js';
import { SENTIMENTS, type Sentiment } from '../core/types.js';
import type { ReviewExample } from './ecommerce.js';

/** The source every synthetic training example carries (as `reviewlens synth` and the synthesize step write it). */
export const SYNTHETIC_SOURCE = 'synthetic';

/** Counts per class, in SENTIMENTS order's names. */
export type ClassCounts = Record<Sentiment, number>;

/** A synthetic training file, read and checked. */
export interface SyntheticTrainingData {
  /** File name only (no directories: it goes into artifacts). */
  file: string;
  /** sha256 (hex) of the file's bytes. */
  sha256: string;
  /** One ReviewExample per row: id `synthetic:<row id or line>`, source `synthetic`, domain the generator. */
  examples: ReviewExample[];
  byLabel: ClassCounts;
  /** Rows per generator (`unknown` when a row names none). */
  byGenerator: Record<string, number>;
  /** Rows that named a photo (`image`): read as text only, the photo is not used. */
  photosIgnored: number;
}

/** Zero counts for the three classes. */
export const noClassCounts = (): ClassCounts => ({ negative: 0, neutral: 0, positive: 0 });

/** Counts of each class among `es`. */
export function classCounts(es: readonly { label: Sentiment }[]): ClassCounts {
  const c = noClassCounts();
  for (const e of es) c[e.label]++;
  return c;
}

/**
 * Reads a synthetic training file: JSON Lines, one object per non-blank line, each with a non-empty `text` and a
 * label in `sentiment` (what `reviewlens synth` writes) or `label`: exactly `negative`, `neutral` or `positive`
 * (both may be given when they agree). `source`, when present, must be `synthetic` (a real review file passed by
 * mistake is refused rather than counted as synthetic). `id`, `generator` and `image` are read when present; a
 * photo is not used (the review text model reads text only) and is counted in `photosIgnored`.
 * @throws ValidationError naming the file and line: a missing or empty file, a line that is not a JSON object,
 *   no text, a missing or unknown label, `sentiment` and `label` that disagree, a `source` other than synthetic,
 *   or the same id twice.
 */
export function loadSyntheticTraining(path: string): SyntheticTrainingData {
  if (!existsSync(path)) throw new ValidationError(`--synthetic ${path}: no such file`, 'synthetic');
  if (!statSync(path).isFile()) throw new ValidationError(`--synthetic ${path}: not a file`, 'synthetic');
  const bytes = readFileSync(path);
  const examples: ReviewExample[] = [];
  const byGenerator: Record<string, number> = {};
  const ids = new Set<string>();
  let photosIgnored = 0;
  const lines = bytes.toString('utf8').split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const where = `--synthetic ${path} line ${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new ValidationError(`${where}: not JSON`, 'synthetic');
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new ValidationError(`${where}: not a JSON object`, 'synthetic');
    }
    const r = row as Record<string, unknown>;
    if (typeof r.text !== 'string' || r.text.trim() === '') {
      throw new ValidationError(`${where}: no "text"`, 'synthetic');
    }
    const named = [r.sentiment, r.label].filter((v) => v !== undefined && v !== null);
    if (named.length === 0) {
      throw new ValidationError(`${where}: no "sentiment" (or "label"): negative, neutral or positive`, 'synthetic');
    }
    for (const v of named) {
      if (typeof v !== 'string' || !(SENTIMENTS as readonly string[]).includes(v)) {
        throw new ValidationError(
          `${where}: label ${JSON.stringify(v)} is not one of ${SENTIMENTS.join(', ')}`,
          'synthetic',
        );
      }
    }
    if (named.length === 2 && named[0] !== named[1]) {
      throw new ValidationError(`${where}: "sentiment" ${named[0]} and "label" ${named[1]} disagree`, 'synthetic');
    }
    if (r.source !== undefined && r.source !== null && r.source !== SYNTHETIC_SOURCE) {
      throw new ValidationError(
        `${where}: source ${JSON.stringify(r.source)} is not "${SYNTHETIC_SOURCE}" (real reviews do not go in --synthetic)`,
        'synthetic',
      );
    }
    const rowId = typeof r.id === 'string' && r.id.trim() !== '' ? r.id.trim() : `line-${i + 1}`;
    if (ids.has(rowId)) throw new ValidationError(`${where}: id ${rowId} appears twice`, 'synthetic');
    ids.add(rowId);
    const generator = typeof r.generator === 'string' && r.generator.trim() !== '' ? r.generator.trim() : 'unknown';
    byGenerator[generator] = (byGenerator[generator] ?? 0) + 1;
    if (typeof r.image === 'string' && r.image.trim() !== '') photosIgnored++;
    examples.push({
      id: `synthetic:${rowId}`,
      text: r.text.replace(/\s+/g, ' ').trim(),
      label: named[0] as Sentiment,
      source: SYNTHETIC_SOURCE,
      domain: generator,
    });
  }
  if (examples.length === 0) throw new ValidationError(`--synthetic ${path}: no reviews in the file`, 'synthetic');
  return {
    file: basename(path),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    examples,
    byLabel: classCounts(examples),
    byGenerator,
    photosIgnored,
  };
}
