/**
 * Renders an evaluation report (`EvalReport`) as one self-contained HTML page: inline CSS and inline SVG,
 * no script, no external reference of any kind (no fonts, images or CDN), readable on a laptop and
 * printable (sections avoid page breaks inside charts and tables).
 */
import { SENTIMENTS } from '../../core/types.js';
import type { Interval } from '../bootstrap.js';
import { barsSvg, COLOURS, confusionSvg, esc, type RadarSeries, radarSvg, reliabilitySvg } from './svg.js';
import type { EvalReport } from './types.js';

const f3 = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const pct = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
const ci = (i: Interval) => `${f3(i.estimate)} <span class="ci">[${f3(i.low)}, ${f3(i.high)}]</span>`;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
const ref = (m: { name: string; version: string }) => `${m.name}@${m.version}`;

const CSS = `
:root{--ink:#1b1f24;--muted:#5b6470;--line:#d8dde3;--bg:#fff;--accent:#0072B2}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg);margin:0}
main{max-width:1100px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:34px 0 8px;padding-top:8px;border-top:2px solid var(--line)}
h3{font-size:15px;margin:20px 0 6px}
p.lead{color:var(--muted);margin:0 0 14px}
nav{margin:12px 0 4px;font-size:13px}
nav a{color:var(--accent);margin-right:14px;text-decoration:none}
table{border-collapse:collapse;margin:6px 0 14px;font-size:13px;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid var(--line);padding:4px 10px 4px 0;text-align:left;vertical-align:top}
th{font-weight:600;color:var(--muted)}
td.num,th.num{text-align:right}
.ci{color:var(--muted);font-size:12px}
.good{color:#0a7b3e}.bad{color:#b3261e}
.grid{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
figure{margin:0 0 12px}
figcaption{font-size:12px;color:var(--muted);margin-top:2px}
svg.chart{max-width:100%;height:auto;font-family:inherit}
svg .tick{font-size:11px;fill:#333}
svg .axis{font-size:12px;fill:#555}
svg .legend{font-size:12px;fill:#222}
svg .cell{font-size:13px;font-weight:600}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f5f7;padding:1px 4px;border-radius:3px;word-break:break-all}
.note{background:#fff8e1;border-left:3px solid #E69F00;padding:6px 10px;margin:8px 0;font-size:13px}
.meta td{padding-right:18px}
section{break-inside:auto}
@media print{
  body{font-size:11px}
  main{max-width:none;padding:0}
  nav{display:none}
  h2{break-before:auto;break-after:avoid}
  figure,table,svg{break-inside:avoid}
  a{color:inherit;text-decoration:none}
}
`;

