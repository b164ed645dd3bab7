/** The product-photos set (photos of damaged and of intact products) from the shared data directory. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../core/errors.js';
import { sharedDataDir } from './datasets.js';

/** Condition of the product in a photo. */
export type ProductCondition = 'damaged' | 'intact';

/** One photo of the product-photos set. */
export interface ProductPhoto {
  id: string;
  /** Absolute path of the JPEG. */
  image: string;
  condition: ProductCondition;
  /** parcel, phone-screen, can, box, fruit or parcel-doorstep. */
  category: string;
  /** The public repository the photo came from ("owner/name"); photos of one source share a style. */
  source: string;
}

/**
 * Reads `product-photos/photos.jsonl` (lines `{id, image, condition, category, source, original_class}`,
 * image paths relative to that folder; see the shared data's README). Returns the photos in file order,
 * with absolute image paths. Throws ValidationError on a line that is not JSON or has an unknown
 * condition, and the fs error when the file is missing.
 */
export function loadProductPhotos(dir = sharedDataDir()): ProductPhoto[] {
  const base = join(dir, 'product-photos');
  const out: ProductPhoto[] = [];
  const text = readFileSync(join(base, 'photos.jsonl'), 'utf8');
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    let r: { id?: unknown; image?: unknown; condition?: unknown; category?: unknown; source?: unknown };
    try {
      r = JSON.parse(line) as typeof r;
    } catch (e) {
      throw new ValidationError(`product-photos/photos.jsonl line ${i + 1} is not JSON`, 'photos.jsonl', e);
    }
    if (r.condition !== 'damaged' && r.condition !== 'intact')
      throw new ValidationError(
        `product-photos/photos.jsonl line ${i + 1}: unknown condition ${String(r.condition)}`,
        'photos.jsonl',
      );
    out.push({
      id: String(r.id),
      image: join(base, String(r.image)),
      condition: r.condition,
      category: String(r.category),
      source: String(r.source),
    });
  }
  return out;
}
