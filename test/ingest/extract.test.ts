import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import {
  extractReviews,
  findDate,
  parseRatingText,
  repeatedStructureReviews,
  scoreAgainstGold,
} from '../../src/ingest/index.js';
import { goldFor } from './gold.js';
import { FIXTURES, PRODUCT_PAGES } from './site-server.js';

const URL_BASE = 'http://127.0.0.1:9/page.html';
const read = (path: string) => readFileSync(path, 'utf8');

describe('rating and date reading', () => {
  it('reads the usual ways of writing a star rating, and nothing else', () => {
    expect(parseRatingText('4.0 out of 5 stars')).toBe(4);
    expect(parseRatingText('Rated 3 out of 5')).toBe(3);
    expect(parseRatingText('Rated 8/10')).toBe(4);
    expect(parseRatingText('4.5 stars')).toBe(4.5);
    expect(parseRatingText('5つ星のうち4.0')).toBe(4);
    expect(parseRatingText('3/10/2023')).toBeNull();
    expect(parseRatingText('1 of 5 reviews')).toBeNull();
    expect(parseRatingText('Would buy again, I give it 5 stars without a doubt, really')).toBeNull();
    expect(parseRatingText('★★★★☆')).toBe(4);
    expect(parseRatingText('4,5 von 5 Sternen')).toBe(4.5);
    expect(parseRatingText('Page 2 of 7')).toBeNull();
    expect(parseRatingText('Great lamp')).toBeNull();
    expect(parseRatingText('6 out of 5')).toBeNull();
  });

  it('finds dates in review bylines', () => {
    expect(findDate('Reviewed in the United States on April 8, 2019')).toBe('2019-04-08');
    expect(findDate('by kim.t on 30 May 2022')).toBe('2022-05-30');
    expect(findDate('2024-05-02')).toBe('2024-05-02');
    expect(findDate('Verified Purchase')).toBeNull();
  });
});

describe('extraction on the saved shop pages (../shared/data/product-pages)', () => {
  it('amazon.html: its 8 review cards, with text, star rating, title, author and date, by repeated structure', async () => {
    const ex = await extractReviews(read(join(PRODUCT_PAGES, 'amazon.html')), URL_BASE);
    expect(ex.reviews).toHaveLength(8);
    expect(ex.reviews.every((r) => r.extractor === 'repeated-structure')).toBe(true);
    const score = scoreAgainstGold(ex.reviews, goldFor('amazon').reviews);
    expect(score).toMatchObject({ matched: 8, ratingCorrect: 8, precision: 1, recall: 1 });
    const first = ex.reviews[0]!;
    expect(first).toMatchObject({ title: 'Excellent Light', author: 'Jray', date: '2019-04-08', rating: 5 });
    expect(first.photos.length).toBe(2);
    expect(first.photos.every((u) => u.endsWith('.jpg'))).toBe(true);
    // The proposed selectors find the same cards on the page (so they can be cached for the domain).
    expect(ex.selectors?.extractor).toBe('repeated-structure');
    // The product is the h1 that matches the document title, not the first h1 (a cart dialog's).
    expect(ex.product).toMatch(/^Modern LED Wall Sconce Lighting Fixture/);
  });

  it('etsy.html: its 4 JSON-LD reviews, with entities decoded', async () => {
    const ex = await extractReviews(read(join(PRODUCT_PAGES, 'etsy.html')), URL_BASE);
    expect(ex.reviews).toHaveLength(4);
    expect(ex.reviews.every((r) => r.extractor === 'json-ld' && r.rating === 5)).toBe(true);
    expect(scoreAgainstGold(ex.reviews, goldFor('etsy').reviews)).toMatchObject({ precision: 1, recall: 1 });
    expect(ex.reviews[1]?.text).toContain('"Pumpkin Patch"');
    expect(ex.reviews[0]?.author).toBe('SIMI E THOMAS');
    expect(ex.product).toMatch(/^EL original he y hay calabaza/);
  });

  it('globalindustrial.html: the 6 reviews of its review tab (the data README says none: it has these six)', async () => {
    const ex = await extractReviews(read(join(PRODUCT_PAGES, 'globalindustrial.html')), URL_BASE);
    expect(scoreAgainstGold(ex.reviews, goldFor('globalindustrial').reviews)).toMatchObject({
      extracted: 6,
      matched: 6,
      ratingCorrect: 6,
    });
    // Stars come from the widget's rating attribute (its icons are all drawn alike); labels are stripped.
    expect(ex.reviews[1]).toMatchObject({ rating: 4, author: 'Steve', date: '2018-10-24', title: 'Great value' });
    expect(ex.reviews[0]?.text).toMatch(/^Fast Service and great product/);
  });

  for (const page of ['costco', 'overstock']) {
    it(`${page}.html: no review is invented (its reviews load from a third-party script, not in the page)`, async () => {
      const ex = await extractReviews(read(join(PRODUCT_PAGES, `${page}.html`)), URL_BASE);
      expect(ex.reviews).toEqual([]);
      expect(ex.trace.map((t) => t.layer)).toEqual(['json-ld', 'microdata', 'repeated-structure', 'json-state', 'llm']);
    });
  }
});

