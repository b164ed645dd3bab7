import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Sentiment } from '../core/types.js';

/** One labelled example: text, an optional photo path, and a sentiment label. */
export interface Example {
  id: string;
  text: string;
  image?: string;
  label: Sentiment;
  source: string;
}

/** Where the shared, read-only data sets live (`REVIEWLENS_SHARED_DATA`, default `../shared/data`). */
export function sharedDataDir(): string {
  return resolve(process.env.REVIEWLENS_SHARED_DATA ?? join(process.cwd(), '..', 'shared', 'data'));
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
}

const BINARY: Sentiment[] = ['negative', 'positive'];
const TERNARY: Sentiment[] = ['negative', 'neutral', 'positive'];

/** MVSA-Single labelled tweets with their photos (`labeled.jsonl`). */
export function loadMvsa(dir = sharedDataDir()): Example[] {
  const base = join(dir, 'mvsa-single');
  return lines(join(base, 'labeled.jsonl')).map((l) => {
    const r = JSON.parse(l) as { id: string; text: string; image: string; label: Sentiment };
    return { id: `mvsa:${r.id}`, text: r.text, image: join(base, r.image), label: r.label, source: 'mvsa-single' };
  });
}

/** UCI review sentences (`amazon_cells`, `yelp`, `imdb`): `sentence<TAB>0|1`. */
export function loadUci(name: 'amazon_cells' | 'yelp' | 'imdb', dir = sharedDataDir()): Example[] {
  return lines(join(dir, 'uci-sentences', `${name}_labelled.txt`)).map((l, i) => {
    const tab = l.lastIndexOf('\t');
    return {
      id: `uci-${name}:${i}`,
      text: l.slice(0, tab).trim(),
      label: BINARY[Number(l.slice(tab + 1).trim())] as Sentiment,
      source: `uci-${name}`,
    };
  });
}

/** TweetEval sentiment (0 negative, 1 neutral, 2 positive), split `val` or `test`. */
export function loadTweetEval(split: 'val' | 'test', dir = sharedDataDir()): Example[] {
  const base = join(dir, 'tweeteval', 'sentiment');
  const texts = readFileSync(join(base, `${split}_text.txt`), 'utf8').split('\n');
  const labels = lines(join(base, `${split}_labels.txt`));
  return labels.map((lab, i) => ({
    id: `tweeteval-${split}:${i}`,
    text: (texts[i] ?? '').trim(),
    label: TERNARY[Number(lab.trim())] as Sentiment,
    source: 'tweeteval',
  }));
}

/** SST-2 (`train` or `dev`): `sentence<TAB>0|1` with a header line. */
export function loadSst2(split: 'train' | 'dev', dir = sharedDataDir()): Example[] {
  return lines(join(dir, 'sst2', `${split}.tsv`))
    .slice(1)
    .map((l, i) => {
      const tab = l.lastIndexOf('\t');
      return {
        id: `sst2-${split}:${i}`,
        text: l.slice(0, tab).trim(),
        label: BINARY[Number(l.slice(tab + 1).trim())] as Sentiment,
        source: 'sst2',
      };
    })
    .filter((e) => e.text !== '' && e.label !== undefined);
}
