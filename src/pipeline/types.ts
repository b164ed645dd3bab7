import type { Config } from '../core/config.js';
import type { Encoders } from '../models/index.js';
import type { Retrieval } from '../retrieval/index.js';
import type { BlobStore, MetadataStore } from '../storage/index.js';
import type { ModelRegistry } from '../training/registry.js';

export type LogLevel = 'info' | 'warn' | 'error';

/** What a running step may do: report progress, log, read the run's parameters and earlier outputs. */
export interface StepContext {
  runId: number;
  /** The run's parameters (for example `{ urls: [...] }` for ingest); each step reads its own keys. */
  params: Record<string, unknown>;
  /** Outputs of the steps that already finished in this run, by step name. */
  outputs: Record<string, Record<string, unknown>>;
  /** Reports progress as a fraction 0..1 with an optional message; persisted, shown in the UI. */
  progress(fraction: number, message?: string): Promise<void>;
  log(level: LogLevel, message: string): Promise<void>;
  /** Aborted when the run is cancelled or the process shuts down; long steps should check it. */
  signal: AbortSignal;
}

/** The shared parts of the system a step may use. Expensive parts are loaded on first use. */
export interface PipelineServices {
  config: Config;
  meta: MetadataStore;
  blobs: BlobStore;
  registry: ModelRegistry;
  encoders(): Promise<Encoders>;
  /** The search index, or undefined when it cannot be opened (the step should say so and carry on). */
  retrieval(): Promise<Retrieval | undefined>;
}

/**
 * One step of the offline flow (ingest → label → index → train ...). A step must be safe to run again
 * after a crash: the runner resumes a run from its first step that did not succeed.
 * Its return value is stored as the step's output (JSON) and shown in the UI.
 */
export interface PipelineStep {
  name: string;
  description: string;
  run(ctx: StepContext, services: PipelineServices): Promise<Record<string, unknown>>;
}