describe('extraction on pages written for these tests', () => {
  it('microdata reviews, with rating, author and date', async () => {
    const ex = await extractReviews(read(join(FIXTURES, 'static-paged-1.html')), URL_BASE);
    expect(ex.reviews.map((r) => r.extractor)).toEqual(['microdata', 'microdata', 'microdata']);
    expect(ex.reviews[1]).toMatchObject({ rating: 4, author: 'Paul', date: '2023-03-01', title: 'Heavy but nice' });
    expect(ex.product).toBe('Ceramic Pour-Over Coffee Dripper');
  });

  it('star characters and unknown class names; a product carousel with ratings and prices is not taken for reviews', () => {
    const r = repeatedStructureReviews(load(read(join(FIXTURES, 'stars-markup.html'))), URL_BASE);
    expect(scoreAgainstGold(r.reviews, goldFor('stars-markup').reviews)).toMatchObject({
      matched: 3,
      ratingCorrect: 3,
      precision: 1,
      recall: 1,
    });
    expect(r.reviews[0]).toMatchObject({ author: 'hannah_b', title: 'Great set', date: '2022-03-12' });
    expect(r.selectors).toMatchObject({ review: 'div.cmt', text: 'div.cmt-txt' });
  });

  it('cached selectors of the domain read the next page; stale ones are reported and the page is re-discovered', async () => {
    const html = read(join(FIXTURES, 'stars-markup.html'));
    const first = await extractReviews(html, URL_BASE);
    const again = await extractReviews(html, URL_BASE, { cached: first.selectors });
    expect(again.trace.map((t) => t.layer)).toContain('cached-selectors');
    expect(again.reviews.map((r) => r.text)).toEqual(first.reviews.map((r) => r.text));
    const stale = await extractReviews(html, URL_BASE, {
      cached: { set: { review: 'div.gone', text: 'p' }, extractor: 'llm' },
    });
    expect(stale.cacheStale).toBe(true);
    expect(stale.reviews).toHaveLength(3);
    expect(stale.selectors?.extractor).toBe('repeated-structure');
  });

  it('several paragraphs of text, data-score ratings; a rating histogram and a Q&A section are not reviews', async () => {
    const ex = await extractReviews(read(join(FIXTURES, 'widget-paragraphs.html')), URL_BASE);
    expect(scoreAgainstGold(ex.reviews, goldFor('widget-paragraphs').reviews)).toMatchObject({
      extracted: 3,
      matched: 3,
      ratingCorrect: 3,
    });
    expect(ex.reviews[0]).toMatchObject({ title: 'Perfect bread every time', author: 'breadhead' });
  });

  it('table rows rated by full, half and empty star icons or a filled bar, with "Posted by NAME on DATE" bylines', async () => {
    const ex = await extractReviews(read(join(FIXTURES, 'widget-icons.html')), URL_BASE);
    expect(ex.reviews.map((r) => r.rating)).toEqual([4, 2.5, 5, 3]);
    expect(scoreAgainstGold(ex.reviews, goldFor('widget-icons').reviews)).toMatchObject({ matched: 4, precision: 1 });
    expect(ex.reviews[0]).toMatchObject({ title: 'Warm and dry', author: 'Kai', date: '2024-01-09' });
    expect(ex.product).toBe('Wool Hiking Socks, 3 pairs');
  });

  it('a lone review the markup calls a review, with its date; the ratings summary beside it is not one', async () => {
    const ex = await extractReviews(read(join(FIXTURES, 'single-review.html')), URL_BASE);
    expect(scoreAgainstGold(ex.reviews, goldFor('single-review').reviews)).toMatchObject({
      extracted: 1,
      matched: 1,
      ratingCorrect: 1,
    });
    expect(ex.reviews[0]?.date).toBe('2023-10-11');
    // One block proves no repeated shape: nothing is cached for the domain.
    expect(ex.selectors).toBeUndefined();
  });

  it("reviews only in the page's embedded JSON state; related products and Q&A in the same state are not reviews", async () => {
    const ex = await extractReviews(read(join(FIXTURES, 'json-state.html')), 'http://127.0.0.1:9/p/x2');
    expect(scoreAgainstGold(ex.reviews, goldFor('json-state').reviews)).toMatchObject({
      extracted: 3,
      matched: 3,
      ratingCorrect: 3,
    });
    expect(ex.reviews[0]).toMatchObject({
      title: 'Quiet flights at last',
      author: 'frequentflyer',
      date: '2024-03-02',
      photos: ['http://127.0.0.1:9/photos/tent.jpg'],
      extractor: 'repeated-structure',
      selector: 'script#__APP_STATE__.page.reviewData.results[0]',
    });
  });

  it('comments without ratings are not reviews to the rule-based layers', async () => {
    const ex = await extractReviews(read(join(FIXTURES, 'plain-comments.html')), URL_BASE);
    expect(ex.reviews).toEqual([]);
  });
});
