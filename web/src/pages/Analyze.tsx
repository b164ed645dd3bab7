import { type FormEvent, type KeyboardEvent, useState } from 'react';
import { type Analysis, api, num } from '../api';
import { ErrorBox, PhotoPicker, ScoreBars, SentimentBadge, Thumb } from '../components/common';

export function AnalyzePage() {
  const [text, setText] = useState('');
  const [photo, setPhoto] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<Analysis | null>(null);

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (busy) return;
    if (!text.trim()) {
      setError(new Error('Type or paste the review text first.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const form = new FormData();
      form.append('text', text);
      if (photo) form.append('image', photo, photo.name);
      setResult(await api<Analysis>('/api/analyze', { method: 'POST', body: form }));
    } catch (err) {
      setError(err);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit();
  };

  return (
    <section aria-labelledby="analyze-h">
      <h1 id="analyze-h">Analyze a review</h1>
      <form className="card" onSubmit={submit}>
        <label htmlFor="review-text">Review text</label>
        <textarea
          id="review-text"
          rows={5}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKey}
          placeholder="Paste a customer review…"
        />
        <PhotoPicker file={photo} onChange={setPhoto} label="Photo (optional)" />
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Analyzing…' : 'Analyze'}
          </button>
          <span className="hint">Ctrl+Enter submits</span>
        </div>
      </form>
      <ErrorBox error={error} />
      {result && <AnalysisView result={result} />}
    </section>
  );
}

function AnalysisView({ result: r }: { result: Analysis }) {
  return (
    <div className="card result" data-testid="analysis">
      <div className="result-head">
        <h2>
          Sentiment: <SentimentBadge label={r.sentiment} confidence={r.confidence} />
        </h2>
        <span className="muted">
          {r.modality === 'multimodal' ? 'text + photo' : 'text only'} · {r.model.name}@{r.model.version} ·{' '}
          {r.processing_time_ms.toFixed(0)} ms{r.cached ? ' (cached)' : ''}
        </span>
      </div>
      {r.mismatch && (
        <div className="warning" role="alert" data-testid="mismatch">
          <strong>Text and photo disagree.</strong> {r.mismatch_reason ?? ''}
        </div>
      )}
      {r.sarcasm?.flag && (
        <div className="warning" role="status">
          This text may be sarcastic (probability {num(r.sarcasm.probability, 2)}).
        </div>
      )}
      {r.evidence.reasons && r.evidence.reasons.length > 0 && (
        <div className="card" data-testid="reasons">
          <h3>Why</h3>
          <ul>
            {r.evidence.reasons.map((x) => (
              <li key={x}>{x}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="grid3">
        <ScoreBars scores={r.scores} title="Answer (calibrated)" />
        <ScoreBars scores={r.evidence.text.scores} title={`Text evidence: ${r.evidence.text.sentiment}`} />
        {r.evidence.image ? (
          <ScoreBars scores={r.evidence.image.scores} title={`Photo evidence: ${r.evidence.image.sentiment}`} />
        ) : (
          <p className="muted">No photo: the answer rests on the text.</p>
        )}
      </div>
      {r.evidence.top_words && (r.evidence.top_words.for.length > 0 || r.evidence.top_words.against.length > 0) && (
        <div className="words">
          <h3>{r.evidence.photo_damage?.damaged ? 'Words behind the text alone' : 'Words that decided it'}</h3>
          <p>
            For {r.evidence.photo_damage?.damaged ? r.evidence.text.sentiment : r.sentiment}:{' '}
            {r.evidence.top_words.for.map((w) => (
              <span key={`f-${w.token}`} className="chip chip-for">
                {w.token}
              </span>
            ))}
          </p>
          {r.evidence.top_words.against.length > 0 && (
            <p>
              Against:{' '}
              {r.evidence.top_words.against.map((w) => (
                <span key={`a-${w.token}`} className="chip chip-against">
                  {w.token}
                </span>
              ))}
            </p>
          )}
        </div>
      )}
      {r.warnings && r.warnings.length > 0 && (
        <ul className="muted">
          {r.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      <h3>Similar reviews</h3>
      {r.similar_reviews.length === 0 ? (
        <p className="muted">
          None yet: the search index is empty or has nothing close. Index reviews to see them here.
        </p>
      ) : (
        <ul className="hits">
          {r.similar_reviews.map((s) => (
            <li key={s.id} className="hit">
              <Thumb src={s.thumbnail_url} alt="Photo of a similar review" />
              <div>
                <p>{s.text}</p>
                <span className="muted">
                  {s.sentiment ? <SentimentBadge label={s.sentiment} /> : null} score {num(s.score)}
                  {s.product ? ` · ${s.product}` : ''}
                  {s.rating != null ? ` · ${s.rating}★` : ''}
                </span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
