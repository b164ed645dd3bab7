import { performance } from 'node:perf_hooks';
import { ValidationError } from '../core/errors.js';
import type { RetrievalBackend } from './backend.js';
import { type Fused, type RankedList, reciprocalRankFusion } from './fusion.js';
import type { Candidate, Reranker, ReviewRecord, SearchFilters } from './types.js';

/** Turns a query into vectors: the same encoders that indexed the reviews. */
export interface QueryEncoders {
  text(query: string): Promise<Float32Array>;
  /** Decodes and encodes a photo; throws the usual 400/413/415 errors for bad bytes. */
  image(bytes: Uint8Array, field: string): Promise<Float32Array>;
}

export type SearchMode = 'hybrid' | 'bm25' | 'dense';

export interface SearchRequest {
  text?: string;
  image?: Uint8Array;
  /** The request field the photo came in, named in errors. */
  imageField?: string;
  /** Vectors already computed for this text / photo (the analyzer's), so they are not encoded twice. */
  vectors?: { text?: Float32Array; image?: Float32Array };
  filters?: SearchFilters;
  k?: number;
  offset?: number;
  mode?: SearchMode;
  /** Rerank the top of the fused list; default from the searcher's settings. */
  rerank?: boolean;
  /** Ids never returned (e.g. the review being analyzed, when it is indexed). */
  excludeIds?: readonly string[];
  /** The BM25 list scores at most this many of the text's terms, the rarest (ListOptions.maxTerms). */
  bm25MaxTerms?: number;
}

/** Each stage's view of one hit: 1-based ranks and raw scores of the lists it was in, the fused and rerank scores. */
export interface StageScores {
  bm25_rank?: number;
  bm25_score?: number;
  dense_rank?: number;
  dense_score?: number;
  image_rank?: number;
  image_score?: number;
  fused_score: number;
  rerank_score?: number;
}

export interface SearchHit {
  id: string;
  review: ReviewRecord;
  scores: StageScores;
}

export interface SearchResult {
  hits: SearchHit[];
  k: number;
  offset: number;
  mode: SearchMode;
  /** Distinct candidates after fusion (how far paging can go). */
  candidates: number;
  /** The lists that were fused. */
  stages: string[];
  reranker?: string;
  /** Set when reranking was asked for but failed: the fused order is returned instead. */
  rerank_error?: string;
  timings_ms: SearchTimings;
}

/**
 * Where a search's time went, in milliseconds. The candidate lists run concurrently, so `bm25`, `dense`
 * and `image` overlap and `retrieve` (their wall time plus fusion) is less than their sum; a list not run
 * is absent. Serialising the answer happens after this is written: the HTTP API reports it in the
 * `Server-Timing` header (`serialize`).
 */
export interface SearchTimings {
  /** Query text and photo to vectors (0 when the vectors were given). */
  encode: number;
  bm25?: number;
  dense?: number;
  image?: number;
  /** Reciprocal rank fusion of the lists. */
  fusion: number;
  /** The lists and their fusion, wall time. */
  retrieve: number;
  rerank: number;
  /** Stored fields of the returned hits. */
  fetch: number;
  total: number;
}

export interface HybridSettings {
  /** RRF constant. */
  rrfK: number;
  /** Per-list RRF weights; 0 drops a list. */
  weights: { bm25: number; dense: number; image: number };
  /** Candidates fetched from each list (at least offset + k). */
  candidates: number;
  /** Rerank by default. */
  rerank: boolean;
  /** How many fused candidates the reranker re-scores. */
  rerankDepth: number;
  maxK: number;
}

export const DEFAULT_HYBRID: HybridSettings = {
  rrfK: 60,
  weights: { bm25: 0.5, dense: 1, image: 1 },
  candidates: 50,
  rerank: false,
  rerankDepth: 30,
  maxK: 100,
};

const ms = (t0: number) => Math.round((performance.now() - t0) * 100) / 100;

/**
 * Hybrid search: BM25 over the text, dense search over the text vectors and, with a photo, over the
 * photo vectors; the lists are fused by weighted Reciprocal Rank Fusion, the top of the fused list is
 * optionally reranked, and each hit carries every stage's rank and score.
 */
export class HybridSearcher {
  constructor(
    private readonly backend: RetrievalBackend,
    private readonly encoders: QueryEncoders,
    readonly settings: HybridSettings = DEFAULT_HYBRID,
    private readonly reranker?: Reranker,
  ) {}

  get rerankerName(): string | undefined {
    return this.reranker?.name;
  }

