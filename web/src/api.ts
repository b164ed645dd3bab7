import type { Sentiment } from '../../src/core/types';

/** The API client: every call carries the API key kept in this browser's storage. */

const KEY_STORAGE = 'reviewlens.apiKey';

export function getKey(): string {
  try {
    return localStorage.getItem(KEY_STORAGE) ?? '';
  } catch {
    return '';
  }
}

export function setKey(key: string): void {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

/** An API error with the server's code and a message a person can act on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function explain(status: number, code: string, message: string): string {
  if (status === 401) {
    return getKey()
      ? `The API key saved in this browser was not accepted (${message}). Enter a valid key above.`
      : 'This server needs an API key. Enter it in the box at the top of the page; it is kept in this browser.';
  }
  if (status === 403) return `Your API key may not do this: ${message}`;
  if (status === 429) return `Too many requests: ${message}`;
  if (status === 0) return `The server could not be reached: ${message}`;
  return message || `${status} ${code}`;
}

export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const headers = new Headers(init.headers);
  const key = getKey();
  if (key) headers.set('Authorization', `Bearer ${key}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(init.json);
  }
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers, body });
  } catch (e) {
    throw new ApiError(0, 'network', explain(0, 'network', (e as Error).message));
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { error: { code: 'bad_response', message: text.slice(0, 200) } };
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } }).error ?? {};
    const code = err.code ?? String(res.status);
    throw new ApiError(res.status, code, explain(res.status, code, err.message ?? res.statusText));
  }
  return data as T;
}

// The analysis answer is the server's own type (type-only: nothing from the server is bundled but SENTIMENTS).
export type { AnalysisResult as Analysis, ClassScores as Scores, Sentiment, SimilarReview } from '../../src/core/types';
export { SENTIMENTS } from '../../src/core/types';

export interface SearchHit {
  id: string;
  review: {
    id: string;
    text: string;
    title?: string | null;
    product?: string | null;
    rating?: number | null;
    date?: string | null;
    source?: string | null;
    label?: Sentiment | null;
    thumbnail_url?: string;
  };
  scores: {
    bm25_rank?: number;
    bm25_score?: number;
    dense_rank?: number;
    dense_score?: number;
    image_rank?: number;
    image_score?: number;
    fused_score: number;
    rerank_score?: number;
  };
}

export interface SearchResult {
  hits: SearchHit[];
  k: number;
  offset: number;
  mode: string;
  candidates: number;
  stages: string[];
  timings_ms: { total: number };
}

export interface QueueItem {
  id: number;
  review_id: string;
  text: string;
  photo_url: string | null;
  thumbnail_url: string | null;
  suggestion: { label: string; confidence: number };
  votes: { labeler: string; label: string; confidence: number }[];
  priority: number;
  status: 'pending' | 'labelled' | 'skipped' | 'discarded';
  assignee: string | null;
  human_label: string | null;
  labelled_by: string | null;
  labelled_at: string | null;
  created_at: string;
}

export interface QueueCounts {
  pending: number;
  labelled: number;
  skipped: number;
  discarded: number;
}

export interface QueueStats {
  counts: QueueCounts;
  by_labeller: { labeller: string; labelled: number; skipped: number }[];
  agreement: { human_model: number | null; human_human: number | null; pairs: number };
}

export interface ModelSummary {
  test_set: string | null;
  accuracy: number | null;
  macro_f1: number | null;
  /** F1 of the neutral class on the headline set (e-commerce models). */
  neutral_f1?: number | null;
  n: number | null;
  /** The model's other test sets (e.g. MVSA-Single), when the headline set is the e-commerce split. */
  other_sets?: Record<string, { accuracy: number | null; macro_f1: number | null; n: number | null }>;
  product_polarity: Record<string, number | null>;
}

/** A version's stored evaluation report (the pipeline's evaluate step), as listings describe it. */
export interface StoredReportRef {
  /** The page's public link (by its sha256): opens in a tab without an API key. */
  url: string;
  /** The route that needs a key (`?format=json` for the run JSON). */
  path: string;
  created_at: string;
  n: number | null;
  macro_f1: { estimate: number; low: number; high: number } | null;
  against: string | null;
  run_id: number | null;
}

export interface ModelVersion {
  name: string;
  version: string;
  aliases: string[];
  created_at: string;
  data_hash: string | null;
  summary: ModelSummary;
  /** Null when no evaluation report is stored for the version. */
  report: StoredReportRef | null;
}

export interface ModelList {
  production: { name: string; version: string } | null;
  staging: { name: string; version: string } | null;
  serving: { name: string; version: string };
  versions: ModelVersion[];
}

export interface ModelReport extends ModelVersion {
  metrics: Record<string, unknown>;
  params: Record<string, unknown>;
}

export interface StepRun {
  name: string;
  status: string;
  progress: number;
  message: string | null;
  output: Record<string, unknown> | null;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface PipelineRun {
  id: number;
  status: string;
  steps: StepRun[];
  params: Record<string, unknown>;
  requested_by: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  logs?: { id: number; step: string | null; level: string; message: string; at: string }[];
}

export const pct = (x: number | null | undefined, digits = 1) => (x == null ? '—' : `${(x * 100).toFixed(digits)}%`);
export const num = (x: number | null | undefined, digits = 3) => (x == null ? '—' : x.toFixed(digits));
