import { type Example, loadSemeval, loadSst2, loadTweetEval, loadTwitterTarget, loadUci } from './datasets.js';

/**
 * The general text corpus the text models learn sentiment from: tweets (TweetEval, Twitter-2015/2017
 * target sets), product and restaurant review sentences (SemEval-2014), movie reviews (SST-2 sentences and phrases of
 * at least `sst2MinWords` words, UCI IMDB). UCI Amazon and Yelp are never in it: they are scored.
 */
export function generalTextCorpus(opts: { sst2MinWords?: number } = {}): Example[] {
  const minWords = opts.sst2MinWords ?? 1;
  const sst2 = loadSst2('train').filter((e) => e.text.split(/\s+/).length >= minWords);
  return [
    ...loadTweetEval('val'),
    ...loadTweetEval('test'),
    ...(['2015', '2017'] as const).flatMap((y) =>
      (['train', 'dev', 'test'] as const).flatMap((s) => loadTwitterTarget(y, s)),
    ),
    ...(['Laptops', 'Restaurants'] as const).flatMap((d) =>
      (['Train', 'Test_Gold'] as const).flatMap((s) => loadSemeval(d, s)),
    ),
    ...sst2,
    ...loadUci('imdb'),
  ];
}

/** Held-out product-review polarity sets (binary), never trained on. */
export function productPolaritySets(): Record<string, Example[]> {
  return { amazon: loadUci('amazon_cells'), yelp: loadUci('yelp') };
}
