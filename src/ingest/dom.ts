import type { CheerioAPI } from 'cheerio';
import type { AnyNode, Element } from 'domhandler';
import { absoluteUrl, clean, findDate, parseRatingText } from './text.js';

/**
 * Generic DOM readers for review blocks: where a block's text, title, author, date and photos are, judged
 * by shape and by words any shop might use in its markup (never by a shop's own names). Ratings are read
 * in ratings.ts, selectors written in css.ts.
 */

export const SKIP_TAGS = new Set(['script', 'style', 'noscript', 'template', 'svg', 'iframe', 'head']);
const INLINE = new Set([
  'span',
  'b',
  'i',
  'em',
  'strong',
  'br',
  'a',
  'u',
  'small',
  'mark',
  'sup',
  'sub',
  'q',
  'abbr',
  'wbr',
  'font',
]);

export const isElement = (n: AnyNode | null | undefined): n is Element =>
  !!n && (n.type === 'tag' || n.type === 'script' || n.type === 'style');

export function classes(el: Element): string[] {
  return (el.attribs.class ?? '').split(/\s+/).filter(Boolean).sort();
}

/** Tag and sorted classes: the "shape" sibling review blocks share. */
export function signature(el: Element): string {
  return [el.tagName, ...classes(el)].join('.');
}

/** Every attribute name and value and the class list of an element, lower-cased, for hint words. */
function hintText(el: Element): string {
  return (
    Object.entries(el.attribs)
      .filter(([k]) => k !== 'href' && k !== 'src' && k !== 'style' && !k.startsWith('on'))
      // Long or JSON-like values are data, not names (a popup's config mentioning "title" is no title).
      .map(([k, v]) => (v.length > 80 || /[{}[\]]/.test(v) ? k : `${k} ${v}`))
      .join(' ')
      .toLowerCase()
  );
}

/** True when `el` or an ancestor up to (not including) `stop` carries a hint matching `re`. */
export function hinted(el: Element, stop: Element, re: RegExp): boolean {
  let cur: AnyNode | null = el;
  while (isElement(cur) && cur !== stop) {
    if (re.test(hintText(cur))) return true;
    cur = cur.parent;
  }
  return false;
}

function within(el: Element, stop: Element, tag: string): boolean {
  let cur: AnyNode | null = el;
  while (isElement(cur) && cur !== stop) {
    if (cur.tagName === tag) return true;
    cur = cur.parent;
  }
  return false;
}

export function inSkipped(el: Element, stop: Element): boolean {
  let cur: AnyNode | null = el.parent;
  while (isElement(cur) && cur !== stop) {
    if (SKIP_TAGS.has(cur.tagName)) return true;
    cur = cur.parent;
  }
  return false;
}

/** Text of an element without its script/style/noscript descendants, whitespace collapsed. */
export function visibleText(_$: CheerioAPI, el: Element): string {
  const parts: string[] = [];
  const visit = (n: AnyNode) => {
    if (n.type === 'text') parts.push((n as unknown as { data: string }).data);
    else if (isElement(n) && !SKIP_TAGS.has(n.tagName)) {
      if (n.tagName === 'br' || !INLINE.has(n.tagName)) parts.push(' ');
      for (const c of n.children) visit(c);
      if (!INLINE.has(n.tagName)) parts.push(' ');
    }
  };
  visit(el);
  return clean(parts.join(''));
}

const MIN_TEXT = 15;

/** The text of `el`'s own text nodes and inline children, leaving its block children out. */
function inlineText($: CheerioAPI, el: Element): string {
  const parts: string[] = [];
  for (const c of el.children) {
    if (c.type === 'text') parts.push((c as unknown as { data: string }).data);
    else if (isElement(c) && INLINE.has(c.tagName) && allInline(c)) parts.push(visibleText($, c));
    else parts.push(' ');
  }
  return clean(parts.join(''));
}

/** True when every element below `el` (skipped tags aside) is inline, so its text reads as one block. */
function allInline(el: Element): boolean {
  for (const k of el.children) {
    if (!isElement(k) || SKIP_TAGS.has(k.tagName)) continue;
    if (!INLINE.has(k.tagName) || !allInline(k)) return false;
  }
  return true;
}

