import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Test collections for retrieval (documents, queries, graded relevance judgements) and the metrics the
 * retrieval benchmark reports: nDCG@k with linear gains (as trec_eval and BEIR compute it) and recall@k.
 */

export interface IrDoc {
  id: string;
  title: string;
  text: string;
}

export interface IrQuery {
  id: string;
  text: string;
}

export interface IrCollection {
  name: string;
  docs: IrDoc[];
  queries: IrQuery[];
  /** query id -> (doc id -> gain > 0). */
  qrels: Map<string, Map<string, number>>;
}

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

function addQrel(qrels: Map<string, Map<string, number>>, q: string, d: string, gain: number): void {
  if (!(gain > 0)) return;
  let m = qrels.get(q);
  if (!m) {
    m = new Map();
    qrels.set(q, m);
  }
  m.set(d, Math.max(gain, m.get(d) ?? 0));
}

/** A collection in BEIR's layout: corpus.jsonl, queries.jsonl, qrels/test.tsv (graded; gain = grade). */
export function loadBeir(dir: string, name: string): IrCollection {
  const docs = readJsonl<{ _id: string; title?: string; text: string }>(join(dir, 'corpus.jsonl')).map((d) => ({
    id: String(d._id),
    title: d.title ?? '',
    text: d.text,
  }));
  const qrels = new Map<string, Map<string, number>>();
  for (const line of readFileSync(join(dir, 'qrels', 'test.tsv'), 'utf8').split('\n')) {
    const [q, d, g] = line.trim().split(/\t/);
    if (!q || !d || g === undefined || !/^-?\d+$/.test(g)) continue; // blank lines and a header, if any
    addQrel(qrels, q, d, Number(g));
  }
  const queries = readJsonl<{ _id: string; text: string }>(join(dir, 'queries.jsonl'))
    .map((q) => ({ id: String(q._id), text: q.text }))
    .filter((q) => qrels.has(q.id));
  return { name, docs, queries, qrels };
}

/** SMART-format fields (`.I n`, `.T`, `.W`, ...) of a Cranfield file, record by record. */
function smartRecords(text: string): { id: string; fields: Record<string, string> }[] {
  const out: { id: string; fields: Record<string, string> }[] = [];
  let cur: { id: string; fields: Record<string, string> } | undefined;
  let field = '';
  for (const line of text.split(/\r?\n/)) {
    const m = /^\.([A-Z])\s*(.*)$/.exec(line);
    if (m?.[1] === 'I') {
      cur = { id: (m[2] ?? '').trim(), fields: {} };
      out.push(cur);
      field = '';
    } else if (m) {
      field = m[1] as string;
    } else if (cur && field) {
      cur.fields[field] = `${cur.fields[field] ?? ''}${line.trim()} `;
    }
  }
  return out;
}

/**
 * The Cranfield collection (cran.all.1400, cran.qry, cranqrel). The qrels number queries 1..225 in file
 * order, not by the `.I` ids in cran.qry, which skip numbers. Relevance codes run from 1 (a complete
 * answer) to 4 (minimal interest); -1 is not relevant. Gain = 5 - code.
 */
export function loadCranfield(dir: string): IrCollection {
  const docs = smartRecords(readFileSync(join(dir, 'cran.all.1400'), 'utf8')).map((r) => {
    const title = (r.fields.T ?? '').trim();
    let body = (r.fields.W ?? '').trim();
    // The abstract repeats the title as its first sentence; keep it once.
    if (title && body.startsWith(title)) body = body.slice(title.length).trim();
    return { id: String(Number(r.id)), title, text: body || title };
  });
  const queries = smartRecords(readFileSync(join(dir, 'cran.qry'), 'utf8')).map((r, i) => ({
    id: String(i + 1),
    text: (r.fields.W ?? '').replace(/\s+/g, ' ').trim(),
  }));
  const qrels = new Map<string, Map<string, number>>();
  for (const line of readFileSync(join(dir, 'cranqrel'), 'utf8').split('\n')) {
    const [q, d, c] = line.trim().split(/\s+/);
    if (!q || !d || c === undefined) continue;
    const code = Number(c);
    addQrel(qrels, q, String(Number(d)), code >= 1 && code <= 4 ? 5 - code : 0);
  }
  return { name: 'cranfield', docs, queries: queries.filter((q) => qrels.has(q.id)), qrels };
}

/** nDCG@k with linear gains: Σ gain_i / log2(i + 1) over the ranking, divided by the ideal ranking's. */
export function ndcgAtK(ranking: readonly string[], rel: ReadonlyMap<string, number>, k: number): number {
  let dcg = 0;
  ranking.slice(0, k).forEach((id, i) => {
    dcg += (rel.get(id) ?? 0) / Math.log2(i + 2);
  });
  const ideal = [...rel.values()].sort((a, b) => b - a).slice(0, k);
  const idcg = ideal.reduce((s, g, i) => s + g / Math.log2(i + 2), 0);
  return idcg > 0 ? dcg / idcg : 0;
}

/** Share of the relevant documents found in the first k. */
export function recallAtK(ranking: readonly string[], rel: ReadonlyMap<string, number>, k: number): number {
  if (rel.size === 0) return 0;
  let found = 0;
  for (const id of ranking.slice(0, k)) if (rel.has(id)) found++;
  return found / rel.size;
}
