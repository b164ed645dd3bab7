import { useEffect, useState } from 'react';
import { api, num } from '../api';
import { ErrorBox, SentimentBadge, Thumb } from '../components/common';
import { useKeyVersion } from '../keyContext';

interface Interval {
  estimate: number;
  low: number;
  high: number;
}

type ClassF1 = { negative: number; neutral: number; positive: number };
interface Side {
  accuracy: number;
  macro_f1: number;
  per_class_f1: ClassF1;
}

/** data/synthesis/with-without.json, from `npm run bench:synthetic-training` (src/synthesis/training-comparison.ts). */
interface TrainingComparison {
  created_at: string;
  command: string;
  bootstrap: { resamples: number; seed: number };
  decision_rule: string;
  decision: { include: boolean; reason: string };
  without: { model: string };
  with: {
    model: string;
    synthetic: null | { used: number; by_label: ClassF1; real_by_label: ClassF1; by_generator: Record<string, number> };
  };
  sets: Array<{
    set: string;
    role: 'decision' | 'reported';
    n: number;
    without: Side;
    with: Side;
    macro_f1_diff: Interval;
    accuracy_diff: Interval;
  }>;
}

/** `GET /api/synthesis` (src/server/synthesis-routes.ts). */
interface SynthesisOverview {
  samples: Array<{
    id: string;
    text: string;
    label: string | null;
    rating: number | null;
    product: string | null;
    generator: string | null;
    thumbnail_url?: string;
    created_at: string;
  }>;
  total: number;
  validator: null | {
    created_at: string;
    folds: number;
    goal: number;
    features: { embedding: string | null; style: string[] };
    synthetic: { source: string | null };
    generators: Array<{
      generator: string;
      pairs: number;
      accuracy: Interval | null;
      auc: number | null;
      style_only: Interval | null;
      embedding_only: Interval | null;
      rounds: Array<{ round: string; pairs: number; accuracy: Interval }>;
      most_real: Array<{ id: string; text: string; p_synthetic: number }>;
      giveaways: Array<{
        feature: string;
        description: string;
        auc: number;
        synthetic_mean: number;
        real_mean: number;
      }>;
      skipped?: string;
    }>;
  };
  validator_error?: string;
  training_comparison: TrainingComparison | null;
  training_comparison_error?: string;
}

const ci = (i: Interval | null) => (i ? `${num(i.estimate)} [${num(i.low)}, ${num(i.high)}]` : '—');
const signed = (x: number) => `${x >= 0 ? '+' : ''}${num(x)}`;
const diff = (i: Interval) => `${signed(i.estimate)} [${signed(i.low)}, ${signed(i.high)}]`;
const f1s = (p: ClassF1) => `${num(p.negative)} / ${num(p.neutral)} / ${num(p.positive)}`;

