import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { paginationLinks } from '../../src/ingest/index.js';

const PAGE = 'https://shop.example/p/1?tab=reviews';

describe('review pagination links', () => {
  const html = `
    <a href="/p/2">Next</a>
    <a href="?tab=reviews&page=2" rel="next">2</a>
    <a href="/p/1/reviews">See all reviews (128)</a>
    <a href="https://other.example/p/1/reviews">See all reviews</a>
    <a href="#top">Next</a>
    <a href="/p/3">Next product</a>
    <a href="/help">Help</a>`;

  it('follows rel=next and "next"/"see all reviews" links on the same origin', () => {
    expect(paginationLinks(load(html), PAGE).sort()).toEqual([
      'https://shop.example/p/1/reviews',
      'https://shop.example/p/1?tab=reviews&page=2',
      'https://shop.example/p/2',
    ]);
  });

  it('from a page without reviews, only links that say they lead to reviews', () => {
    expect(paginationLinks(load(html), PAGE, { reviewsOnly: true })).toEqual(['https://shop.example/p/1/reviews']);
  });
});
