import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import {
  type BehaviourResult,
  type Capability,
  loadBehaviourSuite,
  runBehaviourSuite,
} from '../../src/evaluation/index.js';
import { type Encoders, loadEncoders, parseArtifact } from '../../src/models/index.js';
import { Analyzer } from '../../src/sentiment/index.js';
import { BUNDLED_ARTIFACT } from '../../src/server/index.js';

/**
 * The shipped model on the behaviour suite (data/behaviour/suite.json), text only. The target is 90% per
 * capability; the model does not reach it yet (docs/benchmarks.md, section "behaviour"). These floors sit about
 * ten points under the shipped model's measured rates, so that a model that reads these kinds of review worse
 * than today fails here.
 */
const FLOORS: Record<Capability, number> = {
  negation: 0.4,
  contrast: 0.35,
  rating_statement: 0.9,
  neutral: 0.35,
  sarcasm_negative_fact: 0.15,
  emoji: 0.55,
  long_review: 0.5,
  typos_and_casing: 0.6,
};

let encoders: Encoders;
let result: BehaviourResult;
beforeAll(async () => {
  const cfg = loadConfig({});
  const artifact = parseArtifact(readFileSync(BUNDLED_ARTIFACT), BUNDLED_ARTIFACT);
  encoders = await loadEncoders({
    modelsDir: cfg.models.dir,
    threads: 1,
    ...artifact.encoders,
  });
  const cases = loadBehaviourSuite();
  const maxTextChars = Math.max(cfg.limits.maxTextChars, ...cases.map((c) => c.text.length));
  const analyzer = new Analyzer(artifact, encoders, { ...cfg.limits, maxTextChars }, false);
  result = await runBehaviourSuite(cases, (text) => analyzer.analyze({ text }));
}, 240_000);
afterAll(async () => {
  await encoders?.text.dispose();
  await encoders?.image.dispose();
});

describe('the shipped model on the behaviour suite', () => {
  it.each(Object.entries(FLOORS))('passes %s at least at its floor', (cap, floor) => {
    const r = result.byCapability[cap as Capability];
    expect(r, `capability ${cap} missing from the suite`).toBeDefined();
    expect(r?.rate).toBeGreaterThanOrEqual(floor);
  });

  it('reads the clearest product reviews the right way round', () => {
    expect(result.overall.rate).toBeGreaterThan(0.5);
  });
});