/** The report as one HTML document (a string). */
export function renderReport(r: EvalReport, opts: { jsonFile?: string } = {}): string {
  const cand = r.models[0];
  if (!cand) throw new Error('a report needs at least one model');
  const prod = r.models[1];
  const names = r.models.map((m) => ref(m.model));
  const out: string[] = [];
  out.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`,
    `<title>Evaluation report: ${esc(ref(r.model))}</title><style>${CSS}</style></head><body><main>`,
    `<h1>Evaluation report: ${esc(ref(r.model))}</h1>`,
    `<p class="lead">${r.against ? `Compared with production ${esc(ref(r.against))}. ` : ''}Created ${esc(r.created_at)} in ${r.seconds.toFixed(0)} s. Every figure is recomputable from the run's JSON${opts.jsonFile ? ` (<code>${esc(opts.jsonFile)}</code>)` : ''}: data hashes, model versions and seeds below.</p>`,
    `<nav><a href="#summary">Summary</a><a href="#classification">Classification</a><a href="#calibration">Calibration</a><a href="#robustness">Robustness</a><a href="#modality">Multimodal contribution</a>${r.load ? '<a href="#latency">Latency</a>' : ''}${r.comparison ? '<a href="#comparison">Against production</a>' : ''}<a href="#reproduce">Reproduce</a></nav>`,
  );

  // Summary
  out.push(`<section id="summary"><h2>Summary</h2>`);
  out.push(
    `<table><thead><tr><th>data set</th><th>model</th><th class="num">n</th><th class="num">accuracy [95% CI]</th><th class="num">macro-F1 [95% CI]</th><th class="num">ECE (fused)</th></tr></thead><tbody>`,
  );
  for (const [si, set] of cand.sets.entries()) {
    for (const m of r.models) {
      const s = m.sets[si];
      if (!s) continue;
      const ece = s.calibration.find((c) => c.modality === 'fused')?.ece;
      out.push(
        `<tr><td>${esc(set.set)}</td><td>${esc(ref(m.model))}</td><td class="num">${s.classification.n}</td><td class="num">${ci(s.classification.accuracy)}</td><td class="num">${ci(s.classification.macro_f1)}</td><td class="num">${f3(ece)}</td></tr>`,
      );
    }
  }
  out.push(`</tbody></table>`);
  out.push(dataTable(r));
  out.push(`</section>`);

  // Classification
  out.push(`<section id="classification"><h2>Classification</h2>`);
  for (const [si, set] of cand.sets.entries()) {
    out.push(`<h3>${esc(set.set)}</h3>`);
    out.push(
      `<p class="lead">n=${set.classification.n}; photos read ${set.photos.used}, none ${set.photos.none}, unreadable ${set.photos.unreadable}. The answer scored is the fused one (as the server answers).</p>`,
    );
    out.push(`<div class="grid">`);
    for (const m of r.models) {
      const s = m.sets[si];
      if (!s) continue;
      out.push(
        `<figure>${confusionSvg(s.classification.confusion, SENTIMENTS, `Confusion matrix, ${ref(m.model)}, ${s.set}`)}<figcaption>Confusion matrix: ${esc(ref(m.model))}</figcaption></figure>`,
      );
      out.push(
        `<div><table><thead><tr><th>${esc(ref(m.model))}</th><th class="num">precision</th><th class="num">recall</th><th class="num">F1</th><th class="num">support</th></tr></thead><tbody>${s.classification.per_class
          .map(
            (c) =>
              `<tr><td>${c.label}</td><td class="num">${f3(c.precision)}</td><td class="num">${f3(c.recall)}</td><td class="num">${f3(c.f1)}</td><td class="num">${c.support}</td></tr>`,
          )
          .join(
            '',
          )}<tr><td><b>macro-F1</b></td><td colspan="4" class="num">${ci(s.classification.macro_f1)}</td></tr></tbody></table></div>`,
      );
    }
    out.push(`</div>`);
    if (set.slices.length > 0) {
      out.push(
        sliceTable(
          r,
          set.slices,
          r.models.map((m) => m.sets[si]?.slices ?? []),
        ),
      );
    } else {
      out.push(`<p class="lead">No slice with two or more values of at least 20 reviews.</p>`);
    }
  }
  if (cand.sets.length > 1 && cand.overall_slices.length > 0) {
    out.push(
      `<h3>All data sets together</h3><p class="lead">n=${cand.overall.n}: accuracy ${ci(cand.overall.accuracy)}, macro-F1 ${ci(cand.overall.macro_f1)}.</p>`,
      sliceTable(
        r,
        cand.overall_slices,
        r.models.map((m) => m.overall_slices),
      ),
    );
  }
  out.push(`</section>`);

  // Calibration
  out.push(
    `<section id="calibration"><h2>Calibration</h2><p class="lead">Expected calibration error: 10 equal-width bins of the top-class confidence, |accuracy - confidence| weighted by the bin's share (Guo et al. 2017). A point on the dashed diagonal is perfectly calibrated.</p>`,
  );
  for (const [si, set] of cand.sets.entries()) {
    out.push(`<h3>${esc(set.set)}</h3><div class="grid">`);
    for (const m of r.models) {
      const s = m.sets[si];
      if (!s) continue;
      out.push(
        `<figure>${reliabilitySvg(
          s.calibration.map((c) => ({ name: c.modality === 'image' ? 'photo' : c.modality, ece: c.ece, bins: c.bins })),
          `Reliability diagram, ${ref(m.model)}, ${s.set}`,
        )}<figcaption>${esc(ref(m.model))}: ${s.calibration.map((c) => `${c.modality === 'image' ? 'photo' : c.modality} ECE ${f3(c.ece)} (n=${c.n})`).join(', ')}</figcaption></figure>`,
      );
    }
    out.push(`</div>`);
  }
  out.push(`</section>`);

  // Robustness
  out.push(
    `<section id="robustness"><h2>Robustness</h2><p class="lead">Each perturbation is applied to a seeded sample (seed ${r.seeds.perturbation}); text perturbations are scored on the text alone, photo perturbations on text + perturbed photo. A flip is an answer that changed.</p>`,
  );
  const pert = cand.robustness;
  if (pert.length >= 3) {
    const series: RadarSeries[] = r.models.map((m) => ({
      name: ref(m.model),
      values: pert.map((p) => m.robustness.find((q) => q.id === p.id)?.accuracy ?? Number.NaN),
    }));
    series.push({
      name: `${ref(cand.model)} unperturbed`,
      values: pert.map((p) => p.accuracy_clean),
      dashed: true,
    });
    out.push(
      `<figure>${radarSvg(
        pert.map((p) => p.label),
        series,
        'Robustness radar: accuracy under each perturbation',
      )}<figcaption>Accuracy under each perturbation (rim = 1). Dashed: the same items unperturbed.</figcaption></figure>`,
    );
  }
  if (pert.length > 0) {
    out.push(
      `<table><thead><tr><th>perturbation</th><th>on</th>${r.models.map((m) => `<th class="num">n</th><th class="num">accuracy clean → perturbed (${esc(m.model.version)})</th><th class="num">flips</th>`).join('')}</tr></thead><tbody>`,
    );
    for (const p of pert) {
      out.push(`<tr><td>${esc(p.label)}</td><td>${p.kind}</td>`);
      for (const m of r.models) {
        const q = m.robustness.find((x) => x.id === p.id);
        out.push(
          q
            ? `<td class="num">${q.n}${q.skipped ? ` <span class="ci">(${q.skipped} skipped)</span>` : ''}</td><td class="num">${f3(q.accuracy_clean)} → ${f3(q.accuracy)}</td><td class="num">${q.flips} (${pct(q.flip_rate)})</td>`
            : '<td></td><td></td><td></td>',
        );
      }
      out.push(`</tr>`);
    }
    out.push(`</tbody></table>`);
  } else {
    out.push(`<p class="note">Robustness was not run (no items, or --robustness-n 0).</p>`);
  }
  if (cand.behaviour) {
    const caps = cand.behaviour.by_capability;
    out.push(
      `<h3>Behaviour suite</h3><p class="lead">Hand-written cases by capability (CheckList, Ribeiro et al. 2020; <code>data/behaviour/suite.json</code>): sarcasm, mixed sentiment (contrast), negation and the rest. Overall ${r.models.map((m) => `${esc(ref(m.model))} ${m.behaviour ? `${m.behaviour.overall.passed}/${m.behaviour.overall.n} (${pct(m.behaviour.overall.rate)})` : 'n/a'}`).join('; ')}.</p>`,
    );
    if (caps.length >= 3) {
      out.push(
        `<figure>${radarSvg(
          caps.map((c) => c.capability.replace(/_/g, ' ')),
          r.models.map((m) => ({
            name: ref(m.model),
            values: caps.map(
              (c) => m.behaviour?.by_capability.find((x) => x.capability === c.capability)?.rate ?? Number.NaN,
            ),
          })),
          'Behaviour radar: pass rate per capability',
        )}<figcaption>Pass rate per capability (rim = 1).</figcaption></figure>`,
      );
    }
    out.push(
      `<table><thead><tr><th>capability</th><th class="num">n</th>${r.models.map((m) => `<th class="num">passed (${esc(m.model.version)})</th>`).join('')}</tr></thead><tbody>${caps
        .map(
          (c) =>
            `<tr><td>${esc(c.capability.replace(/_/g, ' '))}</td><td class="num">${c.n}</td>${r.models
              .map((m) => {
                const x = m.behaviour?.by_capability.find((y) => y.capability === c.capability);
                return `<td class="num">${x ? `${x.passed} (${pct(x.rate)})` : 'n/a'}</td>`;
              })
              .join('')}</tr>`,
        )
        .join('')}</tbody></table>`,
    );
  }
  out.push(`</section>`);

  // Multimodal contribution
  out.push(`<section id="modality"><h2>Multimodal contribution</h2>`);
  let anyModality = false;
  for (const [si, set] of cand.sets.entries()) {
    if (!set.modality) continue;
    anyModality = true;
    out.push(
      `<h3>${esc(set.set)}</h3><p class="lead">Text only, photo only and fused on the same ${set.modality.n} reviews whose photo was read; macro-F1 with bootstrap 95% intervals.</p><div class="grid">`,
    );
    for (const [k, m] of r.models.entries()) {
      const md = m.sets[si]?.modality;
      if (!md) continue;
      out.push(
        `<figure>${barsSvg(
          [
            {
              label: 'text only',
              value: md.text.macro_f1.estimate,
              low: md.text.macro_f1.low,
              high: md.text.macro_f1.high,
              series: k,
            },
            {
              label: 'photo only',
              value: md.image.macro_f1.estimate,
              low: md.image.macro_f1.low,
              high: md.image.macro_f1.high,
              series: k,
            },
            {
              label: 'fused',
              value: md.fused.macro_f1.estimate,
              low: md.fused.macro_f1.low,
              high: md.fused.macro_f1.high,
              series: k,
            },
          ],
          `Modality macro-F1, ${ref(m.model)}, ${set.set}`,
        )}<figcaption>${esc(ref(m.model))}: macro-F1 by modality. Fused minus text only: macro-F1 ${diffCell(md.fused_minus_text.macro_f1)}, accuracy ${diffCell(md.fused_minus_text.accuracy)} (paired bootstrap).</figcaption></figure>`,
      );
    }
    out.push(`</div>`);
    out.push(
      `<table><thead><tr><th>model</th><th class="num">text only acc.</th><th class="num">photo only acc.</th><th class="num">fused acc.</th><th class="num">fused − text macro-F1 [95% CI]</th></tr></thead><tbody>${r.models
        .map((m) => {
          const md = m.sets[si]?.modality;
          return md
            ? `<tr><td>${esc(ref(m.model))}</td><td class="num">${f3(md.text.accuracy)}</td><td class="num">${f3(md.image.accuracy)}</td><td class="num">${f3(md.fused.accuracy)}</td><td class="num">${diffCell(md.fused_minus_text.macro_f1)}</td></tr>`
            : '';
        })
        .join('')}</tbody></table>`,
    );
  }
  if (!anyModality)
    out.push(`<p class="note">No data set had readable photos: the modality comparison was skipped.</p>`);
  if (cand.glowing) {
    out.push(
      `<h3>Damaged photo under glowing text</h3><p class="lead">Each of ${cand.glowing.texts.length} glowing five-star texts (e.g. “${esc(cand.glowing.texts[0])}”) over photos of damaged products and, as the control, of intact ones (<code>product-photos</code>). The rate is the share answered negative; “overruled” counts answers where the damaged-product check overruled the text.</p>`,
    );
    out.push(
      `<table><thead><tr><th>model</th><th class="num">damaged: answered negative</th><th class="num">damaged: overruled</th><th class="num">intact: answered negative (false alarms)</th></tr></thead><tbody>${r.models
        .map((m) =>
          m.glowing
            ? `<tr><td>${esc(ref(m.model))}</td><td class="num">${m.glowing.damaged.negative}/${m.glowing.damaged.n} (${pct(m.glowing.damaged.rate)})</td><td class="num">${m.glowing.damaged.overruled}</td><td class="num">${m.glowing.intact.negative}/${m.glowing.intact.n} (${pct(m.glowing.intact.rate)})</td></tr>`
            : '',
        )
        .join('')}</tbody></table>`,
    );
  }
  out.push(`</section>`);

  // Latency
  if (r.load) {
    out.push(
      `<section id="latency"><h2>Latency and throughput</h2><p class="lead">POST ${esc(r.load.path)} on ${esc(r.load.url)}${r.load.served_model ? ` (serving ${esc(r.load.served_model)})` : ''}, text-only uncached reviews, closed loop with autocannon on the same machine (client and server share its cores).</p>`,
      `<table class="latency"><thead><tr><th class="num">connections</th><th class="num">seconds</th><th class="num">requests</th><th class="num">req/s</th><th class="num">mean ms</th><th class="num">p50 ms</th><th class="num">p95 ms</th><th class="num">p99 ms</th><th class="num">errors</th><th class="num">non-2xx</th></tr></thead><tbody>${r.load.levels
        .map(
          (l) =>
            `<tr><td class="num">${l.connections}</td><td class="num">${l.seconds}</td><td class="num">${l.requests}</td><td class="num">${l.qps.toFixed(1)}</td><td class="num">${l.mean.toFixed(1)}</td><td class="num">${l.p50.toFixed(1)}</td><td class="num">${l.p95.toFixed(1)}</td><td class="num">${l.p99.toFixed(1)}</td><td class="num">${l.errors}</td><td class="num">${l.non2xx}</td></tr>`,
        )
        .join('')}</tbody></table></section>`,
    );
  }

  // Comparison
  if (r.comparison && prod) {
    out.push(
      `<section id="comparison"><h2>Against production</h2><p class="lead">${esc(ref(cand.model))} minus ${esc(ref(prod.model))} on the same items, paired bootstrap 95% intervals (${r.options.resamples} resamples, seed ${r.seeds.bootstrap}). <span class="good">Green</span>: the interval is above 0; <span class="bad">red</span>: below (for ECE lower is better).</p>`,
      `<table><thead><tr><th>figure</th><th class="num">candidate</th><th class="num">production</th><th class="num">difference [95% CI]</th></tr></thead><tbody>${r.comparison
        .map((d) => {
          const lowerBetter = /ECE/.test(d.what);
          return `<tr><td>${esc(d.what)}</td><td class="num">${f3(d.candidate)}</td><td class="num">${f3(d.production)}</td><td class="num">${diffCell(d.diff, lowerBetter)}</td></tr>`;
        })
        .join('')}</tbody></table></section>`,
    );
  }

  // Reproduce
  out.push(
    `<section id="reproduce"><h2>Reproduce</h2><table class="meta"><tbody>`,
    `<tr><td>command</td><td><code>${esc(r.command)}</code></td></tr>`,
    `<tr><td>models</td><td>${names.map((n) => `<code>${esc(n)}</code>`).join(' ')}</td></tr>`,
    `<tr><td>seeds</td><td>bootstrap ${r.seeds.bootstrap}, perturbation ${r.seeds.perturbation}, sample ${r.seeds.sample}</td></tr>`,
    `<tr><td>options</td><td>${esc(
      Object.entries(r.options)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    )}</td></tr>`,
    `<tr><td>format</td><td>${esc(r.format)}</td></tr>`,
    `</tbody></table></section>`,
  );
  out.push(
    `<footer><p class="lead">Colours: ${r.models.map((m, k) => `<span style="color:${COLOURS[k % COLOURS.length]}">■</span> ${esc(ref(m.model))}`).join(' ')}</p></footer></main></body></html>`,
  );
  return out.join('\n');
}

