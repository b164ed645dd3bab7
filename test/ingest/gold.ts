import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GoldReview } from '../../src/ingest/index.js';
import { FIXTURES, PRODUCT_PAGES } from './site-server.js';

/** A hand-written gold file: the page (`shared:<file>` or `fixtures:<file>`) and its reviews. */
export interface GoldPage {
  name: string;
  page: string;
  path: string;
  /** The page's path on the test site server. */
  sitePath: string;
  reviews: GoldReview[];
}

export function loadGold(): GoldPage[] {
  const dir = join(FIXTURES, 'gold');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const g = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { page: string; reviews: GoldReview[] };
      const [where, file] = g.page.split(':') as [string, string];
      return {
        name: f.replace(/\.json$/, ''),
        page: g.page,
        path: join(where === 'shared' ? PRODUCT_PAGES : FIXTURES, file),
        sitePath: `/${where}/${file}`,
        reviews: g.reviews,
      };
    });
}

export function goldFor(name: string): GoldPage {
  const g = loadGold().find((x) => x.name === name);
  if (!g) throw new Error(`no gold file ${name}.json`);
  return g;
}
