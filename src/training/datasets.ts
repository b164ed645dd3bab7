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

/**
 * Sentences whose targets all carry one polarity, from aspect- or target-level sets: the sentence
 * takes that polarity; sentences with mixed polarities are left out.
 */
function sentenceLevel(items: Array<{ sentence: string; label: Sentiment }>, source: string): Example[] {
  const bySentence = new Map<string, Set<Sentiment>>();
  for (const it of items) {
    const set = bySentence.get(it.sentence) ?? new Set<Sentiment>();
    set.add(it.label);
    bySentence.set(it.sentence, set);
  }
  const out: Example[] = [];
  let i = 0;
  for (const [sentence, labels] of bySentence) {
    if (labels.size === 1)
      out.push({ id: `${source}:${i}`, text: sentence, label: [...labels][0] as Sentiment, source });
    i++;
  }
  return out;
}

/** SemEval-2014 aspect sentiment (laptops, restaurants), as sentence-level examples. */
export function loadSemeval(
  domain: 'Laptops' | 'Restaurants',
  split: 'Train' | 'Test_Gold',
  dir = sharedDataDir(),
): Example[] {
  const ls = readFileSync(join(dir, 'semeval14-absa', `${domain}_${split}.xml.seg`), 'utf8').split(/\r?\n/);
  const items: Array<{ sentence: string; label: Sentiment }> = [];
  for (let i = 0; i + 2 < ls.length; i += 3) {
    const aspect = (ls[i + 1] as string).trim();
    const pol = Number((ls[i + 2] as string).trim());
    if (!Number.isFinite(pol)) continue;
    items.push({ sentence: (ls[i] as string).replace('$T$', aspect).trim(), label: TERNARY[pol + 1] as Sentiment });
  }
  return sentenceLevel(items, `semeval-${domain.toLowerCase()}-${split.toLowerCase()}`);
}

/** Twitter-2015/2017 target sentiment (text only), as tweet-level examples. */
export function loadTwitterTarget(
  year: '2015' | '2017',
  split: 'train' | 'dev' | 'test',
  dir = sharedDataDir(),
): Example[] {
  const items = lines(join(dir, 'twitter-target-sentiment', `twitter${year}`, `${split}.tsv`))
    .slice(1)
    .map((l) => l.split('\t'))
    .filter((c) => c.length >= 5)
    .map((c) => ({
      sentence: (c[3] as string).replace('$T$', c[4] as string).trim(),
      label: TERNARY[Number(c[1])] as Sentiment,
    }))
    .filter((it) => it.label !== undefined);
  return sentenceLevel(items, `twitter${year}-${split}`);
}

/** A text with a binary label (sarcastic or not). */
export interface BinaryExample {
  id: string;
  text: string;
  label: 0 | 1;
  source: string;
}

const PY_ROW = /^\['(\d+)', (['"])((?:\\.|(?!\2).)*)\2, (\d)(?:, (\d))?\]$/;

/**
 * Cai et al. 2019 multimodal sarcasm tweets (text only), Python-literal lines. `train` has the
 * hashtag-derived label; `valid2` has a human label too, which is the one returned for it.
 */
export function loadTwitterSarcasm(split: 'train' | 'valid2', dir = sharedDataDir()): BinaryExample[] {
  const out: BinaryExample[] = [];
  for (const l of lines(join(dir, 'twitter-sarcasm', `${split}.txt`))) {
    const m = PY_ROW.exec(l.trim());
    if (!m) continue;
    const text = (m[3] as string).replace(/\\(['"\\])/g, '$1');
    const label = Number(split === 'valid2' && m[5] !== undefined ? m[5] : m[4]) as 0 | 1;
    out.push({ id: `sarcasm-${split}:${m[1]}`, text, label, source: `twitter-sarcasm-${split}` });
  }
  return out;
}

/** MUStARD: sarcastic and sincere TV-show utterances (the utterance alone, without its context). */
export function loadMustard(dir = sharedDataDir()): BinaryExample[] {
  const data = JSON.parse(readFileSync(join(dir, 'mustard', 'sarcasm_data.json'), 'utf8')) as Record<
    string,
    { utterance: string; sarcasm: boolean }
  >;
  return Object.entries(data).map(([id, r]) => ({
    id: `mustard:${id}`,
    text: r.utterance,
    label: r.sarcasm ? 1 : 0,
    source: 'mustard',
  }));
}
