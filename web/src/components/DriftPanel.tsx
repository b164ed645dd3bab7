import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, num } from '../api';
import { ErrorBox } from './common';

/** `GET /api/drift` (src/server/drift-routes.ts). */
interface DriftReport {
  status: 'disabled' | 'no_reference' | 'warming_up' | 'ok' | 'drift';
  reason?: string;
  model?: { name: string; version: string };
  reference?: { source: string; n: number; created_at: string } | null;
  window?: { size: number; n: number; min_samples: number };
  threshold?: number;
  features: Record<string, { psi: number; bins: string[]; reference: number[]; live: number[] }>;
  drifted: string[];
  trigger?: { enabled: boolean; cooldown_seconds: number };
}

const FEATURE_NAMES: Record<string, string> = {
  predicted_class: 'predicted class',
  confidence: 'confidence',
  text_length: 'text length (characters)',
  photo_share: 'photo share',
  mismatch_rate: 'text/photo mismatch',
};

/**
 * Drift of this server's recent analyses against the served model's reference: PSI per feature (0.1 moderate,
 * 0.25 significant; Siddiqi 2006) and, for a chosen feature, the live and reference shares of each bin.
 */
export function DriftPanel() {
  const [r, setR] = useState<DriftReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [feature, setFeature] = useState('predicted_class');
  useEffect(() => {
    api<DriftReport>('/api/drift').then(setR).catch(setError);
  }, []);
  if (error) return <ErrorBox error={error} />;
  if (!r) return null;
  const picked = r.features[feature];
  return (
    <div className="card" data-testid="drift">
      <h2>Drift of live traffic</h2>
      {r.status === 'disabled' && <p className="muted">Drift tracking is off (drift.enabled).</p>}
      {r.status === 'no_reference' && (
        <p className="warning" role="status">
          Drift is not measured: {r.reason}
        </p>
      )}
      {r.window && r.reference && (
        <p className="muted">
          The last {r.window.n} of up to {r.window.size} analyses on this server, against {r.reference.n} reference
          answers ({r.reference.source}). PSI above {r.threshold} counts as drift
          {r.trigger?.enabled ? ' and starts a pipeline run' : ''}.
        </p>
      )}
      {r.status === 'warming_up' && (
        <p className="muted" role="status">
          Waiting for {r.window?.min_samples} analyses before measuring ({r.window?.n} so far).
        </p>
      )}
      {(r.status === 'ok' || r.status === 'drift') && (
        <>
          <p role="status">
            {r.status === 'drift' ? (
              <strong className="warning">Drift: {r.drifted.map((f) => FEATURE_NAMES[f] ?? f).join(', ')}.</strong>
            ) : (
              'No feature has drifted.'
            )}
          </p>
          <table data-testid="drift-table">
            <thead>
              <tr>
                <th scope="col">feature</th>
                <th scope="col">PSI</th>
                <th scope="col">reading</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(r.features).map(([f, d]) => (
                <tr key={f}>
                  <td>
                    <button type="button" className="link" onClick={() => setFeature(f)} aria-pressed={f === feature}>
                      {FEATURE_NAMES[f] ?? f}
                    </button>
                  </td>
                  <td>{num(d.psi, 3)}</td>
                  <td>{d.psi > (r.threshold ?? 0.25) ? 'drifted' : d.psi > 0.1 ? 'moderate shift' : 'stable'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {picked && (
            <div
              style={{ width: '100%', height: 240 }}
              role="img"
              aria-label={`${FEATURE_NAMES[feature] ?? feature}: live and reference shares`}
            >
              <ResponsiveContainer>
                <BarChart
                  data={picked.bins.map((b, i) => ({ bin: b, live: picked.live[i], reference: picked.reference[i] }))}
                >
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="bin" />
                  <YAxis domain={[0, 1]} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="reference" fill="#5d6b82" isAnimationActive={false} />
                  <Bar dataKey="live" fill="#1d4ed8" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
          )}
        </>
      )}
    </div>
  );
}
