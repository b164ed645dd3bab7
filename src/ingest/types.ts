/** Which extraction layer found a review (recorded in its provenance). */
export type ExtractorName = 'json-ld' | 'microdata' | 'repeated-structure' | 'llm';

/** One review as found on a page, before it is stored. */
export interface ExtractedReview {
  text: string;
  /** Stars on a 0..5 scale, or null when the page gives none. */
  rating: number | null;
  title: string | null;
  author: string | null;
  /** ISO 8601 date when it could be parsed, else the page's own wording. */
  date: string | null;
  /** Absolute photo URLs. */
  photos: string[];
  extractor: ExtractorName;
  /** The CSS selector (or JSON path) the review was read from. */
  selector: string;
}

/**
 * CSS selectors that read reviews off a page: `review` matches one element per review; the others are
 * relative to it. Discovered by the repeated-structure layer or an LLM and cached per domain.
 */
export interface SelectorSet {
  review: string;
  text: string;
  rating?: string | undefined;
  title?: string | undefined;
  author?: string | undefined;
  date?: string | undefined;
  photo?: string | undefined;
}

export interface PageExtraction {
  reviews: ExtractedReview[];
  /** The product the page is about (name), when the page says. */
  product: string | null;
  /** The selectors that found the reviews, when a selector layer did (to cache for the domain). */
  selectors?: { set: SelectorSet; extractor: 'repeated-structure' | 'llm' } | undefined;
  /** Layers tried, in order, with what each found or why it was skipped. */
  trace: { layer: string; found: number; note?: string }[];
}
