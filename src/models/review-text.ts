/**
 * Structure in a review's text that a bag of words misses: the clauses it is made of, the clause that a
 * contrast marker puts last ("I wanted to love it but the seam ripped"), and a rating the reviewer states
 * in words ("Five out of five", "2/5", "zero stars"). Small pure functions; the text model turns them
 * into features (src/models/fusion.ts).
 */

/** Sentences and the clauses inside them (split at . ! ? ; newlines, and at commas and dashes). */
export function splitClauses(text: string, maxClauses = 400): string[] {
  const out: string[] = [];
  for (const sentence of text.split(/(?<=[.!?])\s+|[\n\r]+|;/)) {
    for (const clause of sentence.split(/,|\s[-–—]\s|:\s/)) {
      const c = clause.trim();
      if (/[\p{L}\p{Extended_Pictographic}]/u.test(c)) out.push(c);
      if (out.length >= maxClauses) return out;
    }
  }
  return out;
}

/** Sentences (split at . ! ? and newlines), non-empty. */
export function splitSentences(text: string, maxSentences = 400): string[] {
  return text
    .split(/(?<=[.!?])\s+|[\n\r]+/)
    .map((s) => s.trim())
    .filter((s) => /[\p{L}\p{Extended_Pictographic}]/u.test(s))
    .slice(0, maxSentences);
}

const CONTRAST_AFTER =
  /\b(?:but|however|yet|unfortunately|sadly|except(?: that)?|still|then again|on the other hand)\b[,:]?\s*/gi;
const CONCESSIVE_START =
  /^\s*(?:although|though|even though|while|whilst|despite|in spite of|even if)\b[^,;.]*[,;]\s*/i;

/**
 * The clause a contrast puts in charge: the text after the last "but / however / yet / unfortunately /
 * sadly / except / still", or, in "Although X, Y", the Y part of the sentence that starts so. Undefined
 * when the text has no contrast marker (or nothing follows it).
 */
export function contrastTail(text: string): string | undefined {
  let tail: string | undefined;
  let last = -1;
  for (const m of text.matchAll(CONTRAST_AFTER)) {
    const end = (m.index ?? 0) + m[0].length;
    if (end > last && end < text.length) last = end;
  }
  if (last >= 0) tail = text.slice(last);
  if (tail === undefined) {
    for (const s of splitSentences(text).reverse()) {
      const m = CONCESSIVE_START.exec(s);
      if (m && m[0].length < s.length) {
        tail = s.slice(m[0].length);
        break;
      }
    }
  }
  tail = tail?.trim();
  return tail && /\p{L}/u.test(tail) ? tail : undefined;
}

const NUMBER_WORDS: Record<string, number> = {
  zero: 0,
  no: 0,
  none: 0,
  a: 1,
  one: 1,
  single: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  half: 0.5,
};
const NUM = String.raw`(\d{1,2}(?:[.,]\d)?|zero|no|none|a|one|single|two|three|four|five|six|seven|eight|nine|ten|half)`;
const num = (s: string): number | undefined => {
  const k = s.toLowerCase();
  if (k in NUMBER_WORDS) return NUMBER_WORDS[k];
  const v = Number(k.replace(',', '.'));
  return Number.isFinite(v) ? v : undefined;
};
// "4 out of 5", "4/5", "4 of 5 stars", "10/10", "8 out of ten"
const OUT_OF = new RegExp(String.raw`\b${NUM}\s*(?:\/|out of|outta|of)\s*(5|10|five|ten)\b`, 'gi');
// "5 stars", "five-star", "one star", "zero stars", "a single star", "1 star"
const STARS = new RegExp(String.raw`\b(?:a\s+)?${NUM}[\s-]*stars?\b`, 'gi');

// "full marks", "top marks" (the top of the scale); "half a star" (below one star)
const WORDED = /\b(?:(?:full|top)\s+marks|half\s+a\s+star)\b/gi;

/** A rating the reviewer states, on a 0..1 scale (stars / 5, or points / 10), with the phrase. */
export interface StatedRating {
  /** 0 (zero stars) .. 1 (five stars, ten out of ten); a stated 3 of 5 is 0.6. */
  value: number;
  phrase: string;
}

/**
 * Words just before a rating phrase that make it a reference rather than the reviewer's own verdict:
 * "I wanted to give it 5 stars", "didn't give it 5 stars", "knocked it down one star", "almost 5 stars
 * rating", "other reviews say 5 stars", "changing my 2 star to four".
 */
