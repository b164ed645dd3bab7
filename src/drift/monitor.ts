import { psi } from './psi.js';
import {
  binsOf,
  DRIFT_FEATURES,
  type DriftFeature,
  type DriftObservation,
  type DriftReference,
  loadReferenceFor,
} from './reference.js';

/** Options of a DriftMonitor (config `drift.*`). */
export interface DriftMonitorOptions {
  /** The live window: the last `windowSize` analyses answered by this server. */
  windowSize: number;
  /** Below this many analyses in the window no PSI is reported (too few to say anything). */
  minSamples: number;
  /** A PSI above this on any feature is drift (default Siddiqi's 0.25, "significant shift"). */
  threshold: number;
  /** A reference file to use instead of the repository's `data/drift/<name>@<version>.json`. */
  referenceFile?: string;
}

export interface FeatureDrift {
  psi: number;
  bins: string[];
  reference: number[];
  live: number[];
}

/** What `/api/drift` answers and `/metrics` exports. */
export interface DriftReport {
  /** `no_reference`: none for the served model; `warming_up`: fewer than minSamples analyses; `ok`; `drift`. */
  status: 'no_reference' | 'warming_up' | 'ok' | 'drift';
  model: { name: string; version: string };
  reference: { file: string; source: string; n: number; created_at: string } | null;
  /** Why there is no reference (status `no_reference`). */
  reason?: string;
  window: { size: number; n: number; min_samples: number };
  threshold: number;
  /** PSI per feature, with the live and reference shares of each bin (empty unless status is ok or drift). */
  features: Partial<Record<DriftFeature, FeatureDrift>>;
  /** Features whose PSI is above the threshold. */
  drifted: DriftFeature[];
}

/**
 * Tracks the live distribution of this server's analyses (predicted class, confidence, text length, photo share,
 * mismatch rate) over a sliding window of the last `windowSize` answers, against the served model's reference
 * (see reference.ts), and measures the shift of each by PSI (psi.ts). In-process and per server: several servers
 * each report their own window (Prometheus keeps them apart by instance). O(1) per observation; the report is
 * O(windowSize x features).
 */
export class DriftMonitor {
  private ring: Array<Record<DriftFeature, number>> = [];
  private next = 0;
  private ref: { reference: DriftReference; file: string } | { error: string };

  constructor(
    private model: { name: string; version: string },
    readonly opts: DriftMonitorOptions,
  ) {
    this.ref = loadReferenceFor(model, opts.referenceFile);
  }

  /** The served model changed (hot reload): its own reference is loaded and the window starts again. */
  setModel(model: { name: string; version: string }): void {
    if (model.name === this.model.name && model.version === this.model.version) return;
    this.model = model;
    this.ref = loadReferenceFor(model, this.opts.referenceFile);
    this.ring = [];
    this.next = 0;
  }

  get hasReference(): boolean {
    return 'reference' in this.ref;
  }

  /** Records one answered analysis (ignored without a reference: its bins are the reference's). */
  observe(o: DriftObservation): void {
    if (!('reference' in this.ref)) return;
    const bins = binsOf(o, this.ref.reference.features);
    if (this.ring.length < this.opts.windowSize) this.ring.push(bins);
    else this.ring[this.next] = bins;
    this.next = (this.next + 1) % this.opts.windowSize;
  }

  report(): DriftReport {
    const base = {
      model: this.model,
      window: { size: this.opts.windowSize, n: this.ring.length, min_samples: this.opts.minSamples },
      threshold: this.opts.threshold,
    };
    if (!('reference' in this.ref)) {
      return { ...base, status: 'no_reference', reference: null, reason: this.ref.error, features: {}, drifted: [] };
    }
    const { reference, file } = this.ref;
    const refInfo = { file, source: reference.source, n: reference.n, created_at: reference.created_at };
    if (this.ring.length < this.opts.minSamples) {
      return { ...base, status: 'warming_up', reference: refInfo, features: {}, drifted: [] };
    }
    const features: Partial<Record<DriftFeature, FeatureDrift>> = {};
    const drifted: DriftFeature[] = [];
    for (const f of DRIFT_FEATURES) {
      const fr = reference.features[f];
      const live = new Array<number>(fr.bins.length).fill(0);
      for (const row of this.ring) live[row[f]] = (live[row[f]] as number) + 1;
      const n = this.ring.length;
      const value = psi(fr.proportions, live);
      features[f] = {
        psi: Math.round(value * 1e4) / 1e4,
        bins: fr.bins,
        reference: fr.proportions,
        live: live.map((c) => Math.round((c / n) * 1e4) / 1e4),
      };
      if (value > this.opts.threshold) drifted.push(f);
    }
    return { ...base, status: drifted.length > 0 ? 'drift' : 'ok', reference: refInfo, features, drifted };
  }
}

export interface DriftTriggerOptions {
  /** How often the report is checked (ms). */
  intervalMs: number;
  /** Least time between two runs started for drift (ms). */
  cooldownMs: number;
  /** Starts the pipeline run (the server's in-process runner); answers the run's id. */
  start: (report: DriftReport) => Promise<number>;
  /** When the last drift run was started (ms since the epoch), across restarts (the pipeline's run records). */
  lastStartedAt?: () => Promise<number | undefined>;
  log?: (level: 'info' | 'warn', message: string) => void;
  /** Told of each run started. */
  onTrigger?: (runId: number, report: DriftReport) => void;
}

/**
 * Checks the monitor every `intervalMs` and, when it reports drift and the last drift-started run is older than
 * `cooldownMs`, starts a pipeline run. `check()` is the same check once, for tests and callers with their own clock.
 */
export class DriftTrigger {
  private timer: NodeJS.Timeout | undefined;
  private lastStart: number | undefined;
  private checking: Promise<number | undefined> | undefined;

  constructor(
    private readonly monitor: DriftMonitor,
    private readonly opts: DriftTriggerOptions,
  ) {}

  start(): void {
    if (this.timer || this.opts.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.check().catch(() => {}), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check: the id of the run started, or undefined (no drift, or within the cool-down). */
  check(now = Date.now()): Promise<number | undefined> {
    this.checking ??= this.checkOnce(now).finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async checkOnce(now: number): Promise<number | undefined> {
    const report = this.monitor.report();
    if (report.status !== 'drift') return undefined;
    const last = this.lastStart ?? (await this.opts.lastStartedAt?.());
    if (last !== undefined && now - last < this.opts.cooldownMs) return undefined;
    this.lastStart = now;
    const worst = report.drifted.map((f) => `${f} PSI ${report.features[f]?.psi}`).join(', ');
    try {
      const id = await this.opts.start(report);
      this.opts.log?.('info', `drift above ${report.threshold} (${worst}): started pipeline run ${id}`);
      this.opts.onTrigger?.(id, report);
      return id;
    } catch (e) {
      this.opts.log?.(
        'warn',
        `drift above ${report.threshold} (${worst}), but the pipeline run could not start: ${(e as Error).message}`,
      );
      return undefined;
    }
  }
}
