import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { reviewContentId } from '../../src/core/ids.js';
import type { BlobStore, MetadataStore, NewReview } from '../../src/storage/index.js';
import { MVSA_IMAGES, SHARED } from './paths.js';

/** One line of MVSA-Single's labeled.jsonl. */
export interface MvsaRow {
  id: string;
  text: string;
  image: string;
  label: 'positive' | 'negative' | 'neutral';
}

/** The labelled MVSA-Single tweets, in file order. */
export function mvsaRows(): MvsaRow[] {
  return readFileSync(join(SHARED, 'mvsa-single', 'labeled.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MvsaRow);
}

/** The photo file of a row. */
export const mvsaImage = (r: MvsaRow): string => join(MVSA_IMAGES, basename(r.image));

/** Stores rows in the reviews table with their photos and gold labels, as an import of the data set would. */
export async function storeMvsaReviews(
  stores: { meta: MetadataStore; blobs: BlobStore },
  rows: MvsaRow[],
): Promise<{ inserted: string[]; duplicates: string[] }> {
  const reviews: NewReview[] = [];
  for (const r of rows) {
    const blob = await stores.blobs.put(readFileSync(mvsaImage(r)));
    reviews.push({
      id: reviewContentId({ text: r.text }, blob),
      text: r.text,
      source: 'dataset:mvsa-single',
      label: r.label,
      labelSource: 'gold',
      photoBlobs: [blob],
    });
  }
  return stores.meta.reviews.insertMany(reviews);
}
