import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildLabelers,
  Ensemble,
  importReviewsJsonl,
  LabelQueue,
  labelUnlabelled,
  MVSA_UNLABELED_SOURCE,
} from '../../src/labeling/index.js';
import { MVSA_IMAGES, SHARED, tempDir } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/** The first 16 real MVSA-Single unlabelled tweets with their photos, labelled by the real ensemble. */
async function fillQueue(srv: RunningServer): Promise<void> {
  const lines = readFileSync(join(SHARED, 'mvsa-single', 'unlabeled.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const file = join(tempDir(), 'pool.jsonl');
  writeFileSync(file, `${lines.slice(0, 16).join('\n')}\n`);
  const rep = await importReviewsJsonl(srv.ctx.meta, srv.ctx.blobs, { data: file, images: MVSA_IMAGES });
  expect(rep.inserted).toBe(16);
  const { labelers } = await buildLabelers(srv.ctx.config, {
    registry: srv.ctx.registry,
    encoders: async () => srv.ctx.encoders as NonNullable<typeof srv.ctx.encoders>,
  });
  // Review threshold 0 and accept 1.01: every review goes to the human queue, so the routes have work.
  const r = await labelUnlabelled(srv.ctx.meta, srv.ctx.blobs, new Ensemble(labelers), {
    thresholds: { accept: 1.01, review: 0 },
  });
  expect(r.queued).toBe(16);
}

function client(srv: RunningServer, headers: Record<string, string> = {}) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${srv.url}${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
  };
}

describe('review queue routes (API keys off)', () => {
  let srv: RunningServer;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    srv = await startServer();
    api = client(srv);
    await fillQueue(srv);
  }, 120_000);
  afterAll(async () => {
    await srv?.close();
  });

  it('lists pending items highest priority first, with photos, suggestion and votes', async () => {
    const r = await api('GET', '/api/queue?status=pending&limit=50&offset=0');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(16);
    expect(r.body.counts).toEqual({ pending: 16, labelled: 0, skipped: 0, discarded: 0 });
    const items = r.body.items as any[];
    expect(items).toHaveLength(16);
    const pr = items.map((i) => i.priority);
    expect([...pr].sort((a, b) => b - a)).toEqual(pr);
    const first = items[0];
    expect(first.photo_url).toMatch(/^\/api\/photos\/[0-9a-f]{64}$/);
    expect(first.thumbnail_url).toBe(`${first.photo_url}/thumbnail`);
    expect(['positive', 'negative', 'neutral']).toContain(first.suggestion.label);
    expect(first.votes.map((v: any) => v.labeler)).toEqual(['classifier', 'lexicon']);
    expect(first).toMatchObject({ status: 'pending', assignee: null, human_label: null, labelled_at: null });
    expect(Number.isNaN(Date.parse(first.created_at))).toBe(false);
    const photo = await fetch(`${srv.url}${first.thumbnail_url}`);
    expect(photo.headers.get('content-type')).toBe('image/jpeg');
    const page = await api('GET', '/api/queue?limit=5&offset=5');
    expect(page.body.items.map((i: any) => i.id)).toEqual(items.slice(5, 10).map((i) => i.id));
  });

  it('refuses a bad status or limit naming the field', async () => {
    const r = await api('GET', '/api/queue?status=done');
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('status');
    const l = await api('GET', '/api/queue?limit=0');
    expect(l.status).toBe(400);
    expect(l.body.error.field).toBe('limit');
  });

  it('claims distinct items for two labellers, and the same one again for the same labeller', async () => {
    const top = (await api('GET', '/api/queue')).body.items as any[];
    const a = await client(srv, { 'x-labeller': 'alice' })('POST', '/api/queue/next', {});
    expect(a.status).toBe(200);
    expect(a.body.item.id).toBe(top[0].id);
    expect(a.body.item.assignee).toBe('alice');
    expect(a.body.progress).toEqual({ done: 0, total: 16 });
    const again = await api('POST', '/api/queue/next', { labeller: 'alice' });
    expect(again.body.item.id).toBe(top[0].id);
    const b = await api('POST', '/api/queue/next', { labeller: 'bob' });
    expect(b.body.item.id).toBe(top[1].id);
    expect(b.body.item.assignee).toBe('bob');
  });

  it('accepts, corrects and skips; a human label is written to the review', async () => {
    const items = (await api('GET', '/api/queue')).body.items as any[];
    const [i0, i1, i2] = items as [any, any, any];
    const acc = await api('POST', `/api/queue/${i0.id}/submit`, { action: 'accept', labeller: 'alice' });
    expect(acc.status).toBe(200);
    expect(acc.body.item).toMatchObject({ status: 'labelled', human_label: i0.suggestion.label, labelled_by: 'alice' });
    expect(Number.isNaN(Date.parse(acc.body.item.labelled_at))).toBe(false);
    const review = await srv.ctx.meta.reviews.get(i0.review_id);
    expect(review).toMatchObject({ label: i0.suggestion.label, labelSource: 'human' });

    const other = ['positive', 'negative', 'neutral'].find((l) => l !== i1.suggestion.label) as string;
    const cor = await api('POST', `/api/queue/${i1.id}/submit`, { action: 'correct', label: other, labeller: 'bob' });
    expect(cor.body.item).toMatchObject({ status: 'labelled', human_label: other, labelled_by: 'bob' });
    expect((await srv.ctx.meta.reviews.get(i1.review_id))?.label).toBe(other);

    const skip = await api('POST', `/api/queue/${i2.id}/submit`, { action: 'skip', labeller: 'bob' });
    expect(skip.body.item.status).toBe('skipped');
    expect((await srv.ctx.meta.reviews.get(i2.review_id))?.label).toBeNull();

    const counts = (await api('GET', '/api/queue?status=all')).body;
    expect(counts.counts).toEqual({ pending: 13, labelled: 2, skipped: 1, discarded: 0 });
    expect(counts.total).toBe(16);
    const labelled = (await api('GET', '/api/queue?status=labelled')).body.items as any[];
    expect(labelled.map((i) => i.id).sort()).toEqual([i0.id, i1.id].sort());

    const audit = await new LabelQueue(srv.ctx.meta).audit(i0.review_id);
    expect(audit.map((a) => a.action)).toEqual(['queued', 'claim', 'accept']);
  });

  it('answers 400 naming label for a correction without one, 400 for an unknown action, 404 for an unknown id', async () => {
    const items = (await api('GET', '/api/queue')).body.items as any[];
    const r = await api('POST', `/api/queue/${items[0].id}/submit`, { action: 'correct' });
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('label');
    const bad = await api('POST', `/api/queue/${items[0].id}/submit`, { action: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('action');
    const badLabel = await api('POST', `/api/queue/${items[0].id}/submit`, { action: 'correct', label: 'great' });
    expect(badLabel.status).toBe(400);
    expect(badLabel.body.error.field).toBe('label');
    const missing = await api('POST', '/api/queue/999999/submit', { action: 'skip' });
    expect(missing.status).toBe(404);
    expect((await api('GET', '/api/queue')).body.counts.pending).toBe(13);
  });

  it('reports work per labeller and agreement between humans and with the model', async () => {
    const labelled = (await api('GET', '/api/queue?status=labelled')).body.items as any[];
    const alices = labelled.find((i) => i.labelled_by === 'alice');
    const other = ['positive', 'negative', 'neutral'].find((l) => l !== alices.human_label) as string;
    // A second person labels the same review differently: one human-human pair, in disagreement.
    await client(srv, { 'x-labeller': 'carol' })('POST', `/api/queue/${alices.id}/submit`, {
      action: 'correct',
      label: other,
    });
    const s = await api('GET', '/api/queue/stats');
    expect(s.status).toBe(200);
    expect(s.body.counts).toEqual({ pending: 13, labelled: 2, skipped: 1, discarded: 0 });
    expect(s.body.by_labeller).toEqual([
      { labeller: 'alice', labelled: 1, skipped: 0 },
      { labeller: 'bob', labelled: 1, skipped: 1 },
      { labeller: 'carol', labelled: 1, skipped: 0 },
    ]);
    expect(s.body.agreement).toEqual({ human_model: 0, human_human: 0, pairs: 1 });
  });

  it('hands out every pending item once, then null', async () => {
    const next = client(srv, { 'x-labeller': 'dave' });
    const seen = new Set<number>();
    for (;;) {
      const r = await next('POST', '/api/queue/next', {});
      if (!r.body.item) {
        expect(r.body.progress.total).toBe(16);
        break;
      }
      expect(seen.has(r.body.item.id)).toBe(false);
      seen.add(r.body.item.id);
      await next('POST', `/api/queue/${r.body.item.id}/submit`, { action: 'accept' });
    }
    // The items alice and bob claimed were answered; dave got every one still pending.
    expect(seen.size).toBe(13);
    const imported = await srv.ctx.meta.reviews.count({ source: MVSA_UNLABELED_SOURCE, labelSource: 'human' });
    expect(imported).toBe(15);
  });
});

describe('review queue routes: requests without a body', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer();
  }, 120_000);
  afterAll(async () => {
    await srv?.close();
  });

  it('answers next with no body and an empty queue: no item, no progress', async () => {
    const res = await fetch(`${srv.url}/api/queue/next`, { method: 'POST', headers: { 'x-labeller': 'zoe' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ item: null, progress: { done: 0, total: 0 } });
    const stats = await (await fetch(`${srv.url}/api/queue/stats`)).json();
    expect(stats).toEqual({
      counts: { pending: 0, labelled: 0, skipped: 0, discarded: 0 },
      by_labeller: [],
      agreement: { human_model: null, human_human: null, pairs: 0 },
    });
  });
});