/** Blocks of text inside `card`: elements whose children are all inline, with their text. */
export function textBlocks($: CheerioAPI, card: Element): { el: Element; text: string }[] {
  const out: { el: Element; text: string }[] = [];
  const visit = (el: Element) => {
    if (SKIP_TAGS.has(el.tagName) || el.tagName === 'button' || el.tagName === 'select') return;
    const kids = el.children.filter(isElement);
    if (allInline(el)) {
      const text = visibleText($, el);
      if (text) out.push({ el, text });
      return;
    }
    // Mixed content (`<article><h6>Your review:</h6>The text itself...</article>`): the element's own
    // text and inline children form a block of their own, beside its block children.
    const own = inlineText($, el);
    if (own.length >= MIN_TEXT) out.push({ el, text: own });
    for (const k of kids) visit(k);
  };
  for (const k of card.children.filter(isElement)) visit(k);
  if (out.length === 0 && allInline(card)) {
    const text = visibleText($, card);
    if (text) out.push({ el: card, text });
  }
  return out;
}

const PRICE = /^(?:[$€£¥₹]\s?\d[\d.,]*|\d[\d.,]*\s?(?:[$€£]|USD|EUR|GBP))$/i;

/** The review text of a block: its longest text block that is not a link, a rating, a date or a price. */
export function cardText($: CheerioAPI, card: Element): { el: Element; text: string } | undefined {
  let best: { el: Element; text: string; score: number } | undefined;
  for (const b of textBlocks($, card)) {
    if (b.text.length < MIN_TEXT || b.text.split(' ').length < 3) continue;
    if (within(b.el, card, 'a') && b.el !== card) continue;
    if (parseRatingText(b.text) !== null && b.text.length < 40) continue;
    if (PRICE.test(b.text) || hinted(b.el, card, NOT_BODY_HINT)) continue;
    if (LABELLED.test(b.text) || (b.text.length < 40 && findDate(b.text))) continue;
    // A block the markup calls the body/text/content wins over a longer one it does not.
    const score = b.text.length * (hinted(b.el, card, BODY_HINT) ? 4 : 1);
    if (!best || score > best.score) best = { ...b, score };
  }
  if (!best) return undefined;
  // A text written as several paragraphs: take the container of the paragraphs, not the longest one.
  const parent = best.el.parent;
  if (best.el.tagName === 'p' && isElement(parent) && parent !== card) {
    const kids = parent.children.filter(isElement);
    if (kids.length > 1 && kids.every((k) => k.tagName === 'p' || k.tagName === 'br' || INLINE.has(k.tagName))) {
      return { el: parent, text: visibleText($, parent) };
    }
  }
  return { el: best.el, text: best.text };
}

/** A field's text without its label: "Reviewer: Fritz" -> "Fritz" (other text unchanged). */
export function stripAuthorLabel(text: string): string {
  return AUTHOR_LABEL.exec(text)?.[1] ?? text;
}

const BODY_HINT = /body|text|content|description|message|comment/;
/** "Reviewer: NAME", "Date: ...", "Posted by NAME": a labelled field, not the review text. */
const LABELLED =
  /^(?:reviewer|reviewed\s+by|posted\s+by|written\s+by|author|name|by|date|posted|reviewed\s+on|location|from)\s*:/i;
const AUTHOR_LABEL =
  /^(?:reviewer|reviewed\s+by|posted\s+by|written\s+by|author|name|by)\s*:?\s+(.{1,60}?)(?:\s+(?:on|date:?)\s+.*)?$/i;
const NOT_BODY_HINT = /vote|helpful|feedback|report|abuse|share|translat|disclaimer|response-from|reply/;

const PRICE_IN = /(?:[$€£¥₹]\s?\d|\d[\d.,]*\s?(?:€|EUR|USD|GBP|zł|kr|CHF)\b)/i;

/** True when a short block holds a price (product tiles do; reviews rarely have a short block with one). */
export function hasPrice($: CheerioAPI, card: Element): boolean {
  return textBlocks($, card).some((b) => PRICE.test(b.text) || (b.text.length <= 40 && PRICE_IN.test(b.text)));
}

/** True when `el` is a link or inside one: a review is never a link as a whole, a product tile often is. */
export function inLink(el: Element): boolean {
  let cur: AnyNode | null = el;
  while (isElement(cur)) {
    if (cur.tagName === 'a') return true;
    cur = cur.parent;
  }
  return false;
}

const TITLE_HINT = /title|headline|summary|subject|heading/;
const AUTHOR_HINT = /author|reviewer|user-?name|nick|byline|profile-name|customer-name|\bname\b|\bby\b|\bwho\b/;
const AVATAR_HINT = /avatar|profile|icon|logo|badge|sprite|flag/;

