import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { SENTIMENTS, type Sentiment } from '../core/types.js';
import { type Database, type MetadataStore, ReviewStore } from '../storage/index.js';
import type { EnsembleResult } from './ensemble.js';
import { type Decision, QUEUE_STATUSES, type QueueStatus, type Thresholds, type Vote } from './types.js';

/** A queue item as the API and the CLI show it (snake_case, the web UI's contract). */
export interface QueueItem {
  id: number;
  review_id: string;
  text: string;
  photo_url: string | null;
  thumbnail_url: string | null;
  suggestion: { label: string; confidence: number };
  votes: Array<{ labeler: string; label: string; confidence: number }>;
  priority: number;
  status: QueueStatus;
  assignee: string | null;
  human_label: string | null;
  labelled_by: string | null;
  labelled_at: string | null;
  created_at: string;
}

export type QueueCounts = Record<QueueStatus, number>;
export type SubmitAction = 'accept' | 'correct' | 'skip';

export interface QueueStats {
  counts: QueueCounts;
  by_labeller: Array<{ labeller: string; labelled: number; skipped: number }>;
  agreement: { human_model: number | null; human_human: number | null; pairs: number };
}

type Row = Selectable<Database['label_queue']> & { text: string; photo_blobs: string[] };

/** Where a stored photo and its thumbnail are served (see server/retrieval-routes.ts). */
export const photoUrl = (blobId: string) => `/api/photos/${blobId}`;
export const photoThumbnailUrl = (blobId: string) => `/api/photos/${blobId}/thumbnail`;

function toItem(r: Row): QueueItem {
  const photo = r.photo_blobs[0];
  return {
    id: r.id,
    review_id: r.review_id,
    text: r.text,
    photo_url: photo ? photoUrl(photo) : null,
    thumbnail_url: photo ? photoThumbnailUrl(photo) : null,
    suggestion: { label: r.suggestion_label, confidence: r.suggestion_confidence },
    votes: (r.votes as Vote[]).map((v) => ({
      labeler: v.labeler,
      label: v.label ?? 'none',
      confidence: v.confidence,
    })),
    priority: r.priority,
    status: r.status as QueueStatus,
    assignee: r.assignee,
    human_label: r.human_label,
    labelled_by: r.labelled_by,
    labelled_at: r.labelled_at ? new Date(r.labelled_at).toISOString() : null,
    created_at: new Date(r.created_at).toISOString(),
  };
}

/**
 * The human review queue and the record of every gating decision, in the metadata store. Every change
 * (a decision, a claim, a human label) is one transaction that also appends to the audit trail; a human
 * label is written to the review itself (label source `human`), an accepted auto-label as `auto`.
 */
export class LabelQueue {
  constructor(private readonly meta: MetadataStore) {}

  private get db(): Kysely<Database> {
    return this.meta.db;
  }

  private select(db: Kysely<Database> = this.db) {
    return db
      .selectFrom('label_queue as q')
      .innerJoin('reviews as r', 'r.id', 'q.review_id')
      .selectAll('q')
      .select(['r.text', 'r.photo_blobs']);
  }

