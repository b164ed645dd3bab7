import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'cheerio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverSelectorsWithLlm, StrategyMemory, scoreAgainstGold, trimHtml } from '../../src/ingest/index.js';
import { OpenAIChatClient } from '../../src/llm/index.js';
import { type FakeOpenAI, startFakeOpenAI } from '../llm/fake-openai.js';
import { goldFor } from './gold.js';
import { openStores } from './helpers.js';
import { FIXTURES, type Site, startSite } from './site-server.js';

// The LLM is a stand-in: a local server speaking the OpenAI chat protocol with scripted answers
// (test/llm/fake-openai.ts); no model runs here. The pages and the crawler are real.

const GOOD = JSON.stringify({ found: true, review: 'div.opinion', text: '.op-txt', author: '.op-by' });

let site: Site;
let fake: FakeOpenAI;
beforeAll(async () => {
  site = await startSite();
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
  await site.close();
});

const client = (timeoutMs = 5000) =>
  new OpenAIChatClient({ baseUrl: fake.baseUrl, model: 'selector-model', timeoutMs, maxAttempts: 1, retryBaseMs: 10 });

describe('LLM selector discovery', () => {
  it('sends trimmed HTML, retries after invalid JSON, and accepts selectors that match on the page', async () => {
    const html = readFileSync(join(FIXTURES, 'plain-comments.html'), 'utf8');
    const before = fake.requests.length;
    fake.script({ content: 'Sure! The reviews are in div.opinion.' }, { content: GOOD });
    const d = await discoverSelectorsWithLlm(client(), load(html), html, 'http://127.0.0.1:9/p.html');
    expect(d.note).toBe('accepted');
    expect(d.attempts).toBe(2);
    expect(scoreAgainstGold(d.match?.reviews ?? [], goldFor('plain-comments').reviews)).toMatchObject({
      precision: 1,
      recall: 1,
    });
    expect(d.match?.reviews[0]).toMatchObject({ author: 'Margit', extractor: 'llm', rating: null });
    const sent = fake.requests.slice(before);
    expect(sent).toHaveLength(2);
    const snippet = sent[0]?.body.messages[1].content as string;
    expect(snippet).toContain('class="op-txt"');
    expect(snippet).not.toContain('<!--');
    expect(sent[1]?.body.messages.at(-1).content).toMatch(/not valid JSON/);
  });

  it('refuses selectors that match nothing on the page', async () => {
    const html = readFileSync(join(FIXTURES, 'plain-comments.html'), 'utf8');
    fake.script({ content: JSON.stringify({ found: true, review: 'li.comment', text: 'p' }) });
    const d = await discoverSelectorsWithLlm(client(), load(html), html, 'http://127.0.0.1:9/p.html');
    expect(d.selectors).toBeUndefined();
    expect(d.note).toMatch(/refused: selectors found 0 review blocks/);
  });

  it('trims scripts, styles and long text away and stays under the size asked for', () => {
    const html = readFileSync(join(FIXTURES, 'js-reviews.html'), 'utf8');
    const t = trimHtml(html, 1000);
    expect(t.length).toBeLessThanOrEqual(1000);
    expect(t).not.toMatch(/<script|<style/);
  });
});

describe('the LLM layer inside an ingest run', () => {
  it('finds reviews the other layers cannot, caches the selectors for the domain, and reuses them without asking again', async () => {
    const s = await openStores({ 'ingest.crawler': 'static' });
    fake.script({ content: GOOD });
    const llm = client();
    const first = await s.ingest({ urls: [`${site.url}/fixtures/plain-comments.html`] }, { llm });
    expect(first.reviews.new).toBe(3);
    expect(first.byExtractor).toEqual({ llm: 3 });
    const stored = await s.meta.reviews.list();
    expect(stored.every((r) => (r.provenance as { extractor: string }).extractor === 'llm')).toBe(true);
    const memory = new StrategyMemory(s.meta.db);
    expect(await memory.cachedSelectors('127.0.0.1')).toEqual({
      set: { review: 'div.opinion', text: '.op-txt', author: '.op-by' },
      extractor: 'llm',
    });
    const asked = fake.requests.length;
    const second = await s.ingest({ urls: [`${site.url}/fixtures/plain-comments.html`] }, { llm });
    expect(second.reviews).toEqual({ found: 3, new: 0, duplicate: 3 });
    expect(fake.requests.length).toBe(asked);
    await s.meta.close();
  });

  it('an LLM that never answers is a recorded error, not a crash; the page is still counted', async () => {
    const s = await openStores({ 'ingest.crawler': 'static' });
    fake.script({ hang: true });
    const sum = await s.ingest({ urls: [`${site.url}/fixtures/plain-comments.html`] }, { llm: client(300) });
    expect(sum.pages).toBe(1);
    expect(sum.reviews.found).toBe(0);
    expect(sum.errors).toHaveLength(1);
    expect(sum.errors[0]?.message).toMatch(/^LLM selector discovery: .*unavailable/);
    await s.meta.close();
  });
});

describe('bandit and LLM proposals', () => {
  it('with no URL, crawls the sources the bandit picks plus accepted LLM proposals, and logs every proposal with its reason', async () => {
    const s = await openStores({ 'ingest.crawler': 'static', 'ingest.banditSources': 1 });
    await expect(s.ingest({})).rejects.toThrow(/nothing to crawl/);
    await s.ingest({ urls: [`${site.url}/shared/etsy.html`] });
    fake.script({
      content: JSON.stringify({
        proposals: [
          {
            kind: 'source',
            url: `${site.url}/fixtures/stars-markup.html`,
            reason: 'another product of a shop that gave reviews',
          },
          { kind: 'deep-crawl', url: 'mailto:someone@example.com', reason: 'not a page' },
        ],
      }),
    });
    const sum = await s.ingest({}, { llm: client() });
    expect(sum.mode).toBe('bandit');
    expect(sum.sources).toEqual([`${site.url}/shared/etsy.html`, `${site.url}/fixtures/stars-markup.html`]);
    expect(sum.reviews).toMatchObject({ new: 3, duplicate: 4 });
    const memory = new StrategyMemory(s.meta.db);
    const logged = await memory.proposals();
    expect(logged.map((p) => [p.kind, p.accepted, p.reason])).toEqual([
      ['deep-crawl', false, 'not a page'],
      ['source', true, 'another product of a shop that gave reviews'],
    ]);
    expect(logged[0]?.note).toBe('not an http(s) URL');
    expect((await memory.sources()).find((x) => x.url.endsWith('stars-markup.html'))?.addedBy).toBe('llm');
    await s.meta.close();
  });
});
