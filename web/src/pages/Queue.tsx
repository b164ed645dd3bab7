import { useCallback, useEffect, useState } from 'react';
import { api, pct, type QueueItem, type QueueStats, type Sentiment } from '../api';
import { ErrorBox, isMissing, NotConfigured, Progress, SentimentBadge } from '../components/common';
import { useKeyVersion } from '../keyContext';

/** One keystroke per decision. */
const KEYS: Record<string, { action: 'accept' | 'correct' | 'skip'; label?: Sentiment; text: string }> = {
  a: { action: 'accept', text: 'accept the suggestion' },
  p: { action: 'correct', label: 'positive', text: 'positive' },
  u: { action: 'correct', label: 'neutral', text: 'neutral' },
  n: { action: 'correct', label: 'negative', text: 'negative' },
  s: { action: 'skip', text: 'skip' },
};

interface NextAnswer {
  item: QueueItem | null;
  progress: { done: number; total: number };
}

export function QueuePage() {
  const keyVersion = useKeyVersion();
  const [item, setItem] = useState<QueueItem | null>(null);
  const [progress, setProgress] = useState<NextAnswer['progress'] | null>(null);
  const [stats, setStats] = useState<QueueStats | null>(null);
  const [recent, setRecent] = useState<QueueItem[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useState('');

  const refresh = useCallback(async () => {
    try {
      const [next, st, done] = await Promise.all([
        api<NextAnswer>('/api/queue/next', { method: 'POST', json: {} }),
        api<QueueStats>('/api/queue/stats'),
        api<{ items: QueueItem[] }>('/api/queue?status=labelled&limit=8'),
      ]);
      setItem(next.item);
      setProgress(next.progress);
      setStats(st);
      setRecent(done.items);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);

  useEffect(() => {
    void keyVersion;
    void refresh();
  }, [refresh, keyVersion]);

  const decide = useCallback(
    async (key: string) => {
      const d = KEYS[key];
      if (!d || !item || busy) return;
      setBusy(true);
      try {
        await api(`/api/queue/${item.id}/submit`, {
          method: 'POST',
          json: { action: d.action, ...(d.label ? { label: d.label } : {}) },
        });
        setFlash(d.action === 'skip' ? 'Skipped.' : `Labelled ${d.label ?? item.suggestion.label}.`);
        await refresh();
      } catch (e) {
        setError(e);
      } finally {
        setBusy(false);
      }
    },
    [item, busy, refresh],
  );

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName)) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (KEYS[e.key.toLowerCase()]) {
        e.preventDefault();
        void decide(e.key.toLowerCase());
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [decide]);

  if (isMissing(error)) {
    return (
      <section>
        <h1>Review queue</h1>
        <NotConfigured
          what="The human review queue"
          how={
            <>
              Run <code>reviewlens label run</code> (or a pipeline run with the <code>label</code> step) to fill it.
            </>
          }
        />
      </section>
    );
  }

  return (
    <section aria-labelledby="queue-h">
      <h1 id="queue-h">Review queue</h1>
      <ErrorBox error={error} />
      {progress && (
        <div className="card">
          <p>
            {progress.done} of {progress.total} queued reviews decided
          </p>
          <Progress value={progress.total ? progress.done / progress.total : 0} label="Queue progress" />
        </div>
      )}
      {item ? (
        <div className="card queue-item" data-testid="queue-item">
          <div className="queue-body">
            {item.photo_url && <img className="queue-photo" src={item.photo_url} alt="Sent with the review" />}
            <div>
              <p className="review-text">{item.text}</p>
              <p>
                Suggestion: <SentimentBadge label={item.suggestion.label} confidence={item.suggestion.confidence} />{' '}
                <span className="muted">priority {item.priority.toFixed(3)}</span>
              </p>
              <table className="votes">
                <caption>Labelers' votes</caption>
                <thead>
                  <tr>
                    <th scope="col">labeler</th>
                    <th scope="col">label</th>
                    <th scope="col">confidence</th>
                  </tr>
                </thead>
                <tbody>
                  {item.votes.map((v) => (
                    <tr key={v.labeler}>
                      <td>{v.labeler}</td>
                      <td>{v.label}</td>
                      <td>{pct(v.confidence, 0)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          <fieldset className="actions">
            <legend className="sr-only">Decide</legend>
            {Object.entries(KEYS).map(([k, d]) => (
              <button
                key={k}
                type="button"
                className={d.action === 'skip' ? 'secondary' : ''}
                disabled={busy}
                onClick={() => void decide(k)}
              >
                <kbd>{k.toUpperCase()}</kbd> {d.text}
              </button>
            ))}
          </fieldset>
        </div>
      ) : (
        !error && <p className="card">Nothing is waiting for a human label.</p>
      )}
      <p className="muted" aria-live="polite">
        {flash}
      </p>
      {stats && (
        <div className="grid2">
          <div className="card">
            <h2>Who labelled what</h2>
            <table data-testid="labellers">
              <thead>
                <tr>
                  <th scope="col">labeller</th>
                  <th scope="col">labelled</th>
                  <th scope="col">skipped</th>
                </tr>
              </thead>
              <tbody>
                {stats.by_labeller.map((b) => (
                  <tr key={b.labeller}>
                    <td>{b.labeller}</td>
                    <td>{b.labelled}</td>
                    <td>{b.skipped}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="muted">
              Agreement human–model {pct(stats.agreement.human_model)} · human–human {pct(stats.agreement.human_human)}{' '}
              ({stats.agreement.pairs} pairs) · pending {stats.counts.pending}, labelled {stats.counts.labelled},
              skipped {stats.counts.skipped}, discarded {stats.counts.discarded}
            </p>
          </div>
          <div className="card">
            <h2>Recently labelled</h2>
            <ul className="recent">
              {recent.map((r) => (
                <li key={r.id}>
                  <SentimentBadge label={r.human_label ?? '?'} /> {r.text.slice(0, 80)}
                  {r.text.length > 80 ? '…' : ''}{' '}
                  <span className="muted">
                    by {r.labelled_by ?? '?'}
                    {r.labelled_at ? `, ${new Date(r.labelled_at).toLocaleString()}` : ''}
                  </span>
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}
    </section>
  );
}
