import type { CheerioAPI } from 'cheerio';
import { absoluteUrl, clean } from './text.js';

/**
 * Review pagination found by generic cues only: `rel=next`, and links or buttons whose text or label
 * says "next page", "see all reviews", "more reviews" (and the arrows shops use for them).
 */

export const NEXT_WORDS =
  /^(?:next(?:\s+page)?|next\s*[›»>→]|[›»>→]|see\s+all\s+reviews?|see\s+more\s+reviews?|all\s+reviews?|more\s+reviews?|show\s+more\s+reviews?|load\s+more\s+reviews?|read\s+(?:all|more)\s+reviews?|view\s+all\s+reviews?|siguiente|suivant|weiter|n[äa]chste(?:\s+seite)?)(?:\s*[›»>→])?(?:\s*\(\d[\d,.]*\))?$/i;

/** A link or button label that means "more reviews". */
export function isNextLabel(s: string | undefined | null): boolean {
  const t = clean(s);
  return t.length > 0 && t.length <= 40 && NEXT_WORDS.test(t);
}

/** A label that leads to the reviews themselves ("see all reviews"), worth following from any page. */
const REVIEWS_WORDS = /reviews?|rese[ñn]as|avis|bewertungen|recensioni/i;

/**
 * Same-origin URLs of the page's review pagination links (not the page itself). With `reviewsOnly`, only
 * links that say they lead to reviews ("see all reviews"): a bare "next" on a page without reviews is more
 * likely a gallery or the next product.
 */
export function paginationLinks($: CheerioAPI, pageUrl: string, opts: { reviewsOnly?: boolean } = {}): string[] {
  const origin = new URL(pageUrl).origin;
  const self = new URL(pageUrl);
  self.hash = '';
  const out = new Set<string>();
  const add = (href: string | undefined) => {
    const u = absoluteUrl(href, pageUrl);
    if (!u) return;
    const url = new URL(u);
    url.hash = '';
    if (url.origin === origin && url.href !== self.href) out.add(url.href);
  };
  if (!opts.reviewsOnly) $('a[rel~="next"], link[rel~="next"]').each((_, el) => add($(el).attr('href')));
  $('a[href]').each((_, el) => {
    const a = $(el);
    const label = [a.text(), a.attr('aria-label'), a.attr('title')].find((l) => isNextLabel(l));
    if (label !== undefined && (!opts.reviewsOnly || REVIEWS_WORDS.test(label))) add(a.attr('href'));
  });
  return [...out];
}

/** True when the page has a "next"/"more reviews" control a browser can click (a button, or a link without a target). */
export function hasNextButton($: CheerioAPI): boolean {
  let found = false;
  $('button, [role="button"], a:not([href]), a[href^="#"], a[href^="javascript:"]').each((_, el) => {
    const b = $(el);
    if (b.attr('disabled') !== undefined || b.attr('aria-disabled') === 'true') return;
    if (isNextLabel(b.text()) || isNextLabel(b.attr('aria-label'))) found = true;
  });
  return found;
}
