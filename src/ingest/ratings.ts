import type { Cheerio, CheerioAPI } from 'cheerio';
import type { AnyNode, Element } from 'domhandler';
import { inSkipped, isElement, SKIP_TAGS } from './dom.js';
import { parseRatingNumber, parseRatingText, toFiveStars } from './text.js';

/**
 * Rating-like elements: what an element states as a star rating in its own text, its attributes, a row
 * of star icons, a class or a filled bar. Generic forms only; no shop's own names.
 */

/** The rating an element itself states, in its own text or its attributes; null when none. */
export function ownRating($: CheerioAPI, el: Element): number | null {
  const a = el.attribs;
  for (const k of ['aria-label', 'title', 'alt', 'aria-valuetext']) {
    const r = parseRatingText(a[k]);
    if (r !== null) return r;
  }
  for (const k of [
    'data-rating',
    'data-score',
    'data-stars',
    'data-star-rating',
    'data-rating-value',
    'rating',
    'score',
  ]) {
    const v = a[k];
    if (v === undefined) continue;
    const r = parseRatingNumber(v) ?? parseRatingText(v);
    if (r !== null) return r;
  }
  const own = $(el)
    .contents()
    .filter((_, n) => n.type === 'text')
    .text();
  return parseRatingText(own) ?? iconRating(el) ?? classRating(el) ?? widthRating(el);
}

const STAR_CLASS = /star|rating/i;
const EMPTY_STAR = /empty|outline|\boff\b|blank|gr[ae]y|inactive|disabled|-o\b|_o\b|none|zero/i;
const HALF_STAR = /half/i;
const FULL_STAR = /full|filled|\bon\b|active|selected|checked/i;

/** A row of 3 to 10 star icons (elements whose class says star): full ones count 1, half ones 0.5. */
function iconRating(el: Element): number | null {
  const kids = el.children.filter(isElement);
  if (kids.length < 3 || kids.length > 10) return null;
  if (!kids.every((k) => STAR_CLASS.test(k.attribs.class ?? ''))) return null;
  let v = 0;
  for (const k of kids) {
    const c = k.attribs.class ?? '';
    const t = k.children
      .map((n) => (n.type === 'text' ? (n as unknown as { data: string }).data : ''))
      .join('')
      .trim();
    if (t === '☆' || t === '✩') continue;
    if (HALF_STAR.test(c)) v += 0.5;
    else if (!EMPTY_STAR.test(c)) v += 1;
  }
  // Icons that all look alike and do not say "full" carry no value by themselves (the value is elsewhere).
  const alike = kids.every((k) => k.attribs.class === kids[0]?.attribs.class);
  if (alike && v === kids.length && !FULL_STAR.test(kids[0]?.attribs.class ?? '')) return null;
  return toFiveStars(v, Math.max(5, kids.length));
}

/** A class such as `stars-4`, `rating-4-5`, `star_rating_3`: a star or rating word followed by the value. */
function classRating(el: Element): number | null {
  for (const token of (el.attribs.class ?? '').split(/\s+/)) {
    const m = /(?:^|[-_])(?:stars?|rating|rated)[-_]?(\d)(?:[-_.](5))?$/i.exec(token);
    if (m?.[1]) return toFiveStars(Number(m[1]) + (m[2] ? 0.5 : 0), 5);
  }
  return null;
}

/** A filled bar inside a star widget: `style="width: 80%"` on an element whose class says star or rating. */
function widthRating(el: Element): number | null {
  if (!STAR_CLASS.test(el.attribs.class ?? '')) return null;
  const m = /(?:^|;)\s*width\s*:\s*(\d+(?:\.\d+)?)%/i.exec(el.attribs.style ?? '');
  return m?.[1] ? toFiveStars(Number(m[1]) / 20, 5) : null;
}

/** Elements of the page that state a rating (self-closing tags and skipped tags excluded). */
export function ratingElements($: CheerioAPI, root: Cheerio<AnyNode>): Element[] {
  const out: Element[] = [];
  root.find('*').each((_, el) => {
    if (!isElement(el) || SKIP_TAGS.has(el.tagName)) return;
    if (ownRating($, el) !== null) out.push(el);
  });
  return out;
}

/** The first rating stated inside `card` (or by it). */
export function cardRating($: CheerioAPI, card: Element): { el: Element; rating: number } | undefined {
  const self = ownRating($, card);
  if (self !== null) return { el: card, rating: self };
  let found: { el: Element; rating: number } | undefined;
  $(card)
    .find('*')
    .each((_, el) => {
      if (found || !isElement(el) || SKIP_TAGS.has(el.tagName) || inSkipped(el, card)) return;
      const r = ownRating($, el);
      if (r !== null) found = { el, rating: r };
    });
  return found;
}
