/** Small text helpers shared by the extraction layers: whitespace, ratings, dates. */

/** Collapses whitespace and trims. */
export function clean(s: string | null | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Decodes the HTML entities that shops leave inside JSON-LD strings (`&quot;`, `&#39;`, `&#x27;`). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
    }
    return NAMED[e.toLowerCase()] ?? m;
  });
}

const OUT_OF = /(?<![\d/.,])(\d+(?:[.,]\d+)?)\s*(out\s+of|of|\/|von|sur|de|su|из)\s*(\d+(?:[.,]\d+)?)(?![\d/])/i;
/** "5つ星のうち4.0" and the like: the scale first. */
const SCALE_FIRST = /(\d+)\s*つ星のうち\s*(\d+(?:[.,]\d+)?)/;
/** "4.5 stars", "5 star rating", "Rated 4": a value with a star word, on a 5 scale. */
const STAR_WORD =
  /^(?:rated\s+)?(\d(?:[.,]\d+)?)\s*(?:-\s*)?(?:stars?|star\s+rating|étoiles?|sterne?n?|estrellas?|stelle)\b/i;
const RATING_WORD = /star|rat|score|stern|étoile|estrella|stell|bewert|note|valuta/i;
const STARS = /^[\s★☆✩✭✮⭐]+$/;
/** Rating text is short; a sentence that mentions "5 stars" is a review, not a rating element. */
const MAX_RATING_TEXT = 60;

function num(s: string): number {
  return Number(s.replace(',', '.'));
}

/** Scales `value` on `best` to 0..5, or null when it is not a plausible rating. */
export function toFiveStars(value: number, best = 5): number | null {
  if (!Number.isFinite(value) || !Number.isFinite(best) || best <= 0 || value < 0 || value > best) return null;
  const v = best === 5 ? value : (value / best) * 5;
  return Math.round(v * 100) / 100;
}

/**
 * Reads a rating from short text such as "4.0 out of 5 stars", "Rated 4/5", "4.5 stars", "★★★★☆", or
 * "5つ星のうち4.0". Null when the text holds no rating (pagination such as "Page 2 of 7" or "1 of 5 reviews"
 * and dates such as "3/10/2023" are not ratings).
 */
export function parseRatingText(raw: string | null | undefined): number | null {
  const s = clean(raw);
  if (!s || s.length > MAX_RATING_TEXT || /\bpage\b|seite|página|pagina/i.test(s)) return null;
  const m = OUT_OF.exec(s);
  if (m?.[1] && m[2] && m[3]) {
    const best = num(m[3]);
    const word = m[2].toLowerCase();
    const explicit = word.replace(/\s+/g, ' ') === 'out of' || RATING_WORD.test(s);
    // "4/5" and "4 out of 5" are ratings; "1 of 5" only with a rating word; 10 and 100 scales only with one.
    if (best === 5 && (explicit || word === '/')) return toFiveStars(num(m[1]), best);
    if ((best === 10 || best === 100) && RATING_WORD.test(s)) return toFiveStars(num(m[1]), best);
    if (best === 5 || best === 10 || best === 100) return null;
  }
  const jp = SCALE_FIRST.exec(s);
  if (jp?.[1] && jp[2]) return toFiveStars(num(jp[2]), num(jp[1]));
  const w = STAR_WORD.exec(s);
  if (w?.[1]) return toFiveStars(num(w[1]), 5);
  if (STARS.test(s)) {
    const full = (s.match(/[★⭐✭✮]/g) ?? []).length;
    const total = full + (s.match(/[☆✩]/g) ?? []).length;
    if (full > 0 && full <= 10 && (total === 5 || total === full)) return toFiveStars(full, Math.max(5, total));
  }
  return null;
}

/** A number from an attribute such as `data-rating="4"` (0..5), or from "4 stars" text. */
export function parseRatingNumber(raw: string | null | undefined, best = 5): number | null {
  const s = clean(raw);
  if (!/^\d+(?:[.,]\d+)?$/.test(s)) return null;
  return toFiveStars(num(s), best);
}

const MONTHS = 'january|february|march|april|may|june|july|august|september|october|november|december';
const DATE_WORDS = new RegExp(
  `\\b(?:(?:${MONTHS}|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\\.?\\s+\\d{1,2},?\\s+\\d{4}|\\d{1,2}\\s+(?:${MONTHS}|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\\.?,?\\s+\\d{4})\\b`,
  'i',
);
const ISO_DATE = /\b(\d{4})-(\d{2})-(\d{2})(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\b/;
const NUMERIC_DATE = /\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b/;

/** The date a piece of text mentions, as ISO 8601 (`YYYY-MM-DD`) when it parses; null when none. */
export function findDate(raw: string | null | undefined): string | null {
  const s = clean(raw);
  if (!s) return null;
  const iso = ISO_DATE.exec(s);
  if (iso) return iso[0].length === 10 ? iso[0] : normaliseDate(iso[0]);
  const words = DATE_WORDS.exec(s);
  if (words) return normaliseDate(words[0]);
  const n = NUMERIC_DATE.exec(s);
  return n ? n[0] : null;
}

/** ISO `YYYY-MM-DD` when `s` parses as a date, else `s` itself. */
export function normaliseDate(s: string): string {
  const t = Date.parse(s.replace(/(\d)(st|nd|rd|th)\b/, '$1'));
  if (Number.isNaN(t)) return s;
  const d = new Date(t);
  // Date.parse of a day without a time is local midnight; read the local calendar day back.
  const local = /T\d/.test(s) ? d.toISOString().slice(0, 10) : isoLocal(d);
  return local;
}

function isoLocal(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** Resolves `href` against `base`; undefined for what is not an http(s) URL. */
export function absoluteUrl(href: string | null | undefined, base: string): string | undefined {
  const h = clean(href);
  if (!h || h.startsWith('data:') || h.startsWith('javascript:')) return undefined;
  try {
    const u = new URL(h, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}
