import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, ReviewsTable } from './schema.js';

/** A stored review (camelCase view of the `reviews` table). */
export interface StoredReview {
  id: string;
  text: string;
  title: string | null;
  author: string | null;
  rating: number | null;
  reviewDate: string | null;
  product: string | null;
  url: string | null;
  source: string;
  photoBlobs: string[];
  label: string | null;
  labelSource: string | null;
  provenance: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** What a writer supplies; `id` is the content hash (core/ids `reviewContentId`). */
export type NewReview = Pick<StoredReview, 'id' | 'text' | 'source'> &
  Partial<Omit<StoredReview, 'id' | 'text' | 'source' | 'createdAt' | 'updatedAt'>>;

export interface ReviewQuery {
  source?: string;
  /** Leave out the reviews of this source (e.g. `synthetic`: real reviews only). */
  excludeSource?: string;
  /** true: only reviews with no label; false: only labelled ones. */
  unlabelled?: boolean;
  labelSource?: string;
  limit?: number;
  offset?: number;
}

/**
 * The reviews table. Inserting a review whose id is already stored is a no-op (dedup across sources and
 * runs); `insertMany` says which ids were new. Labels are set separately, with who set them.
 */
export class ReviewStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts the reviews in one transaction; returns the ids that were new (the rest were duplicates). */
  async insertMany(reviews: NewReview[]): Promise<{ inserted: string[]; duplicates: string[] }> {
    if (reviews.length === 0) return { inserted: [], duplicates: [] };
    const unique = [...new Map(reviews.map((r) => [r.id, r])).values()];
    const rows = await this.db.transaction().execute(async (tx) => {
      const out: string[] = [];
      for (let i = 0; i < unique.length; i += 500) {
        const chunk = unique.slice(i, i + 500);
        const res = await tx
          .insertInto('reviews')
          .values(chunk.map(toRow))
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .execute();
        out.push(...res.map((r) => r.id));
      }
      return out;
    });
    const inserted = new Set(rows);
    return {
      inserted: rows,
      duplicates: reviews.map((r) => r.id).filter((id) => !inserted.has(id)),
    };
  }

