import type { CheerioAPI } from 'cheerio';
import type { AnyNode, Element } from 'domhandler';
import { cssEscape, relativeSelector, simpleSelector } from './css.js';
import { cardFields, cardText, hasPrice, hinted, inLink, isElement, SKIP_TAGS, signature } from './dom.js';
import { cardRating, ratingElements } from './ratings.js';
import type { ExtractedReview, SelectorSet } from './types.js';

/**
 * The second extraction layer: reviews as repeated blocks. Starting from every element that states a
 * rating ("4.0 out of 5 stars", an aria-label, data-rating, ★★★★☆), it climbs to the first ancestor that
 * has siblings of the same shape (tag and classes) and keeps those siblings that each hold a rating and
 * a text block of reasonable length that is not a link. The biggest such group is the page's review
 * list, unless its blocks carry prices (then it is a product grid). It proposes CSS selectors for what it
 * found, which the caller caches per domain.
 */

const MIN_CARDS = 2;

export interface RepeatedResult {
  reviews: ExtractedReview[];
  selectors: SelectorSet | undefined;
}

interface Card {
  el: Element;
  rating: { el: Element; rating: number };
  text: { el: Element; text: string };
}

export function repeatedStructureReviews($: CheerioAPI, pageUrl: string): RepeatedResult {
  const memo = new Map<Element, Card | null>();
  const qualify = (el: Element): Card | null => {
    const hit = memo.get(el);
    if (hit !== undefined) return hit;
    if (inLink(el)) {
      memo.set(el, null);
      return null;
    }
    const rating = cardRating($, el);
    const text = rating ? cardText($, el) : undefined;
    const card = rating && text && !isInside(rating.el, text.el) ? { el, rating, text } : null;
    memo.set(el, card);
    return card;
  };

  const groups = new Map<string, Map<Element, Card>>();
  for (const r of ratingElements($, $('body').length ? $('body') : $.root())) {
    let node: Element = r;
    while (isElement(node.parent) && node.parent.tagName !== 'html') {
      const parent: Element = node.parent;
      const sig = signature(node);
      const siblings = parent.children.filter((c): c is Element => isElement(c) && signature(c) === sig);
      if (siblings.length >= MIN_CARDS) {
        const cards = siblings.map(qualify).filter((c): c is Card => c !== null);
        if (cards.length >= MIN_CARDS) {
          const group = groups.get(sig) ?? new Map<Element, Card>();
          for (const c of cards) group.set(c.el, c);
          groups.set(sig, group);
          break;
        }
      }
      node = parent;
    }
  }

  const candidates: Card[][] = [];
  for (const group of groups.values()) {
    const cards = [...group.values()].filter((c) => !inSkippedTag(c.el));
    if (cards.length < MIN_CARDS) continue;
    // Product tiles have a rating and a name too; they show a price, reviews do not.
    const priced = cards.filter((c) => hasPrice($, c.el)).length;
    if (priced * 2 > cards.length) continue;
    candidates.push(cards);
  }
  candidates.sort((a, b) => b.length - a.length);
  let best = candidates[0] ?? [];
  let single = false;
  if (best.length === 0) {
    best = singleReviews($, pageUrl, qualify);
    single = true;
  }
  if (best.length === 0) return { reviews: [], selectors: undefined };

  const first = best[0] as Card;
  const cardSel = cardSelector($, first.el, best.length);
  const fields = best.map((c) => ({ c, f: cardFields($, c.el, c.text.el, pageUrl) }));
  // Other lists of the same kind (say "top positive" and "top critical" reviews) join the biggest one when
  // most of their blocks name an author or a date, as reviews do.
  const extra: { c: Card; f: ReturnType<typeof cardFields>; sel: string }[] = [];
  for (const cards of candidates.slice(1)) {
    if (cards.some((c) => best.some((b) => isInside(c.el, b.el) || isInside(b.el, c.el)))) continue;
    const f = cards.map((c) => ({ c, f: cardFields($, c.el, c.text.el, pageUrl) }));
    if (f.filter((x) => x.f.author || x.f.date).length * 2 < cards.length) continue;
    const sel = cardSelector($, (cards[0] as Card).el, cards.length);
    for (const x of f) extra.push({ ...x, sel });
  }
  const selectors: SelectorSet = {
    review: cardSel,
    text: vote(best.map((c) => relativeSelector($, c.el, c.text.el))) ?? '*',
    rating: vote(best.map((c) => relativeSelector($, c.el, c.rating.el))),
    title: vote(fields.map(({ c, f }) => (f.title ? relativeSelector($, c.el, f.title.el) : undefined))),
    author: vote(fields.map(({ c, f }) => (f.author ? relativeSelector($, c.el, f.author.el) : undefined))),
    date: vote(fields.map(({ c, f }) => (f.date ? relativeSelector($, c.el, f.date.el) : undefined))),
    photo: vote(fields.flatMap(({ c, f }) => f.photos.map((p) => relativeSelector($, c.el, p.el)))),
  };
  const toReview = ({ c, f }: { c: Card; f: ReturnType<typeof cardFields> }, sel: string): ExtractedReview => ({
    text: c.text.text,
    rating: c.rating.rating,
    title: f.title?.text ?? null,
    author: f.author?.text ?? null,
    date: f.date?.iso ?? null,
    photos: f.photos.map((p) => p.url),
    extractor: 'repeated-structure',
    selector: sel,
  });
  const reviews = [
    ...fields.map((x) => toReview(x, `${cardSel} :: ${selectors.text}`)),
    ...extra.map((x) => toReview(x, `${x.sel} :: ${relativeSelector($, x.c.el, x.c.text.el) ?? '*'}`)),
  ];
  // A lone review proves no repeated shape: its selectors are not worth caching for the domain.
  return { reviews, selectors: single ? undefined : selectors };
}

