/**
 * Behaviour tests of the sentiment model, in the manner of CheckList (Ribeiro, Wu, Guestrin and Singh,
 * "Beyond Accuracy: Behavioral Testing of NLP Models with CheckList", ACL 2020): hand-written inputs grouped
 * by the capability they probe (negation, contrast, explicit ratings, sarcasm, emoji, long reviews, typos),
 * each with the label any careful reader would give it, so failures are reported by kind rather than as
 * one accuracy figure.
 *
 * The suite lives in `data/behaviour/suite.json` (built by `bench/behaviour-suite-build.ts`):
 *
 *   { "version": 1, "cases": [{ "id": "negation-001", "capability": "negation", "text": "...",
 *                               "expected": "positive", "note": "negated negative" }, ...] }
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { SENTIMENTS, type Sentiment } from '../core/types.js';

/** The capabilities the suite probes, in report order. */
export const CAPABILITIES = [
  'negation',
  'contrast',
  'rating_statement',
  'neutral',
  'sarcasm_negative_fact',
  'emoji',
  'long_review',
  'typos_and_casing',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** The default suite file, relative to the repository root. */
export const BEHAVIOUR_SUITE = join(import.meta.dirname, '..', '..', 'data', 'behaviour', 'suite.json');

const caseSchema = z.object({
  id: z.string().regex(/^[a-z_]+-\d{3}$/, 'id must look like "capability-001"'),
  capability: z.enum(CAPABILITIES),
  text: z.string().refine((t) => t.trim() !== '', 'text must not be blank'),
  expected: z.enum(SENTIMENTS),
  note: z.string().optional(),
});

/** One behaviour test: a review text and the label a careful human gives it. */
export type BehaviourCase = z.infer<typeof caseSchema>;

/** A capability's score: `rate = passed / n`; `failures` carry the first 160 characters of each failing text. */
export interface CapabilityResult {
  n: number;
  passed: number;
  rate: number;
  failures: Array<{ id: string; text: string; expected: Sentiment; got: Sentiment }>;
}

/**
 * The outcome of a run: `{ overall: { n, passed, rate }, byCapability: { [capability]: CapabilityResult } }`.
 * `byCapability` has a key for each capability that has at least one case in the run, in `CAPABILITIES` order.
 */
export interface BehaviourResult {
  overall: { n: number; passed: number; rate: number };
  byCapability: Partial<Record<Capability, CapabilityResult>>;
}

/**
 * Reads and validates a suite file (default `data/behaviour/suite.json`) and returns its cases. Throws an
 * error naming the file and the bad case (index and id) when a case is malformed, an id repeats, or the
 * file is not `{ version: 1, cases: [...] }`.
 */
export function loadBehaviourSuite(path: string = BEHAVIOUR_SUITE): BehaviourCase[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`behaviour suite ${path}: cannot read JSON (${(e as Error).message})`);
  }
  const top = z.object({ version: z.literal(1), cases: z.array(z.unknown()) }).safeParse(raw);
  if (!top.success) {
    throw new Error(
      `behaviour suite ${path}: expected { "version": 1, "cases": [...] }: ${z.prettifyError(top.error)}`,
    );
  }
  const seen = new Set<string>();
  return top.data.cases.map((c, i) => {
    const r = caseSchema.safeParse(c);
    const id = typeof (c as { id?: unknown })?.id === 'string' ? (c as { id: string }).id : '(no id)';
    if (!r.success) {
      throw new Error(`behaviour suite ${path}: case #${i} (${id}) is invalid: ${z.prettifyError(r.error)}`);
    }
    if (seen.has(r.data.id)) throw new Error(`behaviour suite ${path}: case #${i} repeats the id ${r.data.id}`);
    seen.add(r.data.id);
    return r.data;
  });
}

/**
 * Runs every case through `analyze` one after another and counts, per capability and overall, how many
 * answers equal the expected label. Errors from `analyze` propagate.
 */
export async function runBehaviourSuite(
  cases: readonly BehaviourCase[],
  analyze: (text: string) => Promise<{ sentiment: Sentiment }>,
  opts: { onProgress?: (done: number, total: number) => void } = {},
): Promise<BehaviourResult> {
  const byCapability: Partial<Record<Capability, CapabilityResult>> = {};
  for (const cap of CAPABILITIES) {
    if (cases.some((c) => c.capability === cap)) byCapability[cap] = { n: 0, passed: 0, rate: 0, failures: [] };
  }
  let passed = 0;
  for (const [i, c] of cases.entries()) {
    const got = (await analyze(c.text)).sentiment;
    const r = byCapability[c.capability] as CapabilityResult;
    r.n++;
    if (got === c.expected) {
      r.passed++;
      passed++;
    } else {
      r.failures.push({ id: c.id, text: c.text.slice(0, 160), expected: c.expected, got });
    }
    opts.onProgress?.(i + 1, cases.length);
  }
  for (const r of Object.values(byCapability)) r.rate = r.n === 0 ? 0 : r.passed / r.n;
  return {
    overall: { n: cases.length, passed, rate: cases.length === 0 ? 0 : passed / cases.length },
    byCapability,
  };
}
