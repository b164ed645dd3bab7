import type { ModelRef } from '../core/types.js';
import type { ModelArtifact } from '../models/artifact.js';
import type { SentimentAnalyzer } from '../sentiment/index.js';
import type { ModelRegistry } from '../training/registry.js';

export interface ModelWatcherOptions {
  registry: ModelRegistry;
  /** The model served now. */
  current: () => ModelRef;
  /** Builds an analyzer for a newly promoted artifact (loading encoders if it needs other ones). */
  build: (artifact: ModelArtifact) => Promise<SentimentAnalyzer>;
  /** Puts the new analyzer in service; from the next request on, answers come from it. */
  swap: (analyzer: SentimentAnalyzer) => void;
  intervalMs: number;
  log: (level: 'info' | 'error', msg: string) => void;
  onReload?: (result: 'ok' | 'failed', model: ModelRef) => void;
}

/**
 * Hot reload: polls the registry's `production` alias and, when it points at another version, loads
 * that model in the background and swaps it in atomically (one reference assignment between two
 * requests' reads), so no request fails or sees half a model. A model that fails to load is logged and
 * counted, the old one keeps serving, and the same version is not retried until the alias moves again.
 */
export class ModelWatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failed: string | undefined;

  constructor(private readonly o: ModelWatcherOptions) {}

  start(): void {
    if (this.o.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.check(), this.o.intervalMs);
    this.timer.unref();
  }

  /** One check now (also what the timer runs); concurrent calls share one check. */
  check(): Promise<void> {
    this.running ??= this.checkOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async checkOnce(): Promise<void> {
    let target: ModelRef | undefined;
    try {
      target = await this.o.registry.alias('production');
    } catch (e) {
      this.o.log('error', `model reload: cannot read the production alias: ${(e as Error).message}`);
      return;
    }
    const cur = this.o.current();
    if (!target || (target.name === cur.name && target.version === cur.version)) return;
    const ref = `${target.name}@${target.version}`;
    if (this.failed === ref) return;
    try {
      const artifact = await this.o.registry.load(target.name, target.version);
      const analyzer = await this.o.build(artifact);
      this.o.swap(analyzer);
      this.failed = undefined;
      this.o.log('info', `model reload: now serving ${ref} (was ${cur.name}@${cur.version})`);
      this.o.onReload?.('ok', target);
    } catch (e) {
      this.failed = ref;
      this.o.log(
        'error',
        `model reload: ${ref} could not be loaded, still serving ${cur.name}@${cur.version}: ${(e as Error).message}`,
      );
      this.o.onReload?.('failed', target);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