export interface CardFields {
  title: { el: Element; text: string } | undefined;
  author: { el: Element; text: string } | undefined;
  date: { el: Element; text: string; iso: string } | undefined;
  photos: { el: Element; url: string }[];
}

/** Title, author, date and photos of a review block, by hint words and shape. */
export function cardFields($: CheerioAPI, card: Element, body: Element, pageUrl: string): CardFields {
  const blocks = textBlocks($, card).filter((b) => b.el !== body && !$(b.el).find(body).length);
  const short = blocks.filter((b) => b.text.length <= 200 && b.text !== '');
  // Inline elements count too: a title is often a link or a span next to the stars.
  const named: { el: Element; text: string; beforeBody: boolean }[] = [];
  let beforeBody = true;
  $(card)
    .find('*')
    .each((_, el) => {
      if (el === body) beforeBody = false;
      if (!isElement(el) || SKIP_TAGS.has(el.tagName) || el === body || isAncestor(el, body) || isAncestor(body, el))
        return;
      const text = visibleText($, el);
      if (text && text.length <= 200 && parseRatingText(text) === null) named.push({ el, text, beforeBody });
    });
  const ownHint = (el: Element, re: RegExp) => hinted(el, el.parent as Element, re);
  // Named a title; else a heading; else bold text before the review text.
  const title =
    named.find((b) => ownHint(b.el, TITLE_HINT)) ??
    short.find((b) => /^h[1-6]$/.test(b.el.tagName) && !/:$/.test(b.text)) ??
    named.find(
      (b) =>
        b.beforeBody &&
        (b.el.tagName === 'strong' || b.el.tagName === 'b') &&
        b.text.length <= 100 &&
        !findDate(b.text),
    );
  // A labelled field ("Reviewer: NAME"), else the innermost (shortest) element named like an author
  // ("by NAME on DATE" wrappers lose to NAME), else a byline.
  let author: CardFields['author'] = short
    .map((b) => ({ el: b.el, m: AUTHOR_LABEL.exec(b.text) }))
    .filter((x) => x.m?.[1] && !/^by\s/i.test(x.m[0]))
    .map((x) => ({ el: x.el, text: x.m?.[1] ?? '' }))[0];
  author ??= named
    .filter(
      (b) => b.text !== title?.text && b.text.length <= 60 && ownHint(b.el, AUTHOR_HINT) && !ownHint(b.el, TITLE_HINT),
    )
    .sort((a, b) => a.text.length - b.text.length)[0];
  if (!author) {
    // A byline: "by NAME" or "by NAME on DATE".
    for (const b of short) {
      const m = /^(?:by|von|par|por|di)\s+(.{1,60}?)(?:\s+(?:on|am|le|el|il)\s+.*)?$/i.exec(b.text);
      if (m?.[1]) {
        author = { el: b.el, text: m[1] };
        break;
      }
    }
  }
  let date: CardFields['date'];
  const time = $(card).find('time[datetime]').first();
  if (time.length) {
    const el = time[0] as Element;
    date = { el, text: clean(time.text()), iso: findDate(el.attribs.datetime) ?? el.attribs.datetime ?? '' };
  } else {
    for (const b of short) {
      if (b.text.length > 80) continue;
      const iso = findDate(b.text);
      if (iso) {
        date = { el: b.el, text: b.text, iso };
        break;
      }
    }
  }
  const photos: { el: Element; url: string }[] = [];
  const seen = new Set<string>();
  $(card)
    .find('img')
    .each((_, img) => {
      if (!isElement(img) || hinted(img, card, AVATAR_HINT)) return;
      const a = img.attribs;
      const w = Number(a.width);
      const h = Number(a.height);
      if ((Number.isFinite(w) && w > 0 && w < 40) || (Number.isFinite(h) && h > 0 && h < 40)) return;
      // The largest candidate of a srcset, else lazy-loading attributes, else src.
      const srcset = (a['data-srcset'] ?? a.srcset ?? '').split(',').pop()?.trim().split(/\s+/)[0] || undefined;
      const src = a['data-src'] || a['data-lazy-src'] || a['data-original'] || srcset || a.src;
      const url = absoluteUrl(src, pageUrl);
      if (!url || /\.gif(?:$|\?)/i.test(url) || seen.has(url)) return;
      seen.add(url);
      photos.push({ el: img, url });
    });
  return { title, author, date, photos };
}

function isAncestor(a: Element, b: Element): boolean {
  let cur: AnyNode | null = b.parent;
  while (cur) {
    if (cur === a) return true;
    cur = cur.parent;
  }
  return false;
}
