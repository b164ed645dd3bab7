import { SENTIMENTS } from '../core/types.js';
import { bootstrapMacroF1, type Interval } from '../evaluation/bootstrap.js';
import { classificationMetrics } from '../evaluation/metrics.js';
import type { SentimentAnalyzer } from '../sentiment/analyzer.js';
import type { Example } from './datasets.js';
import { type ImageSourceOptions, readImageSource } from './image-source.js';

export interface EvaluationReport {
  n: number;
  accuracy: number;
  macro_f1: number;
  macro_f1_ci: Interval;
  per_class: Array<{ label: string; precision: number; recall: number; f1: number; support: number }>;
  confusion: number[][];
  photos_used: number;
  photos_unreadable: number;
}

/**
 * Scores an analyzer on labelled examples exactly as the server answers them (text plus the photo when
 * it can be read; an unreadable photo is counted and the review is analysed on its text). Photo URLs are
 * fetched with `source.fetcher` (the SSRF guard).
 */
export async function evaluateAnalyzer(
  analyzer: SentimentAnalyzer,
  examples: Example[],
  log: (m: string) => void = () => {},
  source: ImageSourceOptions = {},
): Promise<EvaluationReport> {
  const yTrue: number[] = [];
  const yPred: number[] = [];
  let photos = 0;
  let unreadable = 0;
  for (const [i, e] of examples.entries()) {
    let image: Buffer | undefined;
    if (e.image) {
      try {
        image = await readImageSource(e.image, source);
      } catch {
        unreadable++;
      }
    }
    let r: Awaited<ReturnType<SentimentAnalyzer['analyze']>>;
    try {
      r = await analyzer.analyze({ text: e.text, image });
      if (image) photos++;
    } catch {
      // A photo the analyzer refuses (corrupt, wrong type) is counted; the review is scored on its text.
      unreadable++;
      r = await analyzer.analyze({ text: e.text });
    }
    yTrue.push(SENTIMENTS.indexOf(e.label));
    yPred.push(SENTIMENTS.indexOf(r.sentiment));
    if ((i + 1) % 100 === 0) log(`  ${i + 1}/${examples.length} scored`);
  }
  const m = classificationMetrics(yTrue, yPred, 3);
  return {
    n: m.n,
    accuracy: m.accuracy,
    macro_f1: m.macro_f1,
    macro_f1_ci: bootstrapMacroF1(yTrue, yPred, 3),
    per_class: m.per_class.map((c, i) => ({ label: SENTIMENTS[i] as string, ...c })),
    confusion: m.confusion,
    photos_used: photos,
    photos_unreadable: unreadable,
  };
}
