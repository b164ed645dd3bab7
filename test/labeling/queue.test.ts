import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewContentId } from '../../src/core/ids.js';
import {
  Ensemble,
  importReviewsJsonl,
  LabelQueue,
  LexiconLabeler,
  labelUnlabelled,
  MVSA_UNLABELED_SOURCE,
} from '../../src/labeling/index.js';
import { LocalBlobStore, MetadataStore } from '../../src/storage/index.js';
import { MVSA_IMAGES, SHARED, tempDir } from '../helpers/paths.js';

const lines = readFileSync(join(SHARED, 'mvsa-single', 'unlabeled.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean);

let meta: MetadataStore;
let blobs: LocalBlobStore;
beforeAll(async () => {
  meta = await MetadataStore.open({ url: 'memory://' });
  blobs = new LocalBlobStore(join(tempDir(), 'blobs'));
});
afterAll(async () => {
  await meta?.close();
});

describe('import of the unlabelled pool', () => {
  it('stores real MVSA tweets with their photos, skips bad rows, records missing photos, and is idempotent', async () => {
    const file = join(tempDir(), 'pool.jsonl');
    const bad = ['not json', JSON.stringify({ id: 'x', text: '   ', image: 'images/5.jpg' })];
    const noPhoto = JSON.stringify({
      id: 'y',
      text: 'A tweet whose photo is gone',
      image: 'images/does-not-exist.jpg',
    });
    writeFileSync(file, [...lines.slice(0, 30), ...bad, noPhoto, lines[0]].join('\n'));
    const r = await importReviewsJsonl(meta, blobs, { data: file, images: MVSA_IMAGES });
    expect(r).toMatchObject({ rows: 34, inserted: 31, duplicates: 0, repeated: 1, withPhoto: 31 });
    expect(r.skipped.map((s) => s.reason)).toEqual(['not valid JSON', 'no text']);
    expect(r.photoMissing).toHaveLength(1);
    const first = JSON.parse(lines[0] as string) as { text: string; image: string };
    const photo = readFileSync(join(MVSA_IMAGES, first.image.split('/').pop() as string));
    const { sha256 } = await import('../../src/core/ids.js');
    const stored = await meta.reviews.get(reviewContentId({ text: first.text }, sha256(photo)));
    expect(stored).toMatchObject({ source: MVSA_UNLABELED_SOURCE, label: null });
    expect(await blobs.has(stored?.photoBlobs[0] as string)).toBe(true);
    const again = await importReviewsJsonl(meta, blobs, { data: file, images: MVSA_IMAGES });
    expect(again).toMatchObject({ inserted: 0, duplicates: 31 });
  });
});

describe('gating into the queue', () => {
  it('accepts confident labels onto the review, queues the middle band, discards the rest; a re-run does nothing', async () => {
    const queue = new LabelQueue(meta);
    const before = await queue.unlabelledReviewIds(1000);
    expect(before).toHaveLength(31);
    const ens = new Ensemble([new LexiconLabeler()]);
    const t = { accept: 0.8, review: 0.55 };
    const r = await labelUnlabelled(meta, blobs, ens, { thresholds: t, batchSize: 10 });
    expect(r.considered).toBe(31);
    expect(r.accepted + r.queued + r.discarded).toBe(31);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.queued).toBeGreaterThan(0);
    expect(r.discarded).toBeGreaterThan(0);
    const auto = await meta.reviews.list({ labelSource: 'auto' });
    expect(auto).toHaveLength(r.accepted);
    const counts = await queue.counts();
    expect(counts).toEqual({ pending: r.queued, labelled: 0, skipped: 0, discarded: r.discarded });
    // Every decision is stored with its votes and the thresholds.
    const decisions = await meta.db.selectFrom('label_decisions').selectAll().execute();
    expect(decisions).toHaveLength(31);
    for (const d of decisions) {
      expect((d.votes as Array<{ labeler: string }>)[0]?.labeler).toBe('lexicon');
      expect(d.thresholds).toEqual(t);
      expect(d.decision === 'accepted').toBe(d.confidence >= 0.8);
    }
    const again = await labelUnlabelled(meta, blobs, ens, { thresholds: t });
    expect(again.considered).toBe(0);
    expect(await meta.db.selectFrom('label_decisions').select('id').execute()).toHaveLength(31);
  });

  it('submits: accept takes the suggestion, correct needs a valid label, unknown ids are not found; all audited', async () => {
    const queue = new LabelQueue(meta);
    const { items } = await queue.list({ status: 'pending' });
    const first = items[0];
    if (!first) throw new Error('no pending item');
    await expect(queue.submit(first.id, 'ann', 'correct')).rejects.toMatchObject({ statusCode: 400, field: 'label' });
    await expect(queue.submit(first.id, 'ann', 'correct', 'great')).rejects.toMatchObject({ field: 'label' });
    await expect(queue.submit(987654, 'ann', 'skip')).rejects.toMatchObject({ statusCode: 404 });
    const done = await queue.submit(first.id, 'ann', 'accept');
    expect(done).toMatchObject({ status: 'labelled', human_label: first.suggestion.label, labelled_by: 'ann' });
    expect(await meta.reviews.get(first.review_id)).toMatchObject({
      label: first.suggestion.label,
      labelSource: 'human',
    });
    const trail = await queue.audit(first.review_id);
    expect(trail.map((a) => [a.action, a.actor])).toEqual([
      ['queued', 'labeling-agent'],
      ['accept', 'ann'],
    ]);
    const stats = await queue.stats();
    expect(stats.agreement).toEqual({ human_model: 1, human_human: null, pairs: 0 });
  });
});