const NOT_A_VERDICT =
  /\b(?:want(?:ed)?|wish(?:ed)?|hop(?:e|ed|ing)|expect(?:ed|ing)?|didn['’]?t|did not|don['’]?t|can['’]?t|cannot|couldn['’]?t|won['’]?t|not|almost|nearly|knock(?:ed|ing)?|mark(?:ed|ing)?|deduct(?:ed|ing)?|minus|took|take|taking|changing|changed|instead|other|others|reviews?|rated|rating|ratings|all the|those|these|why|los[et]|loose|losing|lost|remov(?:e|ed|ing)|dropp?(?:ed|ing)?|reserv(?:e|ed|ing)|withh(?:e|o)ld(?:ing)?|received|so many|how many|many|few|seeing|saw|how|anyone|any one|everyone|people|(?:was|were|been|is|are) given)\b[^.!?;]{0,25}$/i;

/** Words before a slash form that make "8/10" a clothing size: "a size 4/5", "I wear an 8/10", "usually 8/10". */
const SIZE_BEFORE =
  /\b(?:size[sd]?|wear(?:s|ing)?|usually|normally|typically|i'?m|i am|am an?|fits?|petite|tall)\b[^.!?;]{0,12}$/i;
/** Words after a slash form that make it a count, a size or a date: "4/5 days", "8/10 med", "4 out of 5 seeds". */
const NOT_A_RATING_AFTER =
  /^\s*(?:days?|weeks?|months?|years?|hours?|times?|med|medium|small|large|size|petite|and the|or)\b|^\s+(?!stars\b|points\b|thanks\b)[a-z]+s\b/i;
/**
 * A hypothetical rating: "would have given it 5 stars if ...", "it would be a 5 star but ...", "this
 * product would get 5 stars every time if ...". A conditional after "would / 'd / could" makes the rating an
 * upper bound the product did not reach, not the reviewer's verdict; "if I could" / "if possible" is the
 * exception ("I'd give it zero stars if I could" is a verdict).
 */
const WOULD_BEFORE = /(?:\b(?:would|could|might)|['’]d)\b[^.!?;]{0,45}$/i;
/** "If the paint wasn't chipped, I'd give it 5 stars": the condition comes first in the sentence. */
const CONDITION_BEFORE =
  /\b(?:if|had it|were it)\b(?!\s+(?:i|we)\s+(?:could|can)\b)[^.!?;]*(?:\b(?:would|could|might)|['’]d)\b[^.!?;]*$/i;
const CONDITION_AFTER =
  /^[^.!?;]{0,80}?\b(?:if|but|except|unless|had|were)\b(?!\s+(?:i|we)\s+(?:could|can)\b|\s+(?:it\s+(?:was|were)\s+)?possible\b|\s+(?:it|they|amazon|the site)\s+(?:would\s+)?(?:let|allowed?)\b|\s+(?:that|it)\s+(?:was|were)\s+an\s+option\b)/i;

/**
 * The last rating stated in words or digits ("Five out of five", "2/5", "3 stars", "I'd give it zero
 * stars"), or undefined. Dates, times and version numbers are not ratings: only "N out of/of/ M" and
 * "N star(s)" with M in {5, 10} count; values above the scale are clamped ("6 stars if I could" = 1).
 */
export function statedRating(text: string): StatedRating | undefined {
  let best: { at: number; value: number; phrase: string } | undefined;
  const consider = (at: number, value: number | undefined, phrase: string) => {
    if (value === undefined || !Number.isFinite(value)) return;
    const before = text.slice(Math.max(0, at - 40), at);
    const after = text.slice(at + phrase.length, at + phrase.length + 90);
    if (NOT_A_VERDICT.test(before)) return;
    if (WOULD_BEFORE.test(before) && CONDITION_AFTER.test(after)) return;
    if (CONDITION_BEFORE.test(text.slice(Math.max(0, at - 120), at))) return;
    // "... one star because ..." / "... 5 star rating/review(s)" / "1 star removed" read as references too.
    if (/^\s*(?:ratings?|reviews?|products?|less|off|down|short|removed|deducted|taken)\b/i.test(after)) return;
    // "-5 stars" is below the scale.
    const below = /-\s*$/.test(before) && !/\d\s*-\s*$/.test(before);
    if (!best || at >= best.at) best = { at, value: below ? 0 : Math.max(0, Math.min(1, value)), phrase };
  };
  for (const m of text.matchAll(OUT_OF)) {
    const v = num(m[1] as string);
    const scale = num(m[2] as string) as number;
    const at = m.index ?? 0;
    if (SIZE_BEFORE.test(text.slice(Math.max(0, at - 30), at))) continue;
    if (NOT_A_RATING_AFTER.test(text.slice(at + m[0].length, at + m[0].length + 20))) continue;
    consider(at, v === undefined ? undefined : v / scale, m[0]);
  }
  for (const m of text.matchAll(STARS)) {
    const v = num(m[1] as string);
    // "a star" alone is too vague unless it reads "a single star" / "one star"; "no stars" reads as zero.
    if (/^a\s*$/i.test(m[1] as string)) continue;
    consider(m.index ?? 0, v === undefined ? undefined : v / 5, m[0]);
  }
  for (const m of text.matchAll(WORDED)) {
    consider(m.index ?? 0, /^(?:full|top)/i.test(m[0]) ? 1 : 0.1, m[0]);
  }
  return best ? { value: best.value, phrase: best.phrase.trim() } : undefined;
}

/**
 * The stated rating as features: [stated (0/1), reads negative, reads neutral, reads positive], where
 * a 5-star equivalent s = 5 * value reads negative below 2.5, neutral from 2.5 to below 3.5, positive from 3.5.
 */
export function ratingFeatures(text: string): [number, number, number, number] {
  const r = statedRating(text);
  if (!r) return [0, 0, 0, 0];
  const s = r.value * 5;
  return [1, s < 2.5 ? 1 : 0, s >= 2.5 && s < 3.5 ? 1 : 0, s >= 3.5 ? 1 : 0];
}

/**
 * Negators that open a negated complaint ("no", "never", "zero", "didn't", "without"...). Not "nor": "neither
 * impressed nor disappointed" negates both poles and reads neutral.
 */
const COMPLAINT_NEGATOR = `(?:no|not|never|nothing|zero|none|without|(?:ca|do|does|did|is|was|are|were|has|have|had|wo|would|could)n['’]?t|cannot)`;
/** Words that name a complaint or a product failure: negated, they read as praise ("no complaints", "didn't shrink"). */
const COMPLAINT = `(?:problems?|issues?|complaints?|complain(?:ing|ed)?|faults?|flaws?|defects?|scratch(?:es|ed)?|damaged?|crack(?:s|ed)?|break(?:s|ing)?|broke|broken|leak(?:s|ed|ing)?|stall(?:s|ed)?|wobbl(?:e|es|ed|y)|shr[iau]nk|shrinks|fad(?:e|es|ed|ing)|irritat(?:e|es|ed|ion)|overheat(?:s|ed|ing)?|kinks?|kinked|drip(?:s|ped|ping)?|rust(?:s|ed)?|t(?:ea|o|or)r[ns]?|rip(?:s|ped)?|squeak(?:s|y)?|rattl(?:e|es|ing)|regrets?|disappoint(?:ed|ment|s)?|dislike|hassles?|troubles?|glitch(?:es)?|bugs?|fail(?:s|ed|ure)?|downsides?|worries|stale|bitter|pill(?:s|ed|ing)?|itch(?:y|ing)?|redness|snag(?:s|ged)?|dents?|dented|quibbles?|gripes?|negatives?)`;
/** Words between the negator and the complaint that undo the reading ("won't stop dripping", "didn't fix the leak"). */
const COMPLAINT_GAP_STOP = String.raw`(?!(?:but|however|stop|stopped|stops|fix|fixed|correct|prevent|help|solve|solved|until|mind)\b)`;
const NEGATED_COMPLAINT = new RegExp(
  String.raw`\b${COMPLAINT_NEGATOR}\b(?:[\s-]+${COMPLAINT_GAP_STOP}[\p{L}'’]+){0,3}?[\s-]+${COMPLAINT}\b`,
  'iu',
);

/**
 * A complaint the reviewer negates ("No complaints at all", "never had a problem", "the jeans did not shrink",
 * "can't find a single fault"): the negator, at most three words, and a word naming a complaint or a product
 * failure, in one clause. Undefined when there is none, or when the review says "until" ("no problems until it
 * broke": the complaint comes later). Returns the matched phrase.
 *
 * Measured (2026-12-01) on FDU-MTL's training reviews (14 Amazon domains, binary, not used to train the shipped
 * model) and the e-commerce val split: where it matches, the served model's 3-class accuracy is below its
 * average (0.737 on FDU, 0.615 on val) because the base models read the complaint word as negative.
 */
export function negatedComplaint(text: string): string | undefined {
  if (/\buntil\b/i.test(text)) return undefined;
  return NEGATED_COMPLAINT.exec(text)?.[0];
}
