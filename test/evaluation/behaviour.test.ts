import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SENTIMENTS, type Sentiment } from '../../src/core/index.js';
import {
  type BehaviourCase,
  CAPABILITIES,
  type Capability,
  loadBehaviourSuite,
  runBehaviourSuite,
} from '../../src/evaluation/index.js';

const MINIMUM: Record<Capability, number> = {
  negation: 30,
  contrast: 30,
  rating_statement: 30,
  neutral: 30,
  sarcasm_negative_fact: 30,
  emoji: 30,
  long_review: 30,
  typos_and_casing: 20,
};

const cases = loadBehaviourSuite();
const of = (cap: Capability) => cases.filter((c) => c.capability === cap);
const count = (xs: BehaviourCase[], s: Sentiment) => xs.filter((c) => c.expected === s).length;

describe('behaviour suite file', () => {
  it('loads, is valid, and has at least 240 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(240);
    for (const c of cases) {
      expect(SENTIMENTS).toContain(c.expected);
      expect(CAPABILITIES).toContain(c.capability);
      expect(c.id.startsWith(`${c.capability}-`)).toBe(true);
    }
  });

  it('has every capability at its minimum count', () => {
    for (const cap of CAPABILITIES) expect(of(cap).length, cap).toBeGreaterThanOrEqual(MINIMUM[cap]);
  });

  it('has no duplicate ids or texts', () => {
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    expect(new Set(cases.map((c) => c.text.trim().toLowerCase())).size).toBe(cases.length);
  });

  it('has long reviews of 1,500 to 15,000 characters', () => {
    for (const c of of('long_review')) {
      expect(c.text.length, c.id).toBeGreaterThanOrEqual(1_500);
      expect(c.text.length, c.id).toBeLessThanOrEqual(15_000);
    }
  });

  it('balances the labels where the capability allows', () => {
    for (const cap of ['negation', 'contrast'] as const) {
      const xs = of(cap);
      expect(count(xs, 'neutral'), cap).toBe(0);
      expect(Math.abs(count(xs, 'positive') - count(xs, 'negative')), cap).toBeLessThanOrEqual(xs.length * 0.2);
    }
    const rating = of('rating_statement');
    expect(count(rating, 'neutral') / rating.length).toBeGreaterThanOrEqual(0.15);
    expect(count(rating, 'positive') / rating.length).toBeGreaterThanOrEqual(0.3);
    expect(count(rating, 'negative') / rating.length).toBeGreaterThanOrEqual(0.3);
    expect(of('neutral').every((c) => c.expected === 'neutral')).toBe(true);
    expect(of('sarcasm_negative_fact').every((c) => c.expected === 'negative')).toBe(true);
    const emoji = of('emoji');
    expect(count(emoji, 'neutral') / emoji.length).toBeGreaterThanOrEqual(0.2);
    for (const cap of ['emoji', 'long_review', 'typos_and_casing'] as const) {
      for (const s of SENTIMENTS) expect(count(of(cap), s), `${cap} ${s}`).toBeGreaterThan(0);
    }
  });
});

describe('loadBehaviourSuite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reviewlens-behaviour-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, body: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(body));
    return p;
  };
  const good = { id: 'negation-001', capability: 'negation', text: 'Not bad at all.', expected: 'positive' };

  it('names the bad case', () => {
    const p = write('bad-label.json', {
      version: 1,
      cases: [good, { ...good, id: 'negation-002', expected: 'great' }],
    });
    expect(() => loadBehaviourSuite(p)).toThrow(/case #1 \(negation-002\)/);
  });

  it('rejects unknown capabilities, blank texts, repeated ids and a wrong version', () => {
    const cases = (...xs: unknown[]) => ({ version: 1, cases: xs });
    expect(() => loadBehaviourSuite(write('cap.json', cases({ ...good, capability: 'irony' })))).toThrow(
      /negation-001/,
    );
    expect(() => loadBehaviourSuite(write('blank.json', cases({ ...good, text: '  ' })))).toThrow(/blank/);
    expect(() => loadBehaviourSuite(write('dup.json', cases(good, good)))).toThrow(/repeats the id negation-001/);
    expect(() => loadBehaviourSuite(write('version.json', { version: 2, cases: [good] }))).toThrow(/version/);
  });
});

describe('runBehaviourSuite', () => {
  it('counts passes per capability with a stub that always answers positive', async () => {
    const r = await runBehaviourSuite(cases, async () => ({ sentiment: 'positive' }));
    const positives = count(cases, 'positive');
    expect(r.overall).toEqual({ n: cases.length, passed: positives, rate: positives / cases.length });
    for (const cap of CAPABILITIES) {
      const xs = of(cap);
      const want = count(xs, 'positive');
      const got = r.byCapability[cap];
      expect(got, cap).toBeDefined();
      expect(got?.n).toBe(xs.length);
      expect(got?.passed).toBe(want);
      expect(got?.rate).toBeCloseTo(want / xs.length, 12);
      expect(got?.failures.map((f) => f.id)).toEqual(xs.filter((c) => c.expected !== 'positive').map((c) => c.id));
      for (const f of got?.failures ?? []) {
        expect(f.got).toBe('positive');
        expect(f.text.length).toBeLessThanOrEqual(160);
        const c = xs.find((x) => x.id === f.id) as BehaviourCase;
        expect(f.expected).toBe(c.expected);
        expect(c.text.startsWith(f.text)).toBe(true);
      }
    }
    expect(r.byCapability.sarcasm_negative_fact?.rate).toBe(0);
    expect(r.byCapability.neutral?.rate).toBe(0);
  });

  it('passes everything with an oracle and reports only the capabilities present', async () => {
    const expected = new Map(cases.map((c) => [c.text, c.expected]));
    const r = await runBehaviourSuite(cases, async (t) => ({ sentiment: expected.get(t) as Sentiment }));
    expect(r.overall.rate).toBe(1);
    for (const cap of CAPABILITIES) expect(r.byCapability[cap]?.failures).toEqual([]);
    const small = await runBehaviourSuite(of('emoji').slice(0, 4), async () => ({ sentiment: 'negative' }));
    expect(Object.keys(small.byCapability)).toEqual(['emoji']);
    expect(small.overall.n).toBe(4);
  });
});