function diffCell(d: Interval, lowerBetter = false): string {
  const cls = d.low > 0 ? (lowerBetter ? 'bad' : 'good') : d.high < 0 ? (lowerBetter ? 'good' : 'bad') : '';
  return `<span class="${cls}">${signed(d.estimate)}</span> <span class="ci">[${signed(d.low)}, ${signed(d.high)}]</span>`;
}

function dataTable(r: EvalReport): string {
  const rows = r.data
    .map(
      (d) =>
        `<tr><td>${esc(d.name)}</td><td><code>${esc(d.origin)}</code></td><td class="num">${d.n}</td><td class="num">${d.with_photo}</td><td>${d.skipped.length ? d.skipped.map((s) => `${s.count} × ${esc(s.reason)}`).join('; ') : 'none'}</td><td><code title="sha256 of the scored rows">${esc(d.sha256.slice(0, 16))}…</code></td></tr>${d.notes.map((n) => `<tr><td></td><td colspan="5" class="note">${esc(n)}</td></tr>`).join('')}`,
    )
    .join('');
  return `<h3>Data</h3><table><thead><tr><th>data set</th><th>from</th><th class="num">reviews</th><th class="num">with a photo</th><th>skipped</th><th>sha256</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function sliceTable(
  r: EvalReport,
  slices: EvalReport['models'][number]['overall_slices'],
  perModel: Array<EvalReport['models'][number]['overall_slices']>,
): string {
  const out: string[] = [
    `<table class="slices"><thead><tr><th>slice</th><th>value</th><th class="num">n</th>${r.models.map((m) => `<th class="num">accuracy ${esc(m.model.version)}</th><th class="num">macro-F1 [95% CI] ${esc(m.model.version)}</th>`).join('')}</tr></thead><tbody>`,
  ];
  for (const sl of slices) {
    out.push(`<tr><td>${sl.dimension}</td><td>${esc(sl.value)}</td><td class="num">${sl.n}</td>`);
    for (const list of perModel) {
      const x = list.find((y) => y.dimension === sl.dimension && y.value === sl.value);
      out.push(
        x ? `<td class="num">${f3(x.accuracy)}</td><td class="num">${ci(x.macro_f1)}</td>` : '<td></td><td></td>',
      );
    }
    out.push(`</tr>`);
  }
  out.push(`</tbody></table>`);
  return out.join('');
}
