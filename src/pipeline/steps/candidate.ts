import type { PipelineServices, StepContext } from '../types.js';

/** `name@version` -> its parts; undefined when it is not one. */
export function parseRef(ref: unknown): { name: string; version: string } | undefined {
  if (typeof ref !== 'string') return undefined;
  const at = ref.lastIndexOf('@');
  return at > 0 && at < ref.length - 1 ? { name: ref.slice(0, at), version: ref.slice(at + 1) } : undefined;
}

/**
 * The candidate of a run, for the steps after `train` (`evaluate`, `promote`): `params.candidate`
 * (`name@version`), else the version the train step of the same run registered; undefined when there is none.
 */
export async function candidateOf(
  ctx: StepContext,
  services: PipelineServices,
): Promise<{ name: string; version: string } | undefined> {
  const given = parseRef(ctx.params.candidate);
  if (given) return given;
  const train = ctx.outputs.train;
  if (train?.registered !== true || typeof train.version !== 'string') return undefined;
  const row = (await services.registry.list()).find((r) => r.version === train.version);
  return row ? { name: row.name, version: row.version } : undefined;
}

/** Why there is no candidate, for a step's skip: the train step's own reason when it gave one. */
export function noCandidateReason(ctx: StepContext): string {
  const train = ctx.outputs.train;
  const why = typeof train?.reason === 'string' ? ` (train: ${train.reason})` : '';
  return `no candidate: the train step registered no model in this run${why}`;
}