describe('review queue routes (API keys on)', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ REVIEWLENS_AUTH: 'true' });
    await fillQueue(srv);
  }, 120_000);
  afterAll(async () => {
    await srv?.close();
  });

  it("records the API key's name as the labeller and needs the label scope", async () => {
    const k = await srv.ctx.keys.create({ name: 'erin', scopes: ['label'] });
    const api = client(srv, { authorization: `Bearer ${k.key}`, 'x-labeller': 'someone-else' });
    const n = await api('POST', '/api/queue/next', { labeller: 'not-me' });
    expect(n.status).toBe(200);
    expect(n.body.item.assignee).toBe('erin');
    const s = await api('POST', `/api/queue/${n.body.item.id}/submit`, { action: 'accept' });
    expect(s.body.item.labelled_by).toBe('erin');
    const search = await srv.ctx.keys.create({ name: 'searcher', scopes: ['search'] });
    const denied = await client(srv, { authorization: `Bearer ${search.key}` })('GET', '/api/queue');
    expect(denied.status).toBe(403);
    expect((await client(srv)('GET', '/api/queue/stats')).status).toBe(401);
  });

  it('documents the queue routes in the OpenAPI document', async () => {
    const doc = (await client(srv)('GET', '/api/docs')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/queue', '/api/queue/next', '/api/queue/{id}/submit', '/api/queue/stats']),
    );
  });
});
