/**
 * Inline SVG charts for the evaluation report: confusion matrix, reliability diagram, radar, bars with
 * interval whiskers. Each is a pure function of its figures returning one `<svg>` element as a string
 * (no script, no external reference), with a `<title>` and `aria-label` so a reader and a test can find it.
 * Hand-written rather than a charting library: the report must be one static file without scripts, and
 * these four shapes are a few dozen lines each.
 */

/** Escapes text for HTML and SVG content and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const r1 = (x: number) => Math.round(x * 10) / 10;

/** Series colours (colour-blind safe, Okabe and Ito 2008), in order: candidate, production, reference. */
export const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9'] as const;

/**
 * A confusion matrix as a grid of cells (rows: true class, columns: predicted), each cell shaded by its
 * share of the row and labelled with its count. `labels` name the classes.
 */
export function confusionSvg(matrix: readonly (readonly number[])[], labels: readonly string[], title: string): string {
  const cell = 56;
  const left = 90;
  const top = 50;
  const k = labels.length;
  const w = left + k * cell + 10;
  const h = top + k * cell + 20;
  const parts: string[] = [];
  parts.push(`<text x="${left + (k * cell) / 2}" y="14" text-anchor="middle" class="axis">predicted</text>`);
  labels.forEach((l, j) => {
    parts.push(
      `<text x="${left + j * cell + cell / 2}" y="${top - 8}" text-anchor="middle" class="tick">${esc(l)}</text>`,
    );
  });
  matrix.forEach((row, i) => {
    const total = row.reduce((s, x) => s + x, 0);
    parts.push(
      `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" class="tick">${esc(labels[i] ?? '')}</text>`,
    );
    row.forEach((v, j) => {
      const share = total ? v / total : 0;
      const fill = `rgba(0,114,178,${r1(0.08 + 0.85 * share)})`;
      const ink = share > 0.55 ? '#fff' : '#111';
      parts.push(
        `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 2}" height="${cell - 2}" fill="${fill}"${i === j ? ' stroke="#111" stroke-width="1.5"' : ''}><title>true ${esc(labels[i])}, predicted ${esc(labels[j])}: ${v} (${(100 * share).toFixed(1)}% of the row)</title></rect>`,
        `<text x="${left + j * cell + cell / 2 - 1}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle" fill="${ink}" class="cell">${v}</text>`,
      );
    });
  });
  parts.push(
    `<text x="12" y="${top + (k * cell) / 2}" transform="rotate(-90 12 ${top + (k * cell) / 2})" text-anchor="middle" class="axis">true</text>`,
  );
  return svg(w, h, title, parts, 'confusion');
}

/** One reliability-diagram series: a modality's bins (mean confidence and accuracy per bin, item counts). */
export interface ReliabilitySeries {
  name: string;
  ece: number;
  bins: ReadonlyArray<{ lower: number; upper: number; count: number; confidence: number; accuracy: number }>;
}

/**
 * A reliability diagram: per confidence bin, the accuracy (y) at the mean confidence (x) of each series,
 * joined by lines, over the diagonal of perfect calibration; bins without items are left out, and each
 * point's radius grows with its bin's count.
 */
export function reliabilitySvg(series: readonly ReliabilitySeries[], title: string): string {
  const size = 220;
  const left = 44;
  const top = 12;
  const w = left + size + 150;
  const h = top + size + 40;
  const xAt = (v: number) => r1(left + v * size);
  const yAt = (v: number) => r1(top + (1 - v) * size);
  const parts: string[] = [
    `<rect x="${left}" y="${top}" width="${size}" height="${size}" fill="#fafafa" stroke="#999"/>`,
    `<line x1="${xAt(0)}" y1="${yAt(0)}" x2="${xAt(1)}" y2="${yAt(1)}" stroke="#999" stroke-dasharray="4 3"/>`,
  ];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<text x="${xAt(t)}" y="${top + size + 14}" text-anchor="middle" class="tick">${t}</text>`,
      `<text x="${left - 4}" y="${yAt(t) + 4}" text-anchor="end" class="tick">${t}</text>`,
    );
  }
  parts.push(
    `<text x="${left + size / 2}" y="${top + size + 32}" text-anchor="middle" class="axis">confidence</text>`,
    `<text x="10" y="${top + size / 2}" transform="rotate(-90 10 ${top + size / 2})" text-anchor="middle" class="axis">accuracy</text>`,
  );
  series.forEach((s, k) => {
    const colour = COLOURS[k % COLOURS.length];
    const pts = s.bins.filter((b) => b.count > 0);
    const total = pts.reduce((a, b) => a + b.count, 0) || 1;
    if (pts.length > 1) {
      parts.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.map((b) => `${xAt(b.confidence)},${yAt(b.accuracy)}`).join(' ')}"/>`,
      );
    }
    for (const b of pts) {
      parts.push(
        `<circle cx="${xAt(b.confidence)}" cy="${yAt(b.accuracy)}" r="${r1(2.5 + 6 * Math.sqrt(b.count / total))}" fill="${colour}" fill-opacity="0.75"><title>${esc(s.name)}: confidence ${b.lower.toFixed(1)}-${b.upper.toFixed(1)}, n=${b.count}, mean confidence ${f3(b.confidence)}, accuracy ${f3(b.accuracy)}</title></circle>`,
      );
    }
    const ly = top + 14 + k * 18;
    parts.push(
      `<rect x="${left + size + 12}" y="${ly - 9}" width="10" height="10" fill="${colour}"/>`,
      `<text x="${left + size + 26}" y="${ly}" class="legend">${esc(s.name)} (ECE ${f3(s.ece)})</text>`,
    );
  });
  return svg(w, h, title, parts, 'reliability');
}

