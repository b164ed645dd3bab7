import { z } from 'zod';
import { type ChatClient, completeStructured } from '../llm/index.js';
import type { SourceStats, StrategyMemory } from './memory.js';

/**
 * With an LLM configured, the bandit's choice can be widened: the LLM sees the sources' statistics and
 * may propose new sources or deep crawls of known ones, each with a reason. Every proposal is logged in
 * the strategy memory with its reason and whether it was taken (http(s) URLs only, at most `max`).
 */

export const proposalSchema = z.object({
  proposals: z
    .array(
      z.object({
        kind: z.enum(['source', 'deep-crawl']),
        url: z.string().min(1).max(2000),
        reason: z.string().min(1).max(1000),
      }),
    )
    .max(20),
});

export const PROPOSAL_PROMPT =
  'You plan the next crawl of a review-collecting agent. You get statistics per source page: crawls, pages ' +
  'fetched, new reviews per page, duplicate rate, error rate, last success. Propose up to 3 pages worth ' +
  'crawling next: "source" for a new page (for example another product page of a productive shop) or ' +
  '"deep-crawl" for a known source whose reviews continue on more pages. Answer one JSON object ' +
  '{"proposals": [{"kind": "source"|"deep-crawl", "url": "...", "reason": "..."}]}; an empty list is fine.';

export interface Proposal {
  kind: 'source' | 'deep-crawl';
  url: string;
  reason: string;
}

export async function proposeSources(
  client: ChatClient,
  memory: StrategyMemory,
  stats: SourceStats[],
  max = 3,
): Promise<Proposal[]> {
  const table = stats.slice(0, 50).map((s) => ({
    url: s.url,
    crawls: s.crawls,
    pages: s.pagesFetched,
    new_per_page: Number(s.newPerPage.toFixed(2)),
    duplicate_rate: Number(s.duplicateRate.toFixed(2)),
    error_rate: Number(s.errorRate.toFixed(2)),
    last_success: s.lastSuccessAt?.toISOString() ?? null,
  }));
  const res = await completeStructured({
    client,
    schema: proposalSchema,
    what: 'crawl proposals',
    temperature: 0,
    messages: [
      { role: 'system', content: PROPOSAL_PROMPT },
      { role: 'user', content: JSON.stringify({ sources: table }) },
    ],
  });
  const accepted: Proposal[] = [];
  for (const p of res.value.proposals) {
    let note: string | undefined;
    try {
      const u = new URL(p.url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') note = 'not an http(s) URL';
    } catch {
      note = 'not a URL';
    }
    if (!note && accepted.length >= max) note = `over the limit of ${max} proposals per crawl`;
    if (!note && accepted.some((a) => a.url === p.url)) note = 'proposed twice';
    const ok = note === undefined;
    await memory.logProposal({ ...p, accepted: ok, model: client.model, ...(note ? { note } : {}) });
    if (ok) accepted.push({ ...p, url: new URL(p.url).href });
  }
  return accepted;
}
