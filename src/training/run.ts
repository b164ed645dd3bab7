import { readFile } from 'node:fs/promises';
import type { BlobStore } from '../storage/blobs.js';
import type { MetadataStore } from '../storage/metadata/index.js';
import type { GateConfig, GateDecision } from './gate.js';
import { type MultimodalOptions, trainMultimodal } from './multimodal.js';
import { ModelRegistry, PRODUCTION, STAGING } from './registry.js';

export interface TrainingRunResult {
  runId: number;
  version: string;
  decision: GateDecision;
  registered: boolean;
  promoted: boolean;
}

/**
 * One tracked training run: records the run (params, then data hash, metrics and artifact), trains,
 * puts the candidate through the registry's gate, registers it as `staging` when it passes, and
 * promotes it to `production` when asked. A failure is recorded with its error before it is rethrown.
 */
export async function runTraining(
  stores: { meta: MetadataStore; blobs: BlobStore },
  opts: MultimodalOptions & { gate: GateConfig; promote?: boolean },
): Promise<TrainingRunResult> {
  const log = opts.log ?? (() => {});
  const runId = await stores.meta.startRun('multimodal', {
    seed: opts.seed ?? 42,
    folds: opts.folds ?? 5,
    out: opts.out,
    ...(opts.synthetic
      ? {
          synthetic: { file: opts.synthetic.file, sha256: opts.synthetic.sha256, rows: opts.synthetic.examples.length },
        }
      : {}),
  });
  try {
    const artifact = await trainMultimodal(opts);
    const bytes = await readFile(opts.out);
    const registry = new ModelRegistry(stores.meta, stores.blobs);
    const { decision, registered, blob } = await registry.registerGated(bytes, opts.out, opts.gate);
    let promoted = false;
    if (registered) {
      // An alias already on this version is left as it is: a run redone after a crash (same data, same seed,
      // same version) adds no second history entry.
      const on = async (alias: string) => {
        const a = await registry.alias(alias);
        return a?.name === artifact.name && a.version === artifact.version;
      };
      if (!(await on(STAGING))) {
        await registry.setAlias(STAGING, artifact.name, artifact.version, 'register', `training run ${runId}`);
      }
      if (opts.promote) {
        if (!(await on(PRODUCTION))) {
          await registry.promote(artifact.name, artifact.version, PRODUCTION, `training run ${runId}`);
        }
        promoted = true;
      }
    }
    const { gate_eval: _e, ...metrics } = artifact.metrics;
    await stores.meta.finishRun(runId, {
      status: registered ? 'succeeded' : 'rejected',
      metrics,
      dataHash: artifact.data_hash,
      gate: decision as unknown as Record<string, unknown>,
      artifactBlob: blob ?? (await stores.blobs.put(bytes)),
      model: { name: artifact.name, version: artifact.version },
    });
    log(`gate: ${decision.passed ? 'passed' : 'refused'}; ${decision.reasons.join('; ')}`);
    return { runId, version: artifact.version, decision, registered, promoted };
  } catch (e) {
    await stores.meta.finishRun(runId, { status: 'failed', error: (e as Error).message });
    throw e;
  }
}
