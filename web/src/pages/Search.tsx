import { type FormEvent, useState } from 'react';
import { api, num, type SearchResult } from '../api';
import { ErrorBox, isMissing, NotConfigured, PhotoPicker, SentimentBadge, Thumb } from '../components/common';

const PAGE = 10;

interface Filters {
  product: string;
  sentiment: string;
  rating_min: string;
  rating_max: string;
  date_from: string;
  date_to: string;
}

const EMPTY: Filters = { product: '', sentiment: '', rating_min: '', rating_max: '', date_from: '', date_to: '' };

export function SearchPage() {
  const [text, setText] = useState('');
  const [photo, setPhoto] = useState<File | null>(null);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [offset, setOffset] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<SearchResult | null>(null);

  const run = async (at: number) => {
    if (!text.trim() && !photo) {
      setError(new Error('Type a query or choose a photo.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const form = new FormData();
      if (text.trim()) form.append('text', text);
      if (photo) form.append('image', photo, photo.name);
      form.append('k', String(PAGE));
      form.append('offset', String(at));
      for (const [k, v] of Object.entries(filters)) if (v !== '') form.append(k, v);
      setResult(await api<SearchResult>('/api/search', { method: 'POST', body: form }));
      setOffset(at);
    } catch (e) {
      setError(e);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(0);
  };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) =>
    setFilters({ ...filters, [k]: e.target.value });

  return (
    <section aria-labelledby="search-h">
      <h1 id="search-h">Search reviews</h1>
      <form className="card" onSubmit={submit}>
        <label htmlFor="search-text">Query</label>
        <input
          id="search-text"
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="e.g. battery died after a week"
        />
        <PhotoPicker file={photo} onChange={setPhoto} label="Photo to search with (optional)" />
        <fieldset className="filters">
          <legend>Filters</legend>
          <label>
            Product
            <input value={filters.product} onChange={set('product')} />
          </label>
          <label>
            Sentiment
            <select value={filters.sentiment} onChange={set('sentiment')}>
              <option value="">any</option>
              <option value="positive">positive</option>
              <option value="neutral">neutral</option>
              <option value="negative">negative</option>
            </select>
          </label>
          <label>
            Rating from
            <input type="number" min={0} max={5} step={0.5} value={filters.rating_min} onChange={set('rating_min')} />
          </label>
          <label>
            Rating to
            <input type="number" min={0} max={5} step={0.5} value={filters.rating_max} onChange={set('rating_max')} />
          </label>
          <label>
            Date from
            <input type="date" value={filters.date_from} onChange={set('date_from')} />
          </label>
          <label>
            Date to
            <input type="date" value={filters.date_to} onChange={set('date_to')} />
          </label>
        </fieldset>
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Searching…' : 'Search'}
          </button>
        </div>
      </form>
      {isMissing(error) ? (
        <NotConfigured what="The search index" how={(error as Error).message} />
      ) : (
        <ErrorBox error={error} />
      )}
      {result && (
        <div className="card" data-testid="search-results">
          <p className="muted">
            {result.hits.length === 0
              ? 'No reviews match.'
              : `Results ${offset + 1}–${offset + result.hits.length} of about ${result.candidates}`}{' '}
            · {result.mode} ({result.stages.join(' + ')}) · {result.timings_ms.total.toFixed(0)} ms
          </p>
          <ol className="hits" start={offset + 1}>
            {result.hits.map((h) => (
              <li key={h.id} className="hit">
                <Thumb src={h.review.thumbnail_url} alt="Review photo" />
                <div>
                  {h.review.title && <strong>{h.review.title}</strong>}
                  <p>{h.review.text}</p>
                  <span className="muted">
                    {h.review.label ? <SentimentBadge label={h.review.label} /> : null}
                    {h.review.product ? ` ${h.review.product}` : ''}
                    {h.review.rating != null ? ` · ${h.review.rating}★` : ''}
                    {h.review.date ? ` · ${h.review.date.slice(0, 10)}` : ''}
                    {h.review.source ? ` · ${h.review.source}` : ''}
                  </span>
                  <dl className="stages">
                    <dt>fused</dt>
                    <dd>{num(h.scores.fused_score, 4)}</dd>
                    {h.scores.bm25_rank != null && (
                      <>
                        <dt>BM25</dt>
                        <dd>
                          #{h.scores.bm25_rank} ({num(h.scores.bm25_score, 2)})
                        </dd>
                      </>
                    )}
                    {h.scores.dense_rank != null && (
                      <>
                        <dt>text vector</dt>
                        <dd>
                          #{h.scores.dense_rank} ({num(h.scores.dense_score)})
                        </dd>
                      </>
                    )}
                    {h.scores.image_rank != null && (
                      <>
                        <dt>photo vector</dt>
                        <dd>
                          #{h.scores.image_rank} ({num(h.scores.image_score)})
                        </dd>
                      </>
                    )}
                    {h.scores.rerank_score != null && (
                      <>
                        <dt>rerank</dt>
                        <dd>{num(h.scores.rerank_score)}</dd>
                      </>
                    )}
                  </dl>
                </div>
              </li>
            ))}
          </ol>
          <nav className="pager" aria-label="Result pages">
            <button
              type="button"
              className="secondary"
              disabled={busy || offset === 0}
              onClick={() => void run(Math.max(0, offset - PAGE))}
            >
              Previous
            </button>
            <button
              type="button"
              className="secondary"
              disabled={busy || result.hits.length < PAGE || offset + PAGE >= result.candidates}
              onClick={() => void run(offset + PAGE)}
            >
              Next
            </button>
          </nav>
        </div>
      )}
    </section>
  );
}