/** A radar series: one value in 0..1 per axis (NaN: no value, drawn at 0 and marked n/a in the tooltip). */
export interface RadarSeries {
  name: string;
  values: readonly number[];
  dashed?: boolean;
}

/**
 * A radar chart: one spoke per axis from 0 (centre) to 1 (rim), grid rings at 0.25 steps, one closed
 * polygon per series. Needs at least 3 axes.
 */
export function radarSvg(axes: readonly string[], series: readonly RadarSeries[], title: string): string {
  if (axes.length < 3) throw new Error('a radar needs at least 3 axes');
  const R = 130;
  const cx = 230;
  const cy = 175;
  const w = 460 + 300;
  const h = 350;
  const ang = (i: number) => -Math.PI / 2 + (2 * Math.PI * i) / axes.length;
  const pt = (i: number, v: number) => {
    const r = R * Math.max(0, Math.min(1, Number.isFinite(v) ? v : 0));
    return `${r1(cx + r * Math.cos(ang(i)))},${r1(cy + r * Math.sin(ang(i)))}`;
  };
  const parts: string[] = [];
  for (const ring of [0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<polygon fill="none" stroke="#ddd" points="${axes.map((_, i) => pt(i, ring)).join(' ')}"/>`,
      `<text x="${cx + 3}" y="${r1(cy - R * ring + 10)}" class="tick">${ring}</text>`,
    );
  }
  axes.forEach((a, i) => {
    const [x, y] = pt(i, 1).split(',').map(Number) as [number, number];
    const lx = cx + (R + 14) * Math.cos(ang(i));
    const ly = cy + (R + 14) * Math.sin(ang(i));
    const anchor = Math.abs(lx - cx) < 8 ? 'middle' : lx > cx ? 'start' : 'end';
    parts.push(
      `<line x1="${cx}" y1="${cy}" x2="${x}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${r1(lx)}" y="${r1(ly + 4)}" text-anchor="${anchor}" class="tick">${esc(a)}</text>`,
    );
  });
  series.forEach((s, k) => {
    const colour = COLOURS[k % COLOURS.length];
    parts.push(
      `<polygon fill="${colour}" fill-opacity="0.12" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''} points="${axes.map((_, i) => pt(i, s.values[i] ?? Number.NaN)).join(' ')}"><title>${esc(s.name)}</title></polygon>`,
    );
    axes.forEach((a, i) => {
      const v = s.values[i] ?? Number.NaN;
      const [x, y] = pt(i, v).split(',');
      parts.push(
        `<circle cx="${x}" cy="${y}" r="3" fill="${colour}"><title>${esc(s.name)}: ${esc(a)} ${Number.isFinite(v) ? f3(v) : 'n/a'}</title></circle>`,
      );
    });
    const ly = 20 + k * 18;
    parts.push(
      `<rect x="${460}" y="${ly - 9}" width="10" height="10" fill="${colour}"/>`,
      `<text x="${474}" y="${ly}" class="legend">${esc(s.name)}</text>`,
    );
  });
  return svg(w, h, title, parts, 'radar');
}

/** A bar with an optional 95% interval. */
export interface Bar {
  label: string;
  value: number;
  low?: number;
  high?: number;
  /** Series index (colour). */
  series?: number;
}

/** Horizontal bars on a 0..1 axis, with interval whiskers where given and the value printed at the end. */
export function barsSvg(bars: readonly Bar[], title: string, opts: { max?: number } = {}): string {
  const max = opts.max ?? 1;
  const left = 210;
  const width = 300;
  const row = 24;
  const w = left + width + 70;
  const h = 24 + bars.length * row;
  const xAt = (v: number) => r1(left + (Math.max(0, Math.min(max, v)) / max) * width);
  const parts: string[] = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<line x1="${xAt(t * max)}" y1="4" x2="${xAt(t * max)}" y2="${h - 18}" stroke="#eee"/>`,
      `<text x="${xAt(t * max)}" y="${h - 4}" text-anchor="middle" class="tick">${r1(t * max * 100) / 100}</text>`,
    );
  }
  bars.forEach((b, i) => {
    const y = 6 + i * row;
    const colour = COLOURS[(b.series ?? 0) % COLOURS.length];
    parts.push(
      `<text x="${left - 6}" y="${y + 13}" text-anchor="end" class="tick">${esc(b.label)}</text>`,
      `<rect x="${left}" y="${y}" width="${r1(xAt(b.value) - left)}" height="${row - 8}" fill="${colour}"><title>${esc(b.label)}: ${f3(b.value)}${b.low !== undefined ? ` (95% CI ${f3(b.low)}-${f3(b.high ?? b.low)})` : ''}</title></rect>`,
    );
    if (b.low !== undefined && b.high !== undefined) {
      const my = y + (row - 8) / 2;
      parts.push(
        `<line x1="${xAt(b.low)}" y1="${my}" x2="${xAt(b.high)}" y2="${my}" stroke="#111"/>`,
        `<line x1="${xAt(b.low)}" y1="${my - 4}" x2="${xAt(b.low)}" y2="${my + 4}" stroke="#111"/>`,
        `<line x1="${xAt(b.high)}" y1="${my - 4}" x2="${xAt(b.high)}" y2="${my + 4}" stroke="#111"/>`,
      );
    }
    parts.push(`<text x="${xAt(Math.max(b.value, b.high ?? 0)) + 4}" y="${y + 13}" class="tick">${f3(b.value)}</text>`);
  });
  return svg(w, h, title, parts, 'bars');
}

function svg(w: number, h: number, title: string, parts: string[], kind: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${kind}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${parts.join('')}</svg>`;
}