  async get(id: string): Promise<StoredReview | undefined> {
    const row = await this.db.selectFrom('reviews').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** Which of `ids` are stored. */
  async existing(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('reviews').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Oldest first, so paging through a growing table is stable. */
  async list(q: ReviewQuery = {}): Promise<StoredReview[]> {
    let query = this.db.selectFrom('reviews').selectAll();
    if (q.source) query = query.where('source', '=', q.source);
    if (q.excludeSource) query = query.where('source', '!=', q.excludeSource);
    if (q.unlabelled === true) query = query.where('label', 'is', null);
    if (q.unlabelled === false) query = query.where('label', 'is not', null);
    if (q.labelSource) query = query.where('label_source', '=', q.labelSource);
    const rows = await query
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .limit(q.limit ?? 100)
      .offset(q.offset ?? 0)
      .execute();
    return rows.map(fromRow);
  }

  async count(q: Omit<ReviewQuery, 'limit' | 'offset'> = {}): Promise<number> {
    let query = this.db.selectFrom('reviews').select((eb) => eb.fn.countAll<string>().as('n'));
    if (q.source) query = query.where('source', '=', q.source);
    if (q.excludeSource) query = query.where('source', '!=', q.excludeSource);
    if (q.unlabelled === true) query = query.where('label', 'is', null);
    if (q.unlabelled === false) query = query.where('label', 'is not', null);
    if (q.labelSource) query = query.where('label_source', '=', q.labelSource);
    const row = await query.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Sets (or clears, with null) a review's label and who set it; false when the review is not stored. */
  async setLabel(id: string, label: string | null, labelSource: string | null): Promise<boolean> {
    const res = await this.db
      .updateTable('reviews')
      .set({ label, label_source: label == null ? null : labelSource, updated_at: new Date() })
      .where('id', '=', id)
      .executeTakeFirst();
    return (res.numUpdatedRows ?? 0n) > 0n;
  }

  /**
   * Every review written by `author` (exact match) and/or from `source` (matched against the review's
   * `source`, e.g. a domain or `dataset:<name>`, its page `url`, and its provenance `source_url`); both
   * given: both must match. For erasing a person's data (`reviewlens reviews delete`).
   */
  async findBy(sel: { author?: string; source?: string }): Promise<StoredReview[]> {
    let q = this.db.selectFrom('reviews').selectAll();
    if (sel.author !== undefined) q = q.where('author', '=', sel.author);
    const source = sel.source;
    if (source !== undefined) {
      q = q.where((eb) =>
        eb.or([
          eb('source', '=', source),
          eb('url', '=', source),
          eb(sql<string>`provenance->>'source_url'`, '=', source),
        ]),
      );
    }
    const rows = await q.orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
    return rows.map(fromRow);
  }

  /** For each of `blobIds`, the ids of the reviews whose photos include it. */
  async photoReferences(blobIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (let i = 0; i < blobIds.length; i += 500) {
      const chunk = blobIds.slice(i, i + 500);
      const { rows } = await sql<{ id: string; blob: string }>`
        select r.id, b.value as blob
        from reviews r cross join lateral jsonb_array_elements_text(r.photo_blobs) as b(value)
        where b.value in (${sql.join(chunk)})`.execute(this.db);
      for (const r of rows) out.set(r.blob, [...(out.get(r.blob) ?? []), r.id]);
    }
    return out;
  }

  /** For each of `blobIds`, the ids of the reviews whose provenance names it as their raw page. */
  async rawPageReferences(blobIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (let i = 0; i < blobIds.length; i += 500) {
      const chunk = blobIds.slice(i, i + 500);
      const rows = await this.db
        .selectFrom('reviews')
        .select(['id', sql<string>`provenance->>'raw_page_blob'`.as('blob')])
        .where(sql<string>`provenance->>'raw_page_blob'`, 'in', chunk)
        .execute();
      for (const r of rows) out.set(r.blob, [...(out.get(r.blob) ?? []), r.id]);
    }
    return out;
  }

  /** Deletes the reviews (on `db`, which may be a transaction); returns how many there were. */
  async deleteMany(ids: readonly string[], db: Kysely<Database> = this.db): Promise<number> {
    let n = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const res = await db
        .deleteFrom('reviews')
        .where('id', 'in', ids.slice(i, i + 500))
        .executeTakeFirst();
      n += Number(res.numDeletedRows ?? 0n);
    }
    return n;
  }

  /**
   * Sets `provenance.raw_page_blob` to null on the reviews that point at one of `blobIds` (raw pages about
   * to be deleted); returns how many reviews changed.
   */
  async detachRawPages(blobIds: readonly string[], db: Kysely<Database> = this.db): Promise<number> {
    let n = 0;
    for (let i = 0; i < blobIds.length; i += 500) {
      const res = await db
        .updateTable('reviews')
        .set({ provenance: sql`jsonb_set(provenance, '{raw_page_blob}', 'null'::jsonb)`, updated_at: new Date() })
        .where(sql<string>`provenance->>'raw_page_blob'`, 'in', blobIds.slice(i, i + 500))
        .executeTakeFirst();
      n += Number(res.numUpdatedRows ?? 0n);
    }
    return n;
  }

  /**
   * Labelled reviews per label, split into those of source `synthetic` (made by src/synthesis) and the rest
   * (real: crawled, imported, human-written); labels in any case as stored.
   */
  async labelCounts(): Promise<Array<{ label: string; real: number; synthetic: number }>> {
    const rows = await this.db
      .selectFrom('reviews')
      .select((eb) => [
        'label',
        eb.fn.countAll<string>().as('n'),
        sql<string>`count(*) filter (where source = 'synthetic')`.as('synthetic'),
      ])
      .where('label', 'is not', null)
      .groupBy('label')
      .orderBy('label')
      .execute();
    return rows.map((r) => ({
      label: r.label as string,
      real: Number(r.n) - Number(r.synthetic),
      synthetic: Number(r.synthetic),
    }));
  }

  /** Reviews per source, with how many are labelled. */
  async sources(): Promise<Array<{ source: string; reviews: number; labelled: number }>> {
    const rows = await this.db
      .selectFrom('reviews')
      .select((eb) => ['source', eb.fn.countAll<string>().as('n'), eb.fn.count<string>('label').as('labelled')])
      .groupBy('source')
      .orderBy('source')
      .execute();
    return rows.map((r) => ({ source: r.source, reviews: Number(r.n), labelled: Number(r.labelled) }));
  }
}

function toRow(r: NewReview) {
  return {
    id: r.id,
    text: r.text,
    title: r.title ?? null,
    author: r.author ?? null,
    rating: r.rating ?? null,
    review_date: r.reviewDate ?? null,
    product: r.product ?? null,
    url: r.url ?? null,
    source: r.source,
    photo_blobs: JSON.stringify(r.photoBlobs ?? []),
    label: r.label ?? null,
    label_source: r.label == null ? null : (r.labelSource ?? null),
    provenance: JSON.stringify(r.provenance ?? {}),
  };
}

function fromRow(r: Selectable<ReviewsTable>): StoredReview {
  return {
    id: r.id,
    text: r.text,
    title: r.title,
    author: r.author,
    rating: r.rating,
    reviewDate: r.review_date,
    product: r.product,
    url: r.url,
    source: r.source,
    photoBlobs: r.photo_blobs,
    label: r.label,
    labelSource: r.label_source,
    provenance: r.provenance,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}
