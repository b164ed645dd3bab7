import type { CheerioAPI } from 'cheerio';
import { load } from 'cheerio';
import { z } from 'zod';
import { type ChatClient, completeStructured } from '../llm/index.js';
import { applySelectors, type SelectorMatch, selectorsMatch } from './selectors.js';
import type { SelectorSet } from './types.js';

/**
 * The third extraction layer, used only when an LLM is configured and the first two found nothing: send
 * a trimmed HTML snippet of the page, ask for CSS selectors as JSON (validated by zod; invalid answers are
 * asked again by `completeStructured`), and accept them only if they match on the page.
 */

const selector = z.string().trim().min(1).max(300);

export const llmSelectorSchema = z.object({
  /** false when the model sees no customer reviews in the snippet. */
  found: z.boolean(),
  review: selector.optional(),
  text: selector.optional(),
  rating: selector.optional(),
  title: selector.optional(),
  author: selector.optional(),
  date: selector.optional(),
  photo: selector.optional(),
});
export type LlmSelectorAnswer = z.infer<typeof llmSelectorSchema>;

export const SELECTOR_PROMPT =
  'You find customer reviews in the HTML of a web shop page. Answer with one JSON object: ' +
  '{"found": true|false, "review": CSS selector matching one element per customer review, ' +
  '"text": selector of the review text inside that element, "rating": selector of its star rating, ' +
  '"title", "author", "date", "photo": selectors inside the review element, or omit them}. ' +
  'The inner selectors are relative to the review element. Use only classes, ids, tags and attributes present ' +
  'in the HTML. If the page has no customer reviews (product descriptions, Q&A and ratings summaries are not ' +
  'reviews), answer {"found": false}.';

const KEEP_ATTRS = new Set(['class', 'id', 'itemprop', 'itemtype', 'aria-label', 'title', 'datetime', 'alt', 'role']);

/**
 * The page's HTML reduced to its structure: no scripts, styles, head or comments, only the attributes a
 * selector can use, text nodes cut to 120 characters; starting at the first element that mentions
 * reviews when there is one, cut to `maxChars`.
 */
export function trimHtml(html: string, maxChars: number): string {
  const $ = load(html);
  $('script, style, noscript, template, svg, iframe, head, link, meta').remove();
  $('*')
    .contents()
    .each((_, n) => {
      if (n.type === 'comment') $(n).remove();
      else if (n.type === 'text') {
        const t = (n as unknown as { data: string }).data.replace(/\s+/g, ' ');
        (n as unknown as { data: string }).data = t.length > 120 ? `${t.slice(0, 120)}…` : t;
      }
    });
  $('*').each((_, el) => {
    if (el.type !== 'tag') return;
    for (const k of Object.keys(el.attribs)) {
      if (!KEEP_ATTRS.has(k) && !k.startsWith('data-')) delete el.attribs[k];
      else if ((el.attribs[k] ?? '').length > 100) el.attribs[k] = (el.attribs[k] ?? '').slice(0, 100);
    }
  });
  const body = $('body').html() ?? $.root().html() ?? '';
  const compact = body.replace(/>\s+</g, '><');
  const at = compact.search(/<[^>]+(?:class|id|itemprop|data-[\w-]+)="[^"]*review/i);
  const start = at > 0 && compact.length - at > maxChars / 2 ? at : 0;
  return compact.slice(start, start + maxChars);
}

export interface LlmDiscovery {
  selectors: SelectorSet | undefined;
  match: SelectorMatch | undefined;
  /** What happened: accepted, "found none", or why the proposal was refused. */
  note: string;
  attempts: number;
}

/** Asks the LLM for selectors and checks them on the page. Transport errors are thrown to the caller. */
export async function discoverSelectorsWithLlm(
  client: ChatClient,
  $: CheerioAPI,
  html: string,
  pageUrl: string,
  opts: { maxChars?: number; maxAttempts?: number } = {},
): Promise<LlmDiscovery> {
  const snippet = trimHtml(html, opts.maxChars ?? 12_000);
  const res = await completeStructured({
    client,
    schema: llmSelectorSchema,
    what: 'review selectors',
    maxAttempts: opts.maxAttempts ?? 3,
    temperature: 0,
    messages: [
      { role: 'system', content: SELECTOR_PROMPT },
      { role: 'user', content: `Page URL: ${pageUrl}\nHTML:\n${snippet}` },
    ],
  });
  const a = res.value;
  if (!a.found || !a.review || !a.text)
    return { selectors: undefined, match: undefined, note: 'found none', attempts: res.attempts };
  const set: SelectorSet = {
    review: a.review,
    text: a.text,
    rating: a.rating,
    title: a.title,
    author: a.author,
    date: a.date,
    photo: a.photo,
  };
  const match = applySelectors($, set, pageUrl, 'llm');
  if (!selectorsMatch(match)) {
    return {
      selectors: undefined,
      match,
      note: `refused: selectors found ${match.blocks} review blocks, ${match.withText} with text`,
      attempts: res.attempts,
    };
  }
  return { selectors: set, match, note: 'accepted', attempts: res.attempts };
}
