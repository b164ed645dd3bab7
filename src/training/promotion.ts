import type { GateDecision } from './gate.js';

/** What the shadow comparison needs per recent review: both models' answers and a trusted label, if any. */
export interface ShadowPair {
  candidate: string;
  production: string;
  /** A label not produced by a model (a person's, or from an imported labelled set); else null. */
  label: string | null;
}

export interface ShadowRule {
  /** Fewer answered reviews than this and the comparison does not hold. */
  minSamples: number;
  /** Least share of reviews on which both models answer the same sentiment. */
  minAgreement: number;
  /** On the labelled reviews: the candidate's accuracy may trail production's by at most this. */
  maxAccuracyDrop: number;
}

/** Labelled reviews needed in the sample before accuracy is compared (fewer: reported, not judged). */
export const MIN_LABELLED_FOR_ACCURACY = 10;

export interface ShadowResult {
  holds: boolean;
  reasons: string[];
  /** Reviews both models answered. */
  n: number;
  /** Share of them with the same sentiment from both models. */
  agreement: number;
  /** Reviews whose answer changed, by `production->candidate` sentiment pair. */
  flips: Record<string, number>;
  labelled: number;
  candidateAccuracy: number | null;
  productionAccuracy: number | null;
}

/**
 * The shadow comparison's rule (docs/pipeline.md, "Promotion policy"): the candidate and the production model
 * answer the same recent reviews; the comparison holds when (1) at least `minSamples` were answered, (2) the
 * two agree on at least `minAgreement` of them (a candidate that changes many answers at once is not promoted
 * unattended, however good its held-out score), and (3) on the reviews among them that carry a label not made
 * by a model, when there are at least {@link MIN_LABELLED_FOR_ACCURACY}, the candidate's accuracy is not
 * below production's by more than `maxAccuracyDrop`.
 */
export function shadowComparison(pairs: readonly ShadowPair[], rule: ShadowRule): ShadowResult {
  const reasons: string[] = [];
  const n = pairs.length;
  const same = pairs.filter((p) => p.candidate === p.production).length;
  const agreement = n > 0 ? same / n : 0;
  const flips: Record<string, number> = {};
  for (const p of pairs) {
    if (p.candidate !== p.production) {
      const k = `${p.production}->${p.candidate}`;
      flips[k] = (flips[k] ?? 0) + 1;
    }
  }
  const lab = pairs.filter((p) => p.label !== null);
  const acc = (pick: (p: ShadowPair) => string) =>
    lab.length > 0 ? lab.filter((p) => pick(p) === p.label).length / lab.length : null;
  const candidateAccuracy = acc((p) => p.candidate);
  const productionAccuracy = acc((p) => p.production);
  let holds = true;
  if (n < rule.minSamples) {
    holds = false;
    reasons.push(`only ${n} recent reviews answered; the shadow comparison needs at least ${rule.minSamples}`);
  }
  if (n > 0 && agreement < rule.minAgreement) {
    holds = false;
    reasons.push(
      `the candidate agrees with production on ${(agreement * 100).toFixed(1)}% of ${n} recent reviews, below ${(rule.minAgreement * 100).toFixed(0)}%`,
    );
  } else if (n > 0) {
    reasons.push(`agrees with production on ${(agreement * 100).toFixed(1)}% of ${n} recent reviews`);
  }
  if (lab.length >= MIN_LABELLED_FOR_ACCURACY && candidateAccuracy !== null && productionAccuracy !== null) {
    const drop = productionAccuracy - candidateAccuracy;
    if (drop > rule.maxAccuracyDrop) {
      holds = false;
      reasons.push(
        `on ${lab.length} labelled recent reviews its accuracy ${candidateAccuracy.toFixed(3)} trails production's ${productionAccuracy.toFixed(3)} by more than ${rule.maxAccuracyDrop}`,
      );
    } else {
      reasons.push(
        `accuracy on ${lab.length} labelled recent reviews ${candidateAccuracy.toFixed(3)} vs production ${productionAccuracy.toFixed(3)}`,
      );
    }
  } else {
    reasons.push(
      `${lab.length} labelled recent reviews: too few to compare accuracy (needs ${MIN_LABELLED_FOR_ACCURACY})`,
    );
  }
  return {
    holds,
    reasons,
    n,
    agreement,
    flips,
    labelled: lab.length,
    candidateAccuracy,
    productionAccuracy,
  };
}

export type PromotionPolicy = 'manual' | 'auto';
export type PromotionOutcome = 'promoted' | 'held' | 'refused';

/**
 * The promotion policy: `manual` holds every candidate for a person; `auto` promotes when the registry gate
 * passed (against the current production) and the shadow comparison holds, and refuses otherwise.
 */
export function promotionDecision(
  policy: PromotionPolicy,
  gate: Pick<GateDecision, 'passed' | 'reasons'>,
  shadow: Pick<ShadowResult, 'holds' | 'reasons'> | undefined,
): { outcome: PromotionOutcome; reasons: string[] } {
  const reasons: string[] = [];
  if (!gate.passed) reasons.push(`the registry gate refused it: ${gate.reasons.join('; ')}`);
  if (shadow && !shadow.holds) reasons.push(`the shadow comparison does not hold: ${shadow.reasons.join('; ')}`);
  if (policy === 'manual') {
    return {
      outcome: 'held',
      reasons: [
        'promotion policy is manual: promote it with `reviewlens models promote` or POST /api/models/promote',
        ...reasons,
      ],
    };
  }
  if (reasons.length > 0) return { outcome: 'refused', reasons };
  return {
    outcome: 'promoted',
    reasons: [
      `the registry gate passed (${gate.reasons.join('; ')})`,
      `the shadow comparison holds (${shadow?.reasons.join('; ') ?? ''})`,
    ],
  };
}
