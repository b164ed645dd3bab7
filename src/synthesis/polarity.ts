import type { ClassScores, Sentiment } from '../core/types.js';

/**
 * Sentence-level polarity gate of the recombine generator: a sentence drawn from a real review of the requested
 * sentiment can still pull the other way (a 4-star review's "sadly I'll be returning it", a 2-star review's "the
 * picture is fantastic"), and stitched into a new review it makes that review read against its label. The rules
 * follow the written check list (data/synthesis/label-checklist.md): POS-2 (no dealbreaker in a positive review),
 * NEG-2 (no unqualified praise in a negative one), NEU-2 (no strong verdict either way in a neutral one).
 */

/**
 * Dealbreakers (check list POS-2: "returned it, broke, does not fit, would not recommend"): a sentence with one of
 * these never goes into a positive review, whatever a classifier makes of it. The production classifier reads
 * "i think i will probably be returning this top." as neutral (P(positive) 0.20), so a word rule carries this kind.
 */
const DEALBREAKERS: readonly RegExp[] = [
  // Sending it back: "returning it", "back it goes", "sent them back", "had to exchange".
  /\b(return(s|ed|ing)?|refund(s|ed)?|exchang(e|ed|ing))\b/i,
  /\b(send(ing)?|sent|ship(ping|ped)?|take|taking|took|go(ing)?|went|goes)\b(\s+\w+){0,2}\s+back\b/i,
  /\bback (it|they|she|he) (goes|go|went)\b/i,
  // Not fitting: "doesn't fit", "could not zip it", "way too small" (not "a bit too long": minor).
  /\b(does|did|do|would|will|could|can)\s*(n['’]?t|not)\s+(fit|zip|button|close|work)\b/i,
  /\b(won['’]?t|wont|cannot|can['’]?t|cant)\s+(fit|zip|button|close|work|wear)\b/i,
  /\b(way|much|far|so|very|really|too)\s+too\s+(small|big|large|tight|loose|short|long|wide|narrow|boxy)\b/i,
  // Broken, and not recommended.
  /\b(broke|broken|stopped working|fell apart|falling apart|ripped|tore|defective|unusable|unwearable)\b/i,
  /(\bnot|n['’]t|\bnever)\s+(recommend|buy (it|this|them) again)\b/i,
  // A hope the product did not meet: "I'd have kept it" (the check list's own POS-2 failure), "I would have loved
  // this dress if...", "wanted so badly to love it", "was hoping to wear them".
  /\b(would|could|might|i['’]d)\s+(have|'ve)\s+(loved|liked|kept|worked)\b/i,
  /\bwanted\s+(so\s+badly\s+|so\s+much\s+|really\s+)?to\s+(love|like)\b/i,
  /\b(was|were|had been)\s+hoping\b/i,
];

/** True when `sentence` names a dealbreaker (DEALBREAKERS): returned or sent back, does not fit, broke, not recommended. */
export function isDealbreaker(sentence: string): boolean {
  return DEALBREAKERS.some((r) => r.test(sentence));
}

/**
 * The class probability above which a sentence pulls against a requested sentiment (see `pullsAgainst`). Positive
 * and negative requests reject a sentence the classifier leans the other way on (probability 0.5, i.e. it is the
 * other class's majority); a neutral request rejects only a strong verdict (0.8) either way, since a 3-star review
 * is made of mild praise and mild complaints. Set from the check list's wording, not tuned on any sample.
 */
export const AGAINST = { polar: 0.5, neutral: 0.8 } as const;

/** A wish, which the classifier can read as praise ("wish it came in black") but which names what is missing. */
const WISH = /\bwish(ed|es|ing)?\b/i;

/**
 * A good point: `sentence` is no dealbreaker (isDealbreaker: the classifier reads "returned it!" as positive 0.67)
 * and no wish, and the classifier's reading `scores` leans positive (P(positive) >= AGAINST.polar and above
 * P(negative)). A neutral review with none is a run of complaints, which the check list (NEU-1, NEU-2) reads as
 * negative; the recombine generator then ends it on one. Undefined scores (no classifier): false.
 */
export function isGoodPoint(sentence: string, scores: ClassScores | undefined): boolean {
  return (
    scores !== undefined &&
    scores.positive >= AGAINST.polar &&
    scores.positive > scores.negative &&
    !isDealbreaker(sentence) &&
    !WISH.test(sentence)
  );
}

/**
 * Whether `sentence`, read by the production classifier as `scores` (class probabilities, summing to 1; absent: no
 * classifier, rules only), pulls against `requested`:
 * - positive: a dealbreaker (isDealbreaker), or P(negative) >= AGAINST.polar;
 * - negative: P(positive) >= AGAINST.polar (unqualified praise; "lovely colour, but it pilled" leans negative);
 * - neutral: P(positive) or P(negative) >= AGAINST.neutral (a strong verdict).
 */
export function pullsAgainst(sentence: string, requested: Sentiment, scores?: ClassScores): boolean {
  if (requested === 'positive') return isDealbreaker(sentence) || (scores ? scores.negative >= AGAINST.polar : false);
  if (!scores) return false;
  if (requested === 'negative') return scores.positive >= AGAINST.polar;
  return scores.positive >= AGAINST.neutral || scores.negative >= AGAINST.neutral;
}
