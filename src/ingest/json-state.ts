import type { CheerioAPI } from 'cheerio';
import { absoluteUrl, clean, decodeEntities, findDate, normaliseDate, toFiveStars } from './text.js';
import type { ExtractedReview } from './types.js';

/**
 * Repeated structure in a page's embedded JSON state (`<script type="application/json">`, a framework's
 * data script, `window.X = {...}`): arrays of records that each hold a review text and a star rating
 * under generic key names, in an array or records that the data itself calls reviews. Pages rendered in
 * the browser from such state can be read without a browser. Recorded as `repeated-structure`, with
 * the JSON path as the selector.
 */

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const TEXT_KEY = /^(?:review_?text|review_?body|reviewbody|body|text|comment|comment_?text|content|review)$/i;
const RATING_KEY = /^(?:rating|stars?|score|overall_?rating|rating_?value|star_?rating|review_?rating)$/i;
const TITLE_KEY = /^(?:title|headline|summary|review_?title)$/i;
const AUTHOR_KEY =
  /^(?:author|author_?name|user_?nickname|nickname|reviewer|reviewer_?name|user_?name|display_?name|user)$/i;
const DATE_KEY =
  /^(?:date|submission_?time|created_?at|review_?date|date_?published|published_?at|submitted_?at|date_?created)$/i;
const PHOTO_KEY = /^(?:photos|images|media|pictures|review_?images|photo_?urls)$/i;
const REVIEWISH = /review/i;
const MAX_SCRIPT = 5_000_000;

function pick(o: Json, re: RegExp): unknown {
  for (const [k, v] of Object.entries(o)) if (re.test(k)) return v;
  return undefined;
}

function text(v: unknown): string {
  if (typeof v === 'string') return clean(decodeEntities(v.replace(/<br\s*\/?>/gi, ' ').replace(/<[^>]+>/g, ' ')));
  if (isObj(v)) return text(v.text ?? v.value ?? v.name ?? v.nickname ?? v.displayName);
  return '';
}

function rating(v: unknown): number | null {
  if (isObj(v)) return rating(v.value ?? v.ratingValue ?? v.rating ?? v.stars);
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(?:\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n)) return null;
  return n <= 5 ? toFiveStars(n, 5) : n <= 10 ? toFiveStars(n, 10) : n <= 100 ? toFiveStars(n, 100) : null;
}

function photos(v: unknown, base: string): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const x of v) {
    const raw = typeof x === 'string' ? x : isObj(x) ? (x.url ?? x.src ?? x.normalUrl ?? x.large ?? x.full) : undefined;
    const u = typeof raw === 'string' ? absoluteUrl(raw, base) : undefined;
    if (u) out.push(u);
  }
  return out;
}

function record(o: Json, base: string, path: string): ExtractedReview | undefined {
  const body = text(pick(o, TEXT_KEY));
  const stars = rating(pick(o, RATING_KEY));
  if (body.length < 15 || body.split(' ').length < 3 || stars === null) return undefined;
  const dateRaw = text(pick(o, DATE_KEY));
  return {
    text: body,
    rating: stars,
    title: text(pick(o, TITLE_KEY)) || null,
    author: text(pick(o, AUTHOR_KEY)) || null,
    date: dateRaw ? (findDate(dateRaw) ?? normaliseDate(dateRaw)) : null,
    photos: photos(pick(o, PHOTO_KEY), base),
    extractor: 'repeated-structure',
    selector: path,
  };
}

/** Parses a script's JSON: the whole of it, or the object assigned in `X = {...};`. */
function parseScript(src: string): unknown {
  const t = src.trim();
  if (!t || t.length > MAX_SCRIPT) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    const start = t.indexOf('{');
    const end = t.lastIndexOf('}');
    if (start < 0 || end <= start || !/^[\w.$[\]'"\s]+=\s*$/.test(t.slice(0, start))) return undefined;
    try {
      return JSON.parse(t.slice(start, end + 1));
    } catch {
      return undefined;
    }
  }
}

export function jsonStateReviews($: CheerioAPI, pageUrl: string): ExtractedReview[] {
  const out: ExtractedReview[] = [];
  const seen = new Set<string>();
  $('script:not([src])').each((i, el) => {
    const type = ($(el).attr('type') ?? '').toLowerCase();
    if (type === 'application/ld+json' || (type && !type.includes('json') && !type.includes('javascript'))) return;
    const data = parseScript($(el).text());
    if (data === undefined) return;
    const visit = (v: unknown, path: string, key: string, depth: number) => {
      if (depth > 40) return;
      if (Array.isArray(v)) {
        const objs = v.filter(isObj);
        if (objs.length > 0 && objs.length === v.length) {
          const found = objs.map((o, j) => record(o, pageUrl, `${path}[${j}]`));
          const good = found.filter((r): r is ExtractedReview => r !== undefined);
          // Records of one array, most of them reviews, in data that says it holds reviews.
          const reviewish = REVIEWISH.test(key) || objs.some((o) => Object.keys(o).some((k) => REVIEWISH.test(k)));
          if (good.length > 0 && good.length * 2 >= objs.length && reviewish) {
            for (const r of good) {
              if (seen.has(r.text)) continue;
              seen.add(r.text);
              out.push(r);
            }
            return;
          }
        }
        v.forEach((x, j) => {
          visit(x, `${path}[${j}]`, key, depth + 1);
        });
      } else if (isObj(v)) {
        for (const [k, x] of Object.entries(v))
          if (typeof x === 'object' && x !== null) visit(x, `${path}.${k}`, k, depth + 1);
      }
    };
    const id = $(el).attr('id');
    visit(data, id ? `script#${id}` : `script[${i}]`, '', 0);
  });
  return out;
}
