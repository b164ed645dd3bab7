import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_ARTIFACT } from '../../src/server/index.js';
import { LocalBlobStore, MetadataStore } from '../../src/storage/index.js';
import { type EvalRecord, gateDecision, ModelRegistry } from '../../src/training/index.js';
import { tempDir } from '../helpers/paths.js';

const bundled = JSON.parse(readFileSync(BUNDLED_ARTIFACT, 'utf8'));

/** A record of n examples of which `correct`, starting at `from`, are predicted right. */
function record(n: number, correct: number, set = 'eval-set', from = 0): EvalRecord {
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  return {
    set,
    ids: labels.map((_, i) => `ex${i}`),
    labels,
    predictions: labels.map((y, i) => (i >= from && i < from + correct ? y : (y + 1) % 3)),
  };
}

function artifact(version: string, gateEval?: EvalRecord): Buffer {
  const { gate_eval: _bundledEval, ...metrics } = bundled.metrics;
  return Buffer.from(
    JSON.stringify({ ...bundled, version, metrics: { ...metrics, ...(gateEval ? { gate_eval: gateEval } : {}) } }),
  );
}

let meta: MetadataStore;
let registry: ModelRegistry;
beforeAll(async () => {
  meta = await MetadataStore.open({ url: 'memory://' });
  registry = new ModelRegistry(meta, new LocalBlobStore(tempDir()));
});
afterAll(async () => {
  await meta.close();
});

describe('model registry', () => {
  it('bootstraps the bundled model into production once', async () => {
    const first = await registry.bootstrap(BUNDLED_ARTIFACT);
    expect(first.promoted).toBe(true);
    expect((await registry.production()).version).toBe(bundled.version);
    expect((await registry.bootstrap(BUNDLED_ARTIFACT)).promoted).toBe(false);
  });

  it('promotes and rolls back, keeping the history', async () => {
    await registry.register(artifact('2.0.0'), 'test');
    await registry.promote(bundled.name, '2.0.0', 'production', 'better');
    expect(await registry.alias('production')).toEqual({ name: bundled.name, version: '2.0.0' });
    const back = await registry.rollback('production');
    expect(back.to.version).toBe(bundled.version);
    expect((await registry.production()).version).toBe(bundled.version);
    const h = await registry.history('production');
    expect(h.map((x) => [x.action, x.version])).toEqual([
      ['rollback', bundled.version],
      ['promote', '2.0.0'],
      ['bootstrap', bundled.version],
    ]);
    const listed = await registry.list();
    expect(listed.find((r) => r.version === bundled.version)?.aliases).toEqual(['production']);
  });

  it('refuses to promote an unregistered version, and to roll back with no earlier version', async () => {
    await expect(registry.promote(bundled.name, '9.9.9')).rejects.toThrow(/not registered/);
    await expect(registry.rollback('staging')).rejects.toThrow(/points at nothing/);
  });

  it('the gate registers a candidate no worse than production and refuses a clearly worse one', async () => {
    await registry.register(artifact('3.0.0', record(300, 240)), 'test');
    await registry.promote(bundled.name, '3.0.0');
    const worse = await registry.registerGated(artifact('3.1.0', record(300, 150)), 'worse', { minMacroF1: 0.3 });
    expect(worse.registered).toBe(false);
    expect(worse.decision.reasons.join(' ')).toMatch(/worse than production .*3\.0\.0 beyond the bootstrap interval/);
    expect(worse.decision.difference?.high).toBeLessThan(0);
    expect(await meta.getModelVersion(bundled.name, '3.1.0')).toBeUndefined();

    // Right on examples 10..245 where production is right on 0..239: worse on some, better on others.
    const similar = await registry.registerGated(artifact('3.2.0', record(300, 236, 'eval-set', 10)), 'similar', {
      minMacroF1: 0.3,
    });
    expect(similar.registered).toBe(true);
    expect(similar.decision.difference?.low).toBeLessThan(0);
    expect(await meta.getModelVersion(bundled.name, '3.2.0')).toBeDefined();

    const belowFloor = await registry.registerGated(artifact('3.3.0', record(300, 250)), 'floor', { minMacroF1: 0.95 });
    expect(belowFloor.registered).toBe(false);
    expect(belowFloor.decision.reasons[0]).toMatch(/below the floor 0.95/);
  });

  it('needs an evaluation record to gate', async () => {
    await expect(registry.registerGated(artifact('4.0.0'), 'no-eval', { minMacroF1: 0 })).rejects.toThrow(/gate_eval/);
  });
});

describe('gateDecision on different evaluation data', () => {
  it('refuses only when even the upper end of the candidate interval is below production', () => {
    const prod = { version: 'p', record: record(300, 270, 'a') };
    expect(gateDecision(record(300, 150, 'b'), prod, { minMacroF1: 0 }).passed).toBe(false);
    expect(gateDecision(record(300, 265, 'b'), prod, { minMacroF1: 0 }).passed).toBe(true);
  });
});

describe('bootstrap after an upgrade', () => {
  it('moves production off an artifact of an older format to the bundled model, saying why', async () => {
    const m = await MetadataStore.open({ url: 'memory://' });
    try {
      const blobs = new LocalBlobStore(tempDir());
      const old = await blobs.put(
        Buffer.from(JSON.stringify({ format: 'reviewlens.model/1', name: 'old', version: '1' })),
      );
      await m.addModelVersion({
        name: 'old',
        version: '1',
        artifactBlob: old,
        metrics: {},
        params: {},
        dataHash: null,
      });
      await m.setAlias('production', 'old', '1');
      const r = new ModelRegistry(m, blobs);
      const boot = await r.bootstrap(BUNDLED_ARTIFACT);
      expect(boot.promoted).toBe(true);
      expect(boot.reason).toMatch(/production old@1 is unreadable/);
      expect((await r.production()).version).toBe(bundled.version);
    } finally {
      await m.close();
    }
  });
});
