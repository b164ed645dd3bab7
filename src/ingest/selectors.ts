import type { CheerioAPI } from 'cheerio';
import type { Element } from 'domhandler';
import { cardFields, isElement, stripAuthorLabel, visibleText } from './dom.js';
import { cardRating, ownRating } from './ratings.js';
import { absoluteUrl, clean, findDate } from './text.js';
import type { ExtractedReview, SelectorSet } from './types.js';

/**
 * Reads reviews with a SelectorSet (cached for the domain, or proposed by an LLM). A set "matches" a
 * page when its review selector finds blocks and its text selector finds text in at least half of them;
 * anything less is treated as no match (the set is stale or wrong), never as reviews.
 */

function safeFind($: CheerioAPI, root: Element | undefined, sel: string | undefined): Element[] {
  if (!sel) return [];
  try {
    const found = root ? $(root).find(sel) : $(sel);
    return found.toArray().filter(isElement);
  } catch {
    return [];
  }
}

export interface SelectorMatch {
  reviews: ExtractedReview[];
  /** Review blocks the set found, and how many of them had text. */
  blocks: number;
  withText: number;
}

export function applySelectors(
  $: CheerioAPI,
  set: SelectorSet,
  pageUrl: string,
  extractor: 'repeated-structure' | 'llm',
): SelectorMatch {
  const blocks = safeFind($, undefined, set.review);
  const reviews: ExtractedReview[] = [];
  for (const card of blocks) {
    const textEl = safeFind($, card, set.text)[0] ?? (set.text === '*' ? card : undefined);
    const text = textEl ? visibleText($, textEl) : '';
    if (!text) continue;
    const ratingEl = safeFind($, card, set.rating)[0];
    const rating = (ratingEl ? (ownRating($, ratingEl) ?? firstRating($, ratingEl)) : null) ?? null;
    const field = (sel: string | undefined) => {
      const el = safeFind($, card, sel)[0];
      return el ? clean(visibleText($, el)) || null : null;
    };
    const dateEl = safeFind($, card, set.date)[0];
    const dateText = dateEl ? (dateEl.attribs.datetime ?? visibleText($, dateEl)) : '';
    let photos = safeFind($, card, set.photo)
      .map((img) => absoluteUrl(img.attribs['data-src'] ?? img.attribs.src, pageUrl))
      .filter((u): u is string => !!u);
    if (!set.photo) photos = textEl ? cardFields($, card, textEl, pageUrl).photos.map((p) => p.url) : [];
    reviews.push({
      text,
      rating,
      title: field(set.title),
      author: ((a) => (a ? stripAuthorLabel(a) : null))(field(set.author)),
      date: dateText ? (findDate(dateText) ?? clean(dateText)) : null,
      photos: [...new Set(photos)],
      extractor,
      selector: `${set.review} :: ${set.text}`,
    });
  }
  return { reviews, blocks: blocks.length, withText: reviews.length };
}

function firstRating($: CheerioAPI, el: Element): number | null {
  return cardRating($, el)?.rating ?? null;
}

/** True when the set finds review blocks and text in at least half of them. */
export function selectorsMatch(m: SelectorMatch): boolean {
  return m.blocks > 0 && m.withText > 0 && m.withText * 2 >= m.blocks;
}
