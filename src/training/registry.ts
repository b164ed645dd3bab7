import { readFile } from 'node:fs/promises';
import { ModelAssetError, NotFoundError, ValidationError } from '../core/errors.js';
import type { ReportSummary } from '../evaluation/report/types.js';
import { type ModelArtifact, parseArtifact } from '../models/artifact.js';
import type { BlobStore } from '../storage/blobs.js';
import type { AliasChange, MetadataStore, ModelVersionRow } from '../storage/metadata/index.js';
import { type EvalRecord, evalRecordOf, type GateConfig, type GateDecision, gateDecision } from './gate.js';
import type { PromotionOutcome } from './promotion.js';

/** One recorded promotion decision (see {@link ModelRegistry.recordPromotion}). */
export interface PromotionRecord {
  id: number;
  name: string;
  version: string;
  policy: string;
  outcome: string;
  reasons: string[];
  gate: Record<string, unknown> | null;
  shadow: Record<string, unknown> | null;
  previous: string | null;
  runId: number | null;
  at: Date;
}

/** A model version's stored evaluation report (see {@link ModelRegistry.storeReport}). */
export interface StoredReport {
  name: string;
  version: string;
  /** Blob ids (sha256) of the HTML page and of its run JSON. */
  htmlBlob: string;
  jsonBlob: string;
  summary: ReportSummary;
  /** The pipeline run whose `evaluate` step made it, if any. */
  runId: number | null;
  createdAt: Date;
}

export const PRODUCTION = 'production';
export const STAGING = 'staging';

/**
 * The model registry: artifacts live in the blob store (content-addressed), versions and aliases
 * in the metadata store. The server serves whatever `production` points at.
 */
