import type { Command } from 'commander';
import { type Config, loadConfig } from '../core/config.js';
import type { MetadataStore } from '../storage/index.js';
import type { ModelRegistry } from '../training/registry.js';

/** The effective config: `--config FILE` (global option), environment, then the given overrides. */
export function cliConfig(
  program: Command,
  overrides: Record<string, unknown> = {},
): Config & { configFile: string | null } {
  return loadConfig({ file: program.opts().config, overrides });
}

/** Opens the configured metadata store (applying pending migrations), runs `fn`, and closes it. */
export async function withMetadata<T>(
  program: Command,
  fn: (meta: MetadataStore, cfg: Config) => Promise<T>,
): Promise<T> {
  const cfg = cliConfig(program);
  const { MetadataStore } = await import('../storage/index.js');
  const meta = await MetadataStore.open({ url: cfg.database.url, dataDir: cfg.dataDir });
  try {
    return await fn(meta, cfg);
  } finally {
    await meta.close();
  }
}

/** Opens the registry over the configured stores, runs `fn`, and closes the stores. */
export async function withRegistry<T>(program: Command, fn: (registry: ModelRegistry) => Promise<T>): Promise<T> {
  const { openBlobStore } = await import('../storage/index.js');
  const { ModelRegistry } = await import('../training/registry.js');
  return withMetadata(program, (meta, cfg) => fn(new ModelRegistry(meta, openBlobStore(cfg))));
}

/** `NAME@VERSION` -> its parts. */
export function parseRef(ref: string): { name: string; version: string } {
  const at = ref.lastIndexOf('@');
  if (at <= 0 || at === ref.length - 1) throw new Error(`expected NAME@VERSION, got "${ref}"`);
  return { name: ref.slice(0, at), version: ref.slice(at + 1) };
}

/** Resolves `production`, `staging` or `NAME@VERSION` in the registry. */
export async function resolveModelRef(
  registry: ModelRegistry,
  ref: string,
): Promise<{ name: string; version: string }> {
  if (ref.includes('@')) return parseRef(ref);
  const a = await registry.alias(ref);
  if (!a) throw new Error(`alias ${ref} points at nothing`);
  return a;
}
