import type { CheerioAPI } from 'cheerio';
import type { Element } from 'domhandler';
import { absoluteUrl, clean, decodeEntities, findDate, normaliseDate, parseRatingText, toFiveStars } from './text.js';
import type { ExtractedReview } from './types.js';

/**
 * The first extraction layer: schema.org `Review` objects that a page declares itself, in JSON-LD
 * (`<script type="application/ld+json">`) and in microdata (`itemtype=".../Review"`). No guessing.
 */

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function types(o: Json): string[] {
  const t = o['@type'];
  return (Array.isArray(t) ? t : [t]).filter((x): x is string => typeof x === 'string').map((x) => x.toLowerCase());
}

function str(v: unknown): string {
  if (typeof v === 'string') return clean(decodeEntities(v));
  if (typeof v === 'number') return String(v);
  if (isObj(v)) return str(v.name ?? v['@value'] ?? '');
  if (Array.isArray(v)) return str(v[0]);
  return '';
}

function jsonRating(r: unknown): number | null {
  if (r === undefined || r === null) return null;
  if (typeof r === 'number' || typeof r === 'string') return parseNumberRating(String(r), 5);
  if (!isObj(r)) return null;
  const best = Number(str(r.bestRating) || 5);
  return parseNumberRating(str(r.ratingValue), Number.isFinite(best) && best > 0 ? best : 5);
}

function parseNumberRating(s: string, best: number): number | null {
  const n = Number(s.replace(',', '.'));
  return Number.isFinite(n) && s !== '' ? toFiveStars(n, best) : parseRatingText(s);
}

function images(v: unknown, base: string): string[] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  const out: string[] = [];
  for (const x of list) {
    const u = typeof x === 'string' ? x : isObj(x) ? str(x.contentUrl ?? x.url) : '';
    const abs = absoluteUrl(u, base);
    if (abs) out.push(abs);
  }
  return out;
}

/** Walks a JSON-LD value, calling `visit` on every object with its JSON path. */
function walk(v: unknown, path: string, visit: (o: Json, path: string) => void): void {
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`, visit);
  } else if (isObj(v)) {
    visit(v, path);
    for (const [k, x] of Object.entries(v)) if (typeof x === 'object' && x !== null) walk(x, `${path}.${k}`, visit);
  }
}

export interface StructuredResult {
  reviews: ExtractedReview[];
  product: string | null;
}

/** Reviews declared in JSON-LD; scripts that do not parse are skipped. */
export function jsonLdReviews($: CheerioAPI, pageUrl: string): StructuredResult {
  const reviews: ExtractedReview[] = [];
  let product: string | null = null;
  $('script[type="application/ld+json"]').each((i, el) => {
    let data: unknown;
    try {
      data = JSON.parse($(el).text());
    } catch {
      return;
    }
    walk(data, `ld+json[${i}]`, (o, path) => {
      const t = types(o);
      if (!product && t.some((x) => x === 'product' || x === 'productgroup')) product = str(o.name) || null;
      if (!t.some((x) => x === 'review' || x === 'userreview' || x === 'criticreview')) return;
      const text = str(o.reviewBody) || str(o.description) || str(o.text);
      if (!text) return;
      const date = str(o.datePublished) || str(o.dateCreated);
      reviews.push({
        text,
        rating: jsonRating(o.reviewRating),
        title: str(o.name) || str(o.headline) || null,
        author: str(o.author) || null,
        date: date ? normaliseDate(date) : null,
        photos: images(o.image ?? o.associatedMedia, pageUrl),
        extractor: 'json-ld',
        selector: path,
      });
    });
  });
  return { reviews, product };
}

const REVIEW_TYPE = /schema\.org\/(?:Review|UserReview|CriticReview)$/i;

/** Reviews declared in microdata (`itemscope itemtype="https://schema.org/Review"`). */
export function microdataReviews($: CheerioAPI, pageUrl: string): StructuredResult {
  const reviews: ExtractedReview[] = [];
  const productEl = $('[itemscope][itemtype]')
    .filter((_, el) => /schema\.org\/Product$/i.test($(el).attr('itemtype') ?? ''))
    .first();
  const product = productEl.length ? clean(prop($, productEl[0] as Element, 'name')?.value) || null : null;
  $('[itemscope][itemtype]').each((_, el) => {
    if (!REVIEW_TYPE.test($(el).attr('itemtype') ?? '')) return;
    const text = clean(prop($, el, 'reviewBody')?.value ?? prop($, el, 'description')?.value);
    if (!text) return;
    const ratingEl = prop($, el, 'reviewRating');
    let rating: number | null = null;
    if (ratingEl) {
      const best = Number(prop($, ratingEl.el, 'bestRating')?.value || 5);
      const value = prop($, ratingEl.el, 'ratingValue')?.value ?? ratingEl.value;
      rating = parseNumberRating(clean(value), Number.isFinite(best) && best > 0 ? best : 5);
    }
    const author = prop($, el, 'author');
    const authorName = author ? (prop($, author.el, 'name')?.value ?? author.value) : '';
    const date = clean(prop($, el, 'datePublished')?.value);
    const photos: string[] = [];
    $(el)
      .find('[itemprop="image"]')
      .each((_, img) => {
        const u = absoluteUrl($(img).attr('src') ?? $(img).attr('content') ?? $(img).attr('href'), pageUrl);
        if (u) photos.push(u);
      });
    reviews.push({
      text,
      rating,
      title: clean(prop($, el, 'name')?.value ?? prop($, el, 'headline')?.value) || null,
      author: clean(authorName) || null,
      date: date ? (findDate(date) ?? date) : null,
      photos,
      extractor: 'microdata',
      selector: '[itemscope][itemtype$="schema.org/Review"]',
    });
  });
  return { reviews, product };
}

/** The first `itemprop=name` inside `scope` that belongs to it (not to a nested item), and its value. */
function prop($: CheerioAPI, scope: Element, name: string): { el: Element; value: string } | undefined {
  let found: { el: Element; value: string } | undefined;
  $(scope)
    .find(`[itemprop~="${name}"]`)
    .each((_, el) => {
      if (found) return;
      // The nearest enclosing itemscope must be `scope` itself.
      const owner = $(el).parent().closest('[itemscope]')[0];
      if (owner !== scope) return;
      const $el = $(el);
      const value = $el.attr('content') ?? $el.attr('datetime') ?? $el.text();
      found = { el, value };
    });
  return found;
}