  /**
   * Stores a gating decision with its votes; accepted: the review gets the label (source `auto`);
   * queued: a pending queue item with `priority`; discarded: a queue item with status `discarded`
   * (a human may still label it). A review already in the queue keeps its item (safe to re-run).
   */
  async record(
    reviewId: string,
    result: Pick<EnsembleResult, 'label' | 'confidence' | 'votes'>,
    decision: Decision,
    opts: { thresholds: Thresholds; calibration: string; priority?: number; runId?: number; actor?: string },
  ): Promise<{ decisionId: number; queueId: number | null }> {
    return this.db.transaction().execute(async (tx) => {
      const d = await tx
        .insertInto('label_decisions')
        .values({
          review_id: reviewId,
          label: result.label,
          confidence: result.confidence,
          decision,
          votes: JSON.stringify(result.votes),
          thresholds: JSON.stringify(opts.thresholds),
          calibration: opts.calibration,
          run_id: opts.runId ?? null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      let queueId: number | null = null;
      if (decision === 'accepted') {
        await new ReviewStore(tx).setLabel(reviewId, result.label, 'auto');
      } else {
        const q = await tx
          .insertInto('label_queue')
          .values({
            review_id: reviewId,
            decision_id: d.id,
            suggestion_label: result.label,
            suggestion_confidence: result.confidence,
            votes: JSON.stringify(result.votes),
            priority: opts.priority ?? 0,
            status: decision === 'queued' ? 'pending' : 'discarded',
          })
          .onConflict((oc) => oc.column('review_id').doNothing())
          .returning('id')
          .executeTakeFirst();
        queueId = q?.id ?? null;
      }
      await audit(tx, {
        queueId,
        reviewId,
        action: decision === 'accepted' ? 'auto_accept' : decision,
        label: result.label,
        actor: opts.actor ?? 'labeling-agent',
        detail: { confidence: result.confidence, decision_id: d.id },
      });
      return { decisionId: d.id, queueId };
    });
  }

  async counts(db: Kysely<Database> = this.db): Promise<QueueCounts> {
    const rows = await db
      .selectFrom('label_queue')
      .select((eb) => ['status', eb.fn.countAll<string>().as('n')])
      .groupBy('status')
      .execute();
    const out = Object.fromEntries(QUEUE_STATUSES.map((s) => [s, 0])) as QueueCounts;
    for (const r of rows)
      if ((QUEUE_STATUSES as readonly string[]).includes(r.status)) out[r.status as QueueStatus] = Number(r.n);
    return out;
  }

  /** Items of a status (or all), pending ones by priority (highest first), labelled ones newest first. */
  async list(q: { status?: QueueStatus | 'all'; limit?: number; offset?: number } = {}): Promise<{
    items: QueueItem[];
    total: number;
    counts: QueueCounts;
  }> {
    const status = q.status ?? 'pending';
    let query = this.select();
    if (status !== 'all') query = query.where('q.status', '=', status);
    query =
      status === 'labelled' || status === 'skipped'
        ? query.orderBy('q.updated_at', 'desc').orderBy('q.id', 'desc')
        : query.orderBy('q.priority', 'desc').orderBy('q.id', 'asc');
    const rows = await query
      .limit(q.limit ?? 50)
      .offset(q.offset ?? 0)
      .execute();
    const counts = await this.counts();
    const total = status === 'all' ? Object.values(counts).reduce((a, b) => a + b, 0) : counts[status];
    return { items: rows.map(toItem), total, counts };
  }

  async get(id: number): Promise<QueueItem> {
    const row = await this.select().where('q.id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError(`no queue item ${id}`);
    return toItem(row);
  }

  /**
   * Claims for `user` the highest-priority pending item that is unassigned or already theirs (one
   * transaction, so two labellers never get the same item), with the progress of the queue:
   * done = labelled + skipped, total = done + pending.
   */
  async next(user: string): Promise<{ item: QueueItem | null; progress: { done: number; total: number } }> {
    const item = await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('label_queue')
        .select(['id', 'review_id', 'assignee'])
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('assignee', 'is', null), eb('assignee', '=', user)]))
        .orderBy('priority', 'desc')
        .orderBy('id', 'asc')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!row) return null;
      if (row.assignee !== user) {
        await tx
          .updateTable('label_queue')
          .set({ assignee: user, updated_at: new Date() })
          .where('id', '=', row.id)
          .execute();
        await audit(tx, { queueId: row.id, reviewId: row.review_id, action: 'claim', label: null, actor: user });
      }
      return toItem((await this.select(tx).where('q.id', '=', row.id).executeTakeFirst()) as Row);
    });
    const c = await this.counts();
    const done = c.labelled + c.skipped;
    return { item, progress: { done, total: done + c.pending } };
  }

  /**
   * A human's answer on an item: `accept` takes the suggestion, `correct` gives `label`, `skip` passes.
   * A label is written to the review (source `human`) and to the audit trail, in one transaction.
   */
  async submit(id: number, user: string, action: SubmitAction, label?: string): Promise<QueueItem> {
    if (action === 'correct') {
      if (label === undefined) throw new ValidationError('label is required when action is correct', 'label');
    }
    if (label !== undefined && !(SENTIMENTS as readonly string[]).includes(label)) {
      throw new ValidationError(`label must be one of ${SENTIMENTS.join(', ')}`, 'label');
    }
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('label_queue').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!row) throw new NotFoundError(`no queue item ${id}`);
      const now = new Date();
      if (action === 'skip') {
        await tx
          .updateTable('label_queue')
          .set({ status: 'skipped', assignee: user, updated_at: now })
          .where('id', '=', id)
          .execute();
        await audit(tx, { queueId: id, reviewId: row.review_id, action: 'skip', label: null, actor: user });
      } else {
        const chosen = (action === 'accept' ? row.suggestion_label : label) as Sentiment;
        await tx
          .updateTable('label_queue')
          .set({
            status: 'labelled',
            human_label: chosen,
            labelled_by: user,
            labelled_at: now,
            assignee: user,
            updated_at: now,
          })
          .where('id', '=', id)
          .execute();
        await new ReviewStore(tx).setLabel(row.review_id, chosen, 'human');
        await audit(tx, {
          queueId: id,
          reviewId: row.review_id,
          action,
          label: chosen,
          actor: user,
          detail: { suggestion: row.suggestion_label, previous: row.human_label },
        });
      }
      return toItem((await this.select(tx).where('q.id', '=', id).executeTakeFirst()) as Row);
    });
  }

  /**
   * Counts, work per labeller (from the audit trail), and agreement: human-model is the share of
   * human-labelled items whose label is the suggestion; human-human is the share of agreeing pairs
   * among reviews labelled by two or more people (each person's last label counts).
   */
  async stats(): Promise<QueueStats> {
    const counts = await this.counts();
    const work = await this.db
      .selectFrom('label_audit')
      .select((eb) => [
        'actor',
        eb.fn.countAll<string>().filterWhere('action', 'in', ['accept', 'correct']).as('labelled'),
        eb.fn.countAll<string>().filterWhere('action', '=', 'skip').as('skipped'),
      ])
      .where('action', 'in', ['accept', 'correct', 'skip'])
      .groupBy('actor')
      .orderBy('actor')
      .execute();
    const hm = await this.db
      .selectFrom('label_queue')
      .select((eb) => [
        eb.fn.countAll<string>().as('n'),
        eb.fn.countAll<string>().filterWhere(sql<boolean>`human_label = suggestion_label`).as('agree'),
      ])
      .where('status', '=', 'labelled')
      .executeTakeFirstOrThrow();
    const labels = await this.db
      .selectFrom('label_audit')
      .select(['review_id', 'actor', 'label'])
      .where('action', 'in', ['accept', 'correct'])
      .orderBy('id', 'asc')
      .execute();
    const byReview = new Map<string, Map<string, string>>();
    for (const l of labels) {
      const m = byReview.get(l.review_id) ?? new Map<string, string>();
      m.set(l.actor, l.label ?? '');
      byReview.set(l.review_id, m);
    }
    let pairs = 0;
    let agree = 0;
    for (const m of byReview.values()) {
      const ls = [...m.values()];
      for (let i = 0; i < ls.length; i++)
        for (let j = i + 1; j < ls.length; j++) {
          pairs++;
          if (ls[i] === ls[j]) agree++;
        }
    }
    const n = Number(hm.n);
    return {
      counts,
      by_labeller: work.map((w) => ({ labeller: w.actor, labelled: Number(w.labelled), skipped: Number(w.skipped) })),
      agreement: {
        human_model: n ? round(Number(hm.agree) / n) : null,
        human_human: pairs ? round(agree / pairs) : null,
        pairs,
      },
    };
  }

  /** The audit trail of one review, oldest first. */
  async audit(reviewId: string) {
    return this.db.selectFrom('label_audit').selectAll().where('review_id', '=', reviewId).orderBy('id').execute();
  }

  /**
   * Erases everything the labeling keeps about the given reviews: their gating decisions, queue items and
   * audit rows (for `reviewlens reviews delete`). Runs on `db`, which may be a transaction. Returns the
   * rows removed per table.
   */
  async forgetReviews(
    reviewIds: readonly string[],
    db: Kysely<Database> = this.db,
  ): Promise<{ decisions: number; queueItems: number; auditRows: number }> {
    const out = { decisions: 0, queueItems: 0, auditRows: 0 };
    for (let i = 0; i < reviewIds.length; i += 500) {
      const ids = reviewIds.slice(i, i + 500);
      const n = async (table: 'label_decisions' | 'label_queue' | 'label_audit') =>
        Number((await db.deleteFrom(table).where('review_id', 'in', ids).executeTakeFirst()).numDeletedRows ?? 0n);
      out.auditRows += await n('label_audit');
      out.queueItems += await n('label_queue');
      out.decisions += await n('label_decisions');
    }
    return out;
  }

  /** How many decisions, queue items and audit rows `forgetReviews` would remove. */
  async countForReviews(
    reviewIds: readonly string[],
  ): Promise<{ decisions: number; queueItems: number; auditRows: number }> {
    const out = { decisions: 0, queueItems: 0, auditRows: 0 };
    for (let i = 0; i < reviewIds.length; i += 500) {
      const ids = reviewIds.slice(i, i + 500);
      const n = async (table: 'label_decisions' | 'label_queue' | 'label_audit') =>
        Number(
          (
            await this.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<string>().as('n'))
              .where('review_id', 'in', ids)
              .executeTakeFirstOrThrow()
          ).n,
        );
      out.auditRows += await n('label_audit');
      out.queueItems += await n('label_queue');
      out.decisions += await n('label_decisions');
    }
    return out;
  }

  /** Unlabelled reviews that have no gating decision in the queue yet (what the label step works on). */
  async unlabelledReviewIds(limit: number, source?: string): Promise<string[]> {
    let q = this.db
      .selectFrom('reviews as r')
      .leftJoin('label_queue as q', 'q.review_id', 'r.id')
      .select('r.id')
      .where('r.label', 'is', null)
      .where('q.id', 'is', null);
    if (source) q = q.where('r.source', '=', source);
    const rows = await q.orderBy('r.created_at', 'asc').orderBy('r.id', 'asc').limit(limit).execute();
    return rows.map((r) => r.id);
  }
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;

async function audit(
  tx: Transaction<Database>,
  a: {
    queueId: number | null;
    reviewId: string;
    action: string;
    label: string | null;
    actor: string;
    detail?: Record<string, unknown>;
  },
): Promise<void> {
  await tx
    .insertInto('label_audit')
    .values({
      queue_id: a.queueId,
      review_id: a.reviewId,
      action: a.action,
      label: a.label,
      actor: a.actor,
      detail: JSON.stringify(a.detail ?? {}),
    })
    .execute();
}