export class ModelRegistry {
  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
  ) {}

  /** Stores an artifact and records its version; registering the same version again is a no-op. */
  async register(
    artifactBytes: Uint8Array,
    origin: string,
  ): Promise<{ artifact: ModelArtifact; blob: string; added: boolean }> {
    const artifact = parseArtifact(artifactBytes, origin);
    const blob = await this.blobs.put(artifactBytes);
    const added = await this.meta.addModelVersion({
      name: artifact.name,
      version: artifact.version,
      artifactBlob: blob,
      metrics: artifact.metrics,
      params: artifact.params,
      dataHash: artifact.data_hash,
    });
    return { artifact, blob, added };
  }

  async setAlias(
    alias: string,
    name: string,
    version: string,
    action = 'promote',
    reason: string | null = null,
  ): Promise<void> {
    if (!(await this.meta.getModelVersion(name, version)))
      throw new NotFoundError(`model ${name}@${version} is not registered`);
    await this.meta.setAlias(alias, name, version, action, reason);
  }

  /** Points `alias` (default production) at a registered version; the change is kept in the alias history. */
  async promote(name: string, version: string, alias = PRODUCTION, reason: string | null = null): Promise<void> {
    await this.setAlias(alias, name, version, 'promote', reason);
  }

  /** Moves `alias` back to the version it pointed at before its current one. */
  async rollback(
    alias = PRODUCTION,
  ): Promise<{ from: { name: string; version: string }; to: { name: string; version: string } }> {
    const current = await this.alias(alias);
    if (!current) throw new NotFoundError(`alias ${alias} points at nothing`);
    const history = await this.meta.aliasHistory(alias);
    const previous = history.find((h) => h.name !== current.name || h.version !== current.version);
    if (!previous) throw new ValidationError(`alias ${alias} has no earlier version to roll back to`, 'alias');
    await this.meta.setAlias(
      alias,
      previous.name,
      previous.version,
      'rollback',
      `from ${current.name}@${current.version}`,
    );
    if (alias === PRODUCTION) {
      await this.recordPromotion({
        name: previous.name,
        version: previous.version,
        policy: 'manual',
        outcome: 'rolled-back',
        reasons: [`production rolled back from ${current.name}@${current.version}`],
        previous: `${current.name}@${current.version}`,
      });
    }
    return { from: current, to: { name: previous.name, version: previous.version } };
  }

  /**
   * Records a decision of the pipeline's `promote` step (or a rollback) with what it rested on: the gate and
   * the shadow comparison. Kept beside the alias history; `promotions()` lists them, newest first.
   */
  async recordPromotion(d: {
    name: string;
    version: string;
    policy: string;
    outcome: PromotionOutcome | 'rolled-back';
    reasons: string[];
    gate?: Record<string, unknown> | null;
    shadow?: Record<string, unknown> | null;
    previous?: string | null;
    runId?: number | null;
  }): Promise<number> {
    const row = await this.meta.db
      .insertInto('model_promotions')
      .values({
        model_name: d.name,
        version: d.version,
        policy: d.policy,
        outcome: d.outcome,
        reasons: JSON.stringify(d.reasons),
        gate: d.gate ? JSON.stringify(d.gate) : null,
        shadow: d.shadow ? JSON.stringify(d.shadow) : null,
        previous_version: d.previous ?? null,
        run_id: d.runId ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Promotion decisions (promoted, held, refused, rolled-back), newest first. */
  async promotions(limit = 50): Promise<PromotionRecord[]> {
    const rows = await this.meta.db
      .selectFrom('model_promotions')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.model_name,
      version: r.version,
      policy: r.policy,
      outcome: r.outcome,
      reasons: r.reasons,
      gate: r.gate,
      shadow: r.shadow,
      previous: r.previous_version,
      runId: r.run_id,
      at: new Date(r.at),
    }));
  }

  /**
   * Stores a registered version's evaluation report (the pipeline's `evaluate` step): the HTML page and its run
   * JSON go to the blob store (content-addressed), then one row in `model_reports` points at both with the
   * summary, replacing the version's earlier report. The row is written last, so a failure never leaves a
   * report that points at missing blobs. Throws NotFoundError when the version is not registered.
   */
  async storeReport(r: {
    name: string;
    version: string;
    html: string;
    json: string;
    summary: ReportSummary;
    runId?: number | null;
  }): Promise<StoredReport> {
    if (!(await this.meta.getModelVersion(r.name, r.version)))
      throw new NotFoundError(`model ${r.name}@${r.version} is not registered`);
    const htmlBlob = await this.blobs.put(Buffer.from(r.html));
    const jsonBlob = await this.blobs.put(Buffer.from(r.json));
    const values = {
      html_blob: htmlBlob,
      json_blob: jsonBlob,
      summary: JSON.stringify(r.summary),
      run_id: r.runId ?? null,
    };
    await this.meta.db
      .insertInto('model_reports')
      .values({ model_name: r.name, version: r.version, ...values })
      .onConflict((oc) => oc.columns(['model_name', 'version']).doUpdateSet({ ...values, created_at: new Date() }))
      .execute();
    return (await this.report(r.name, r.version)) as StoredReport;
  }

  /** A version's stored evaluation report, or undefined when it has none. */
  async report(name: string, version: string): Promise<StoredReport | undefined> {
    const row = await this.meta.db
      .selectFrom('model_reports')
      .selectAll()
      .where('model_name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
    return row ? toStoredReport(row) : undefined;
  }

  /** The stored report whose HTML page is the blob `htmlBlob` (a report's public URL names it), or undefined. */
  async reportByHtmlBlob(htmlBlob: string): Promise<StoredReport | undefined> {
    const row = await this.meta.db
      .selectFrom('model_reports')
      .selectAll()
      .where('html_blob', '=', htmlBlob)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row ? toStoredReport(row) : undefined;
  }

  /** Every stored report (for listings), newest first. */
  async reports(): Promise<StoredReport[]> {
    const rows = await this.meta.db.selectFrom('model_reports').selectAll().orderBy('id', 'desc').execute();
    return rows.map(toStoredReport);
  }

  async history(alias = PRODUCTION): Promise<AliasChange[]> {
    return this.meta.aliasHistory(alias);
  }

  /**
   * Runs the registration gate for an artifact against the current production model: the candidate is
   * registered only when it passes. Needs `metrics.gate_eval` in the artifact.
   */
  async registerGated(
    artifactBytes: Uint8Array,
    origin: string,
    cfg: GateConfig,
  ): Promise<{ decision: GateDecision; registered: boolean; artifact: ModelArtifact; blob?: string }> {
    const artifact = parseArtifact(artifactBytes, origin);
    const record = evalRecordOf(artifact.metrics);
    if (!record)
      throw new ValidationError(`model artifact ${origin} has no evaluation record (metrics.gate_eval)`, 'artifact');
    const prodRef = await this.alias(PRODUCTION);
    let production: { version: string; record: EvalRecord } | undefined;
    if (prodRef) {
      const prodRecord = evalRecordOf((await this.load(prodRef.name, prodRef.version)).metrics);
      if (prodRecord) production = { version: `${prodRef.name}@${prodRef.version}`, record: prodRecord };
    }
    const decision = gateDecision(record, production, cfg);
    if (!decision.passed) return { decision, registered: false, artifact };
    const { blob } = await this.register(artifactBytes, origin);
    return { decision, registered: true, artifact, blob };
  }

  async alias(alias: string): Promise<{ name: string; version: string } | undefined> {
    return this.meta.getAlias(alias);
  }

  async list(): Promise<Array<ModelVersionRow & { aliases: string[] }>> {
    const rows = await this.meta.listModelVersions();
    const aliases = await Promise.all(
      [PRODUCTION, STAGING].map(async (a) => [a, await this.meta.getAlias(a)] as const),
    );
    return rows.map((r) => ({
      ...r,
      aliases: aliases.filter(([, v]) => v?.name === r.name && v.version === r.version).map(([a]) => a),
    }));
  }

  async load(name: string, version: string): Promise<ModelArtifact> {
    const row = await this.meta.getModelVersion(name, version);
    if (!row) throw new NotFoundError(`model ${name}@${version} is not registered`);
    return parseArtifact(await this.blobs.get(row.artifactBlob), `${name}@${version} (blob ${row.artifactBlob})`);
  }

  /** The artifact `production` points at. */
  async production(): Promise<ModelArtifact> {
    const a = await this.alias(PRODUCTION);
    if (!a) throw new NotFoundError('no model is promoted to production');
    return this.load(a.name, a.version);
  }

  /**
   * Start-up: registers the artifact shipped in the repository (a no-op once it is there) and promotes
   * it to production when nothing is in production yet, or when production's artifact can no longer
   * be read (an older format): the server then starts on the bundled model, and says why.
   */
  async bootstrap(bundledArtifactPath: string): Promise<{ promoted: boolean; version: string; reason?: string }> {
    const { artifact } = await this.register(await readFile(bundledArtifactPath), bundledArtifactPath);
    const current = await this.alias(PRODUCTION);
    let reason = `bundled ${bundledArtifactPath}`;
    if (current) {
      try {
        await this.load(current.name, current.version);
        return { promoted: false, version: current.version };
      } catch (e) {
        if (!(e instanceof ModelAssetError)) throw e;
        reason = `production ${current.name}@${current.version} is unreadable (${e.message.split('\n')[0]})`;
      }
    }
    await this.setAlias(PRODUCTION, artifact.name, artifact.version, 'bootstrap', reason);
    return { promoted: true, version: artifact.version, reason };
  }
}

function toStoredReport(r: {
  model_name: string;
  version: string;
  html_blob: string;
  json_blob: string;
  summary: Record<string, unknown>;
  run_id: number | null;
  created_at: Date;
}): StoredReport {
  return {
    name: r.model_name,
    version: r.version,
    htmlBlob: r.html_blob,
    jsonBlob: r.json_blob,
    summary: r.summary as unknown as ReportSummary,
    runId: r.run_id,
    createdAt: new Date(r.created_at),
  };
}
