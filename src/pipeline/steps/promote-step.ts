import { SENTIMENTS } from '../../core/types.js';
import { Analyzer } from '../../sentiment/index.js';
import { evalRecordOf, type GateDecision, gateDecision, reportGateDecision } from '../../training/gate.js';
import {
  PRODUCTION,
  type PromotionPolicy,
  promotionDecision,
  type ShadowPair,
  type ShadowResult,
  shadowComparison,
} from '../../training/index.js';
import type { PipelineServices, PipelineStep, StepContext } from '../types.js';
import { candidateOf, noCandidateReason } from './candidate.js';

/**
 * Both models answer the `sample` most recent stored reviews (text and first photo): the traffic the system
 * saw last. A review either model cannot answer is left out. Labels made by a model (`auto`) are not
 * trusted for accuracy; a person's or an imported set's are.
 */
async function shadowPairs(
  ctx: StepContext,
  services: PipelineServices,
  candidate: Analyzer,
  production: Analyzer,
  sample: number,
): Promise<ShadowPair[]> {
  // Real traffic only: synthetic reviews (the synthesize step's, often the newest rows) are left out.
  const real = { excludeSource: 'synthetic' };
  const total = await services.meta.reviews.count(real);
  const pairs: ShadowPair[] = [];
  let done = 0;
  for (let offset = Math.max(0, total - sample); offset < total; offset += 100) {
    const page = await services.meta.reviews.list({ ...real, limit: Math.min(100, total - offset), offset });
    for (const r of page) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('cancelled');
      try {
        const photo = r.photoBlobs[0];
        const input = { text: r.text, ...(photo ? { image: await services.blobs.get(photo) } : {}) };
        const [c, p] = [await candidate.analyze(input), await production.analyze(input)];
        const trusted =
          r.label !== null && r.labelSource !== 'auto' && (SENTIMENTS as readonly string[]).includes(r.label);
        pairs.push({ candidate: c.sentiment, production: p.sentiment, label: trusted ? r.label : null });
      } catch {
        // A review one of the models cannot read (an unreadable photo) says nothing about either.
      }
      done++;
    }
    await ctx.progress(0.1 + (0.8 * done) / Math.max(1, Math.min(sample, total)), `shadow: ${done} reviews`);
  }
  return pairs;
}

/**
 * `promote`: applies the promotion policy (`pipeline.promotion`, or the run's `params.promotion`) to the
 * candidate the train step registered (or `params.candidate`, `name@version`). The registry gate is checked
 * again against the current production, and a shadow comparison runs both models on the most recent stored
 * reviews (`pipeline.shadow`; rule in src/training/promotion.ts). `auto` promotes to production when both
 * pass; `manual` holds the candidate for a person. The decision is recorded in the registry
 * (`model_promotions`, `reviewlens models promotions`); a promotion is undone with `reviewlens models rollback`.
 * With `training.gate.useReport`, the gate also requires the candidate's stored evaluation report (the `evaluate`
 * step's) to hold (`reportGateDecision` in src/training/gate.ts).
 */
export const promoteStep: PipelineStep = {
  name: 'promote',
  description:
    'promote the registered candidate to production by the promotion policy (auto: registry gate + shadow comparison on recent reviews)',
  async run(ctx, services) {
    const cfg = services.config.pipeline;
    const policy: PromotionPolicy =
      ctx.params.promotion === 'auto' || ctx.params.promotion === 'manual' ? ctx.params.promotion : cfg.promotion;
    const cand = await candidateOf(ctx, services);
    if (!cand) return { skipped: true, reason: noCandidateReason(ctx) };
    const prodRef = await services.registry.alias(PRODUCTION);
    if (prodRef && prodRef.name === cand.name && prodRef.version === cand.version) {
      return { skipped: true, reason: `${cand.name}@${cand.version} is production already` };
    }
    const candidate = await services.registry.load(cand.name, cand.version);
    const production = prodRef ? await services.registry.load(prodRef.name, prodRef.version) : undefined;

    // The registry gate again, against production as it is now.
    const record = evalRecordOf(candidate.metrics);
    const prodRecord = production ? evalRecordOf(production.metrics) : undefined;
    const gate: Pick<GateDecision, 'passed' | 'reasons'> & Partial<GateDecision> = record
      ? gateDecision(
          record,
          prodRecord && prodRef ? { version: `${prodRef.name}@${prodRef.version}`, record: prodRecord } : undefined,
          { minMacroF1: services.config.training.minMacroF1 },
        )
      : { passed: false, reasons: ['the candidate carries no evaluation record (metrics.gate_eval)'] };
    // With training.gate.useReport: the figures of the candidate's stored evaluation report must hold too.
    let reportGate: { passed: boolean; reasons: string[] } | undefined;
    if (services.config.training.gate.useReport) {
      const stored = await services.registry.report(cand.name, cand.version);
      reportGate = reportGateDecision(stored?.summary, prodRef, services.config.training.gate);
      gate.passed = gate.passed && reportGate.passed;
      gate.reasons = [...gate.reasons, ...reportGate.reasons];
    }
    await ctx.progress(0.1, `gate ${gate.passed ? 'passed' : 'refused'}`);

    let shadow: ShadowResult | { holds: false; reasons: string[] } | undefined;
    if (!production) {
      shadow = undefined; // nothing to compare with: the gate alone decides
    } else {
      const enc = await services.encoders();
      const fits = (a: typeof candidate) => a.encoders.text === enc.text.id && a.encoders.image === enc.image.id;
      if (!fits(candidate) || !fits(production)) {
        shadow = {
          holds: false,
          reasons: [
            `the shadow comparison needs both models on this pipeline's encoders (${enc.text.id} + ${enc.image.id})`,
          ],
        };
      } else {
        const limits = services.config.limits;
        const useImage = services.config.models.useImage;
        const pairs = await shadowPairs(
          ctx,
          services,
          new Analyzer(candidate, enc, limits, useImage),
          new Analyzer(production, enc, limits, useImage),
          cfg.shadow.sample,
        );
        shadow = shadowComparison(pairs, cfg.shadow);
      }
    }
    const decision = promotionDecision(policy, gate, shadow);
    const previous = prodRef ? `${prodRef.name}@${prodRef.version}` : null;
    if (decision.outcome === 'promoted') {
      await services.registry.promote(
        cand.name,
        cand.version,
        PRODUCTION,
        `auto-promoted by pipeline run ${ctx.runId}: gate passed, shadow comparison holds`,
      );
    }
    const gateOut = {
      passed: gate.passed,
      reasons: gate.reasons,
      ...(gate.difference ? { difference: gate.difference } : {}),
      ...(reportGate ? { report: reportGate } : {}),
    };
    const shadowOut = shadow ? { ...shadow } : null;
    const id = await services.registry.recordPromotion({
      name: cand.name,
      version: cand.version,
      policy,
      outcome: decision.outcome,
      reasons: decision.reasons,
      gate: gateOut,
      shadow: shadowOut,
      previous,
      runId: ctx.runId,
    });
    await ctx.log(
      decision.outcome === 'refused' ? 'warn' : 'info',
      `${cand.name}@${cand.version}: ${decision.outcome} (${policy}): ${decision.reasons.join('; ')}`,
    );
    return {
      candidate: `${cand.name}@${cand.version}`,
      policy,
      outcome: decision.outcome,
      promoted: decision.outcome === 'promoted',
      previous,
      reasons: decision.reasons,
      gate: gateOut,
      shadow: shadowOut,
      decision_id: id,
    };
  },
};
