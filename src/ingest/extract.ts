import { type CheerioAPI, load } from 'cheerio';
import type { ChatClient } from '../llm/index.js';
import { jsonStateReviews } from './json-state.js';
import { discoverSelectorsWithLlm } from './llm-selectors.js';
import { repeatedStructureReviews } from './repeated-structure.js';
import { applySelectors, selectorsMatch } from './selectors.js';
import { jsonLdReviews, microdataReviews } from './structured-data.js';
import { clean } from './text.js';
import type { ExtractedReview, PageExtraction, SelectorSet } from './types.js';

export interface CachedSelectors {
  set: SelectorSet;
  extractor: 'repeated-structure' | 'llm';
}

export interface ExtractOptions {
  /** Selectors cached for the page's domain: tried before discovering new ones. */
  cached?: CachedSelectors | undefined;
  /** When given, the LLM layer runs if no other layer found reviews. */
  llm?: ChatClient | undefined;
  llmMaxChars?: number;
  llmMaxAttempts?: number;
  /** The page already parsed (the crawler parses it once). */
  $?: CheerioAPI | undefined;
}

export interface Extraction extends PageExtraction {
  /** The cached selectors were tried and no longer match (the caller re-validates or drops them). */
  cacheStale: boolean;
  /** The LLM layer failed (server down, no valid answer); the page is kept with what other layers found. */
  llmError?: string | undefined;
}

/**
 * Every review on a page, by the first layer that finds any: schema.org JSON-LD, microdata, the
 * domain's cached selectors, repeated-structure detection in the DOM, then in the page's embedded JSON
 * state, then (when configured) LLM selector discovery.
 * No layer knows any shop: they read structure, schema.org and generic words only.
 */
export async function extractReviews(html: string, pageUrl: string, opts: ExtractOptions = {}): Promise<Extraction> {
  const $ = opts.$ ?? load(html);
  const trace: PageExtraction['trace'] = [];
  const ld = jsonLdReviews($, pageUrl);
  const md = microdataReviews($, pageUrl);
  const product = ld.product || md.product || pageProduct($);
  const done = (reviews: ExtractedReview[], extra: Partial<Extraction> = {}): Extraction => ({
    reviews: dedupe(reviews),
    product,
    trace,
    cacheStale: false,
    ...extra,
  });

  trace.push({ layer: 'json-ld', found: ld.reviews.length });
  if (ld.reviews.length) return done(ld.reviews);
  trace.push({ layer: 'microdata', found: md.reviews.length });
  if (md.reviews.length) return done(md.reviews);

  let cacheStale = false;
  if (opts.cached) {
    const m = applySelectors($, opts.cached.set, pageUrl, opts.cached.extractor);
    const ok = selectorsMatch(m);
    trace.push({ layer: 'cached-selectors', found: ok ? m.reviews.length : 0, note: ok ? undefined : 'no match' });
    if (ok) return done(m.reviews, { selectors: opts.cached });
    cacheStale = true;
  }

  const rep = repeatedStructureReviews($, pageUrl);
  trace.push({ layer: 'repeated-structure', found: rep.reviews.length });
  if (rep.reviews.length) {
    const selectors = rep.selectors ? { set: rep.selectors, extractor: 'repeated-structure' as const } : undefined;
    return done(rep.reviews, { selectors, cacheStale });
  }

  const state = jsonStateReviews($, pageUrl);
  trace.push({ layer: 'json-state', found: state.length });
  if (state.length) return done(state, { cacheStale });

  if (opts.llm) {
    try {
      const d = await discoverSelectorsWithLlm(opts.llm, $, html, pageUrl, {
        ...(opts.llmMaxChars ? { maxChars: opts.llmMaxChars } : {}),
        ...(opts.llmMaxAttempts ? { maxAttempts: opts.llmMaxAttempts } : {}),
      });
      trace.push({ layer: 'llm', found: d.selectors ? (d.match?.reviews.length ?? 0) : 0, note: d.note });
      if (d.selectors && d.match) {
        return done(d.match.reviews, { selectors: { set: d.selectors, extractor: 'llm' }, cacheStale });
      }
    } catch (e) {
      const msg = (e as Error).message;
      trace.push({ layer: 'llm', found: 0, note: `failed: ${msg}` });
      return done([], { cacheStale, llmError: msg });
    }
  } else {
    trace.push({ layer: 'llm', found: 0, note: 'no LLM configured' });
  }
  return done([], { cacheStale });
}

/**
 * What the page is about: og:title; else the h1 that shares most words with the document title (pages
 * carry other h1s in dialogs and banners); else the title's longest part; else the first h1.
 */
function pageProduct($: CheerioAPI): string | null {
  const og = clean($('meta[property="og:title"]').attr('content'));
  if (og) return og.slice(0, 300);
  const title = clean($('title').first().text());
  const words = (s: string) => new Set(s.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []);
  const titleWords = words(title);
  let best: { text: string; shared: number } | undefined;
  $('h1').each((_, el) => {
    const text = clean($(el).text());
    if (!text) return;
    const shared = [...words(text)].filter((w) => titleWords.has(w)).length;
    if (!best || shared > best.shared) best = { text, shared };
  });
  const found = best as { text: string; shared: number } | undefined;
  if (found && found.shared >= 2) return found.text.slice(0, 300);
  if (title) {
    const parts = title
      .split(/\s+[|–—-]\s+|\s*\|\s*/)
      .map(clean)
      .filter(Boolean);
    return (parts.sort((a, b) => b.length - a.length)[0] ?? title).slice(0, 300);
  }
  const h1 = clean($('h1').first().text());
  return h1 ? h1.slice(0, 300) : null;
}

function dedupe(reviews: ExtractedReview[]): ExtractedReview[] {
  const seen = new Set<string>();
  return reviews.filter((r) => {
    const k = r.text.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