/** The with/without-synthetic-data training comparison: both models per set, and the paired differences. */
function TrainingComparisonCard({ c, error }: { c: TrainingComparison | null; error?: string }) {
  const s = c?.with.synthetic;
  return (
    <div className="card" data-testid="training-comparison">
      <h2>Does synthetic data help training?</h2>
      {error && (
        <p className="warning" role="status">
          {error}
        </p>
      )}
      {!c && !error && (
        <p className="muted" role="status">
          Not measured yet. Train with and without <code>--synthetic FILE.jsonl</code>, then run{' '}
          <code>npm run bench:synthetic-training</code>.
        </p>
      )}
      {c && (
        <>
          <p className="muted">
            {c.without.model} (without) against {c.with.model} (with
            {s
              ? ` ${s.used} synthetic reviews: ${s.by_label.negative} negative, ${s.by_label.neutral} neutral, ${s.by_label.positive} positive`
              : ' synthetic reviews'}
            ), scored on real reviews only as the server answers. Paired bootstrap 95% intervals (
            {c.bootstrap.resamples} resamples). Measured {new Date(c.created_at).toLocaleString()}.
          </p>
          <table data-testid="training-comparison-table">
            <thead>
              <tr>
                <th scope="col">set</th>
                <th scope="col">n</th>
                <th scope="col">macro-F1 without → with</th>
                <th scope="col">difference</th>
                <th scope="col">accuracy without → with</th>
                <th scope="col">F1 neg / neu / pos without</th>
                <th scope="col">F1 neg / neu / pos with</th>
              </tr>
            </thead>
            <tbody>
              {c.sets.map((r) => (
                <tr key={r.set}>
                  <td>
                    {r.set}
                    {r.role === 'decision' ? ' (decides)' : ''}
                  </td>
                  <td>{r.n}</td>
                  <td>
                    {num(r.without.macro_f1)} → {num(r.with.macro_f1)}
                  </td>
                  <td>{diff(r.macro_f1_diff)}</td>
                  <td>
                    {num(r.without.accuracy)} → {num(r.with.accuracy)}
                  </td>
                  <td>{f1s(r.without.per_class_f1)}</td>
                  <td>{f1s(r.with.per_class_f1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p data-testid="training-decision">
            <strong>
              {c.decision.include
                ? 'Synthetic data is included'
                : 'The default training mix stays without synthetic data'}
            </strong>
            : {c.decision.reason}.
          </p>
          <p className="muted">Rule: {c.decision_rule}.</p>
        </>
      )}
    </div>
  );
}

/**
 * Synthetic data: the adversarial validator's last report (can a discriminator tell each generator's reviews from
 * real ones? 0.5 = no), whether synthetic data helps training (the with/without comparison) and the most recent
 * synthetic reviews in the store.
 */
export function SynthesisPage() {
  const keyVersion = useKeyVersion();
  const [data, setData] = useState<SynthesisOverview | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    void keyVersion;
    api<SynthesisOverview>('/api/synthesis?limit=20').then(setData).catch(setError);
  }, [keyVersion]);
  const v = data?.validator;
  return (
    <section aria-labelledby="synthesis-h">
      <h1 id="synthesis-h">Synthesis</h1>
      <ErrorBox error={error} />
      {data && (
        <>
          <div className="card" data-testid="validator">
            <h2>Can a discriminator tell synthetic from real?</h2>
            {data.validator_error && (
              <p className="warning" role="status">
                {data.validator_error}
              </p>
            )}
            {!v && !data.validator_error && (
              <p className="muted" role="status">
                No validator report yet. Run <code>reviewlens synth validate --synthetic FILE.jsonl --save</code> to
                measure one.
              </p>
            )}
            {v && (
              <>
                <p className="muted">
                  Held-out accuracy of a discriminator ({v.features.embedding ?? 'no embedding'} +{' '}
                  {v.features.style.length} style features, {v.folds}-fold) on balanced sets: as many real reviews of
                  the same domain as synthetic ones. {v.goal} means it cannot tell; 95% bootstrap intervals. Report of{' '}
                  {new Date(v.created_at).toLocaleString()}
                  {v.synthetic.source ? ` on ${v.synthetic.source}` : ''}.
                </p>
                <table data-testid="validator-table">
                  <thead>
                    <tr>
                      <th scope="col">generator</th>
                      <th scope="col">pairs</th>
                      <th scope="col">accuracy</th>
                      <th scope="col">AUC</th>
                      <th scope="col">style only</th>
                      <th scope="col">embedding only</th>
                      <th scope="col">strongest tells</th>
                    </tr>
                  </thead>
                  <tbody>
                    {v.generators.map((g) => (
                      <tr key={g.generator}>
                        <td>{g.generator}</td>
                        <td>{g.pairs}</td>
                        <td>{g.accuracy ? ci(g.accuracy) : `not measured: ${g.skipped ?? ''}`}</td>
                        <td>{num(g.auc)}</td>
                        <td>{ci(g.style_only)}</td>
                        <td>{ci(g.embedding_only)}</td>
                        <td>
                          {g.giveaways
                            .slice(0, 3)
                            .map(
                              (x) =>
                                `${x.feature} (synthetic ${num(x.synthetic_mean, 2)} vs real ${num(x.real_mean, 2)})`,
                            )
                            .join(', ')}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {v.generators.map((g) => (
                  <div key={g.generator}>
                    {g.rounds.length > 0 && (
                      <p className="muted">
                        {g.generator} by round:{' '}
                        {g.rounds.map((r) => `${r.round}: ${ci(r.accuracy)} (${r.pairs} pairs)`).join('; ')}
                      </p>
                    )}
                    {g.most_real.length > 0 && (
                      <>
                        <h3>Most real-looking {g.generator} reviews</h3>
                        <ul className="hits">
                          {g.most_real.map((m) => (
                            <li key={m.id} className="hit">
                              <div>
                                <p>
                                  <span className="chip">P(synthetic) {num(m.p_synthetic, 2)}</span>
                                </p>
                                <p>{m.text}</p>
                              </div>
                            </li>
                          ))}
                        </ul>
                      </>
                    )}
                  </div>
                ))}
              </>
            )}
          </div>
          <TrainingComparisonCard
            c={data.training_comparison}
            {...(data.training_comparison_error ? { error: data.training_comparison_error } : {})}
          />
          <div className="card" data-testid="synthetic-samples">
            <h2>Recent synthetic reviews</h2>
            {data.total === 0 ? (
              <p className="muted" role="status">
                No synthetic reviews in the store yet. <code>reviewlens synth</code> writes them to a file; the
                pipeline's synthesize step stores them (source <code>synthetic</code>).
              </p>
            ) : (
              <>
                <p className="muted">
                  The {data.samples.length} most recent of {data.total} stored with source synthetic.
                </p>
                <ul className="hits">
                  {data.samples.map((s) => (
                    <li key={s.id} className="hit">
                      {s.thumbnail_url && <Thumb src={s.thumbnail_url} alt="The synthetic review's photo" />}
                      <div>
                        <p>
                          {s.label && <SentimentBadge label={s.label} />}{' '}
                          {s.generator && <span className="chip">{s.generator}</span>}
                        </p>
                        <p>{s.text}</p>
                      </div>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
        </>
      )}
    </section>
  );
}
