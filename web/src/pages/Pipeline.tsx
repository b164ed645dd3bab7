import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { api, type PipelineRun } from '../api';
import { ErrorBox, isMissing, NotConfigured, Progress } from '../components/common';
import { useKeyVersion } from '../keyContext';

interface StepInfo {
  name: string;
  description: string;
}

export function PipelinePage() {
  const keyVersion = useKeyVersion();
  const [steps, setSteps] = useState<StepInfo[]>([]);
  const [chosen, setChosen] = useState<Record<string, boolean>>({});
  const [params, setParams] = useState('{}');
  const [runs, setRuns] = useState<PipelineRun[]>([]);
  const [open, setOpen] = useState<PipelineRun | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      const [s, r] = await Promise.all([
        api<{ steps: StepInfo[] }>('/api/pipeline/steps'),
        api<{ runs: PipelineRun[] }>('/api/pipeline/runs?limit=20'),
      ]);
      setSteps(s.steps);
      setChosen((c) => (Object.keys(c).length ? c : Object.fromEntries(s.steps.map((x) => [x.name, true]))));
      setRuns(r.runs);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);

  useEffect(() => {
    void keyVersion;
    void load();
  }, [load, keyVersion]);

  const openRun = useCallback(async (id: number) => {
    try {
      setOpen(await api<PipelineRun>(`/api/pipeline/runs/${id}`));
    } catch (e) {
      setError(e);
    }
  }, []);

  // While something is queued or running, refresh the list and the open run together.
  const active =
    runs.some((r) => r.status === 'queued' || r.status === 'running') ||
    (open !== null && (open.status === 'queued' || open.status === 'running'));
  const openId = open?.id;
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => {
      void load();
      if (openId !== undefined) void openRun(openId);
    }, 1000);
    return () => clearInterval(t);
  }, [active, openId, load, openRun]);

  const start = async (e: FormEvent) => {
    e.preventDefault();
    let p: Record<string, unknown>;
    try {
      p = JSON.parse(params || '{}');
    } catch {
      setError(new Error('Parameters must be a JSON object, e.g. {"urls": ["https://shop.example/p/1"]}'));
      return;
    }
    try {
      const run = await api<PipelineRun>('/api/pipeline/runs', {
        method: 'POST',
        json: { steps: steps.filter((s) => chosen[s.name]).map((s) => s.name), params: p },
      });
      await load();
      await openRun(run.id);
    } catch (err) {
      setError(err);
    }
  };

  if (isMissing(error)) {
    return (
      <section>
        <h1>Pipeline</h1>
        <NotConfigured what="The pipeline runner" how={(error as Error).message} />
      </section>
    );
  }

  return (
    <section aria-labelledby="pipeline-h">
      <h1 id="pipeline-h">Pipeline</h1>
      <ErrorBox error={error} />
      <form className="card" onSubmit={start}>
        <fieldset>
          <legend>Steps to run</legend>
          {steps.map((s) => (
            <label key={s.name} className="check">
              <input
                type="checkbox"
                checked={chosen[s.name] ?? false}
                onChange={(e) => setChosen({ ...chosen, [s.name]: e.target.checked })}
              />
              <strong>{s.name}</strong> — {s.description}
            </label>
          ))}
        </fieldset>
        <label htmlFor="run-params">Parameters (JSON)</label>
        <textarea id="run-params" rows={2} value={params} onChange={(e) => setParams(e.target.value)} />
        <div className="actions">
          <button type="submit" disabled={!steps.some((s) => chosen[s.name])}>
            Start run
          </button>
        </div>
      </form>
      <div className="card">
        <h2>Runs</h2>
        {runs.length === 0 ? (
          <p className="muted">No runs yet.</p>
        ) : (
          <table data-testid="runs">
            <thead>
              <tr>
                <th scope="col">run</th>
                <th scope="col">status</th>
                <th scope="col">steps</th>
                <th scope="col">by</th>
                <th scope="col">started</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id}>
                  <td>
                    <button type="button" className="link" onClick={() => void openRun(r.id)}>
                      #{r.id}
                    </button>
                  </td>
                  <td>
                    <span className={`status status-${r.status}`}>{r.status}</span>
                  </td>
                  <td>
                    {r.steps.map((s) => (
                      <span key={s.name} className={`chip status-${s.status}`} title={s.message ?? ''}>
                        {s.name} {Math.round(s.progress * 100)}%
                      </span>
                    ))}
                  </td>
                  <td>{r.requested_by ?? '—'}</td>
                  <td>{new Date(r.started_at ?? r.created_at).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {open && (
        <div className="card" data-testid="run-detail">
          <h2>
            Run #{open.id}: {open.status}
          </h2>
          {open.error && <p className="error">{open.error}</p>}
          {open.steps.map((s) => (
            <div key={s.name} className="step">
              <p>
                <strong>{s.name}</strong> <span className={`status status-${s.status}`}>{s.status}</span>{' '}
                <span className="muted">{s.message ?? ''}</span>
              </p>
              <Progress value={s.progress} label={`${s.name} progress`} />
              {s.error && <p className="error">{s.error}</p>}
              {s.output && <pre className="output">{JSON.stringify(s.output)}</pre>}
            </div>
          ))}
          <h3>Log</h3>
          <pre className="log" aria-live="polite">
            {(open.logs ?? [])
              .map(
                (l) => `${new Date(l.at).toLocaleTimeString()} ${l.level.padEnd(5)} ${l.step ?? 'run'}: ${l.message}`,
              )
              .join('\n')}
          </pre>
        </div>
      )}
    </section>
  );
}
