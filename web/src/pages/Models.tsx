import { useCallback, useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, type ModelList, type ModelReport, num, pct } from '../api';
import { ErrorBox } from '../components/common';
import { DriftPanel } from '../components/DriftPanel';
import { useKeyVersion } from '../keyContext';

/** What the registry's aliases can be moved to from this page. */
const ALIAS_ACTIONS = [
  { alias: 'staging', label: 'Make staging', done: 'is now staging' },
  { alias: 'production', label: 'Promote to production', done: 'promoted to production' },
] as const;

export function ModelsPage() {
  const keyVersion = useKeyVersion();
  const [list, setList] = useState<ModelList | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [flash, setFlash] = useState('');

  const load = useCallback(async () => {
    try {
      setList(await api<ModelList>('/api/models'));
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    void keyVersion;
    void load();
  }, [load, keyVersion]);

  const act = async (path: string, json: unknown, done: string) => {
    setError(null);
    try {
      await api(path, { method: 'POST', json });
      setFlash(done);
      await load();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section aria-labelledby="models-h">
      <h1 id="models-h">Models</h1>
      <ErrorBox error={error} />
      <p className="muted" aria-live="polite">
        {flash}
      </p>
      {list && (
        <>
          <p>
            Serving <strong>{`${list.serving.name}@${list.serving.version}`}</strong>. Production:{' '}
            {list.production ? `${list.production.name}@${list.production.version}` : 'none'}; staging:{' '}
            {list.staging ? `${list.staging.name}@${list.staging.version}` : 'none'}.{' '}
            <button
              type="button"
              className="secondary"
              onClick={() => void act('/api/models/rollback', { alias: 'production' }, 'Production rolled back.')}
            >
              Roll back production
            </button>
          </p>
          <div className="card">
            <table data-testid="model-table">
              <thead>
                <tr>
                  <th scope="col">version</th>
                  <th scope="col">aliases</th>
                  <th scope="col">test set</th>
                  <th scope="col">accuracy</th>
                  <th scope="col">macro-F1</th>
                  <th scope="col">registered</th>
                  <th scope="col">evaluation</th>
                  <th scope="col">actions</th>
                </tr>
              </thead>
              <tbody>
                {list.versions.map((v) => (
                  <tr key={`${v.name}@${v.version}`}>
                    <td>
                      <a href={`#/models/${encodeURIComponent(v.name)}/${encodeURIComponent(v.version)}`}>
                        {v.name}@{v.version}
                      </a>
                    </td>
                    <td>
                      {v.aliases.map((a) => (
                        <span key={a} className={`chip chip-${a}`}>
                          {a}
                        </span>
                      ))}
                    </td>
                    <td>{v.summary.test_set ?? '—'}</td>
                    <td>{num(v.summary.accuracy)}</td>
                    <td>{num(v.summary.macro_f1)}</td>
                    <td>{new Date(v.created_at).toLocaleString()}</td>
                    <td>
                      {v.report ? (
                        <a
                          href={v.report.url}
                          target="_blank"
                          rel="noopener noreferrer"
                          aria-label="HTML evaluation report (opens in a new tab)"
                          title={`macro-F1 ${num(v.report.macro_f1?.estimate ?? null)} on ${v.report.n ?? '—'} held-out reviews${v.report.against ? `, against ${v.report.against}` : ''}`}
                        >
                          HTML report
                        </a>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td className="actions">
                      {ALIAS_ACTIONS.filter((a) => !v.aliases.includes(a.alias)).map((a) => (
                        <button
                          key={a.alias}
                          type="button"
                          className="secondary"
                          onClick={() =>
                            void act(
                              '/api/models/promote',
                              { name: v.name, version: v.version, alias: a.alias },
                              `${v.name}@${v.version} ${a.done}.`,
                            )
                          }
                        >
                          {a.label}
                        </button>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <DriftPanel />
        </>
      )}
    </section>
  );
}

/** The report's modality keys, as a reader would name them. */
const MODALITY_NAMES: Record<string, string> = {
  served: 'served (text + photo)',
  text_in_domain: 'text, in-domain',
  text: 'text, general',
  image: 'photo alone',
};

type Scored = { accuracy?: number; macro_f1?: number; per_class_f1?: number[]; n?: number };

/** A version's evaluation report: headline numbers, per-modality and per-class charts, then every metric. */
export function ModelReportPage({ name, version }: { name: string; version: string }) {
  const [r, setR] = useState<ModelReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<ModelReport>(`/api/models/${encodeURIComponent(name)}/${encodeURIComponent(version)}`)
      .then(setR)
      .catch(setError);
  }, [name, version]);
  const test = ((r?.metrics.test ?? {}) as Record<string, unknown>) ?? {};
  const modalities = Object.entries(MODALITY_NAMES)
    .filter(([k]) => typeof (test[k] as Scored | undefined)?.accuracy === 'number')
    .map(([k, name]) => ({
      name,
      accuracy: (test[k] as Scored).accuracy ?? 0,
      macro_f1: (test[k] as Scored).macro_f1 ?? 0,
    }));
  const served = (test.served ?? test.fused) as Scored | undefined;
  const perClass = (served?.per_class_f1 ?? []).map((f, i) => ({
    name: ['negative', 'neutral', 'positive'][i] ?? `${i}`,
    f1: f,
  }));
  return (
    <section aria-labelledby="report-h">
      <p>
        <a href="#/models">← Models</a>
      </p>
      <h1 id="report-h">
        Evaluation report: {name}@{version}
      </h1>
      <ErrorBox error={error} />
      {r && (
        <>
          {r.report && (
            <p>
              <a href={r.report.url} target="_blank" rel="noopener noreferrer">
                Full evaluation report (HTML)
              </a>{' '}
              <span className="muted">
                from {new Date(r.report.created_at).toLocaleString()}
                {r.report.against ? `, against ${r.report.against}` : ''}
              </span>
            </p>
          )}
          <div className="card">
            <p>
              Test set <strong>{r.summary.test_set ?? '—'}</strong> (n={r.summary.n ?? '—'}): accuracy{' '}
              <strong>{num(r.summary.accuracy)}</strong>, macro-F1 <strong>{num(r.summary.macro_f1)}</strong>.{' '}
              {r.summary.neutral_f1 != null && (
                <>
                  Neutral F1 <strong>{num(r.summary.neutral_f1)}</strong>.{' '}
                </>
              )}
              {Object.entries(r.summary.other_sets ?? {}).map(([k, v]) => (
                <span key={k}>
                  {k}: accuracy {num(v.accuracy)}, macro-F1 {num(v.macro_f1)} (n={v.n ?? '—'}).{' '}
                </span>
              ))}
              {Object.entries(r.summary.product_polarity).map(([k, v]) => (
                <span key={k}>
                  {k} polarity accuracy {pct(v)}.{' '}
                </span>
              ))}
            </p>
          </div>
          <div className="grid2">
            {modalities.length > 0 && (
              <figure className="card" aria-label="Accuracy and macro-F1 by modality">
                <figcaption>By modality</figcaption>
                <div style={{ width: '100%', height: 240 }}>
                  <ResponsiveContainer>
                    <BarChart data={modalities}>
                      <CartesianGrid strokeDasharray="3 3" />
                      <XAxis dataKey="name" />
                      <YAxis domain={[0, 1]} />
                      <Tooltip />
                      <Legend />
                      <Bar dataKey="accuracy" fill="#1d4ed8" isAnimationActive={false} />
                      <Bar dataKey="macro_f1" fill="#0f766e" isAnimationActive={false} />
                    </BarChart>
                  </ResponsiveContainer>
                </div>
              </figure>
            )}
            {perClass.length > 0 && (
              <figure className="card" aria-label="F1 per class">
                <figcaption>F1 per class (served model)</figcaption>
                <div style={{ width: '100%', height: 240 }}>
                  <ResponsiveContainer>
                    <BarChart data={perClass}>
                      <CartesianGrid strokeDasharray="3 3" />
                      <XAxis dataKey="name" />
                      <YAxis domain={[0, 1]} />
                      <Tooltip />
                      <Bar dataKey="f1" fill="#7c3aed" isAnimationActive={false} />
                    </BarChart>
                  </ResponsiveContainer>
                </div>
              </figure>
            )}
          </div>
          <details className="card">
            <summary>Every recorded metric and parameter</summary>
            <pre>{JSON.stringify({ metrics: r.metrics, params: r.params }, null, 2)}</pre>
          </details>
        </>
      )}
    </section>
  );
}