const REVIEW_HINT = /review|testimonial/;

/**
 * A page with one review has no siblings to compare: a block the markup calls a review, holding a rating,
 * a text and an author or a date, is taken alone (the innermost such block).
 */
function singleReviews($: CheerioAPI, pageUrl: string, qualify: (el: Element) => Card | null): Card[] {
  const found = new Set<Element>();
  for (const r of ratingElements($, $('body').length ? $('body') : $.root())) {
    let node: AnyNode | null = r;
    for (let depth = 0; depth < 8 && isElement(node) && node.tagName !== 'body'; depth++) {
      if (hinted(node, node.parent as Element, REVIEW_HINT)) {
        const card = qualify(node);
        if (card) {
          const f = cardFields($, card.el, card.text.el, pageUrl);
          if (f.author || f.date) found.add(node);
          break;
        }
      }
      node = node.parent;
    }
  }
  const list = [...found].filter((el) => ![...found].some((o) => o !== el && isInside(o, el)));
  return list.map((el) => qualify(el)).filter((c): c is Card => c !== null && !inSkippedTag(c.el));
}

function isInside(a: Element, b: Element): boolean {
  let cur: AnyNode | null = a;
  while (cur) {
    if (cur === b) return true;
    cur = cur.parent;
  }
  return false;
}

function inSkippedTag(el: Element): boolean {
  let cur: AnyNode | null = el;
  while (isElement(cur)) {
    if (SKIP_TAGS.has(cur.tagName)) return true;
    cur = cur.parent;
  }
  return false;
}

/** The most common defined value, or undefined. */
function vote(values: (string | undefined)[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  let n = 0;
  for (const [v, c] of counts) {
    if (c > n) {
      best = v;
      n = c;
    }
  }
  return best;
}

/** A selector matching the review blocks: their `tag.classes`, narrowed by the parent's when that is too broad. */
function cardSelector($: CheerioAPI, card: Element, expected: number): string {
  const own = simpleSelector(card);
  const count = (s: string) => {
    try {
      return $(s).length;
    } catch {
      return -1;
    }
  };
  if (count(own) === expected) return own;
  const parent = card.parent;
  if (isElement(parent)) {
    const p = parent.attribs.id ? `#${cssEscape(parent.attribs.id)}` : simpleSelector(parent);
    const narrowed = `${p} > ${own}`;
    if (count(narrowed) >= expected) return narrowed;
  }
  return own;
}