  async search(req: SearchRequest): Promise<SearchResult> {
    const t0 = performance.now();
    const text = req.text?.trim() ?? '';
    const hasImage = req.image !== undefined || req.vectors?.image !== undefined;
    if (text === '' && !hasImage) throw new ValidationError('give a text query, a photo, or both', 'text');
    const k = req.k ?? 10;
    const offset = req.offset ?? 0;
    if (!Number.isInteger(k) || k < 1 || k > this.settings.maxK) {
      throw new ValidationError(`k must be an integer from 1 to ${this.settings.maxK}`, 'k');
    }
    if (!Number.isInteger(offset) || offset < 0) throw new ValidationError('offset must be an integer >= 0', 'offset');
    const mode = req.mode ?? 'hybrid';
    const w = this.settings.weights;
    const useBm25 = text !== '' && mode !== 'dense' && w.bm25 > 0;
    const useDense = text !== '' && mode !== 'bm25' && w.dense > 0;
    const useImage = hasImage && mode !== 'bm25' && w.image > 0;
    if (!useBm25 && !useDense && !useImage) {
      throw new ValidationError(`mode ${mode} needs ${mode === 'bm25' ? 'a text query' : 'a text query or a photo'}`);
    }

    const tEnc = performance.now();
    const [textVec, imageVec] = await Promise.all([
      useDense ? (req.vectors?.text ?? this.encoders.text(text)) : undefined,
      useImage
        ? (req.vectors?.image ?? this.encoders.image(req.image as Uint8Array, req.imageField ?? 'image'))
        : undefined,
    ]);
    const encode = ms(tEnc);

    const tRet = performance.now();
    const exclude = new Set(req.excludeIds ?? []);
    const limit = Math.max(this.settings.candidates, offset + k) + exclude.size;
    const opts = { limit, ...(req.filters ? { filters: req.filters } : {}) };
    const bm25Opts = req.bm25MaxTerms ? { ...opts, maxTerms: req.bm25MaxTerms } : opts;
    const none = Promise.resolve([] as Candidate[]);
    const stage: { bm25?: number; dense?: number; image?: number } = {};
    const timed = (name: keyof typeof stage, run: () => Promise<Candidate[]>) => {
      const t = performance.now();
      return run().then((c) => {
        stage[name] = ms(t);
        return c;
      });
    };
    const [bm25, dense, image] = await Promise.all([
      useBm25 ? timed('bm25', () => this.backend.bm25(text, bm25Opts)) : none,
      textVec ? timed('dense', () => this.backend.dense('text', textVec, opts)) : none,
      imageVec ? timed('image', () => this.backend.dense('image', imageVec, opts)) : none,
    ]);
    const tFuse = performance.now();
    const lists: RankedList[] = [];
    const drop = (c: Candidate[]) => (exclude.size ? c.filter((x) => !exclude.has(x.id)) : c);
    if (useBm25) lists.push({ name: 'bm25', weight: w.bm25, candidates: drop(bm25) });
    if (textVec) lists.push({ name: 'dense', weight: w.dense, candidates: drop(dense) });
    if (imageVec) lists.push({ name: 'image', weight: w.image, candidates: drop(image) });
    let fused = reciprocalRankFusion(lists, this.settings.rrfK);
    const fusion = ms(tFuse);
    const retrieve = ms(tRet);

    const tRr = performance.now();
    const rerankScores = new Map<string, number>();
    let rerankError: string | undefined;
    const wantRerank = (req.rerank ?? this.settings.rerank) && this.reranker !== undefined && text !== '';
    if (wantRerank && fused.length > 1) {
      try {
        fused = await this.rerank(text, fused, rerankScores);
      } catch (e) {
        rerankError = `reranker ${this.reranker?.name} failed, fused order kept: ${(e as Error).message}`;
      }
    }
    const rerank = ms(tRr);

    const page = fused.slice(offset, offset + k);
    const tFetch = performance.now();
    const records = await this.backend.records(page.map((f) => f.id));
    const fetch = ms(tFetch);
    const hits: SearchHit[] = [];
    for (const f of page) {
      const review = records.get(f.id);
      // A review deleted between retrieval and this lookup is simply left out.
      if (review) hits.push({ id: f.id, review, scores: stageScores(f, rerankScores.get(f.id)) });
    }
    return {
      hits,
      k,
      offset,
      mode,
      candidates: fused.length,
      stages: lists.map((l) => l.name),
      ...(wantRerank && this.reranker ? { reranker: this.reranker.name } : {}),
      ...(rerankError ? { rerank_error: rerankError } : {}),
      timings_ms: { encode, ...stage, fusion, retrieve, rerank, fetch, total: ms(t0) },
    };
  }

  /** Re-scores the top `rerankDepth` of the fused list; the rest keeps its fused order after them. */
  private async rerank(query: string, fused: Fused[], out: Map<string, number>): Promise<Fused[]> {
    const reranker = this.reranker as Reranker;
    const head = fused.slice(0, this.settings.rerankDepth);
    const records = await this.backend.records(head.map((f) => f.id));
    const docs = head.map((f) => {
      const r = records.get(f.id);
      return r ? (r.title ? `${r.title}\n${r.text}` : r.text) : '';
    });
    const scores = await reranker.score(query, docs);
    if (scores.length !== head.length || scores.some((s) => !Number.isFinite(s))) {
      throw new Error(`expected ${head.length} finite scores, got ${scores.length}`);
    }
    head.forEach((f, i) => {
      out.set(f.id, scores[i] as number);
    });
    const reranked = [...head].sort((a, b) => (out.get(b.id) as number) - (out.get(a.id) as number));
    return [...reranked, ...fused.slice(head.length)];
  }
}

function stageScores(f: Fused, rerank: number | undefined): StageScores {
  const s: StageScores = { fused_score: f.score };
  for (const name of ['bm25', 'dense', 'image'] as const) {
    if (f.ranks[name] !== undefined) {
      s[`${name}_rank`] = f.ranks[name];
      s[`${name}_score`] = f.scores[name];
    }
  }
  if (rerank !== undefined) s.rerank_score = rerank;
  return s;
}
