import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { NotFoundError } from '../../core/errors.js';
import { sha256 } from '../../core/ids.js';
import { seededRandom } from '../../core/random.js';
import { loadProductPhotos } from '../../training/product-photos.js';
import { applyEdits, drawEdits, uprightSize } from './edits.js';
import { PHOTO_JPEG_QUALITY } from './jpeg.js';
import {
  conditionFor,
  type ImageGenerator,
  type PhotoCondition,
  type PhotoRequest,
  type SyntheticPhoto,
} from './types.js';

/** A real photo that can be paired with a synthetic review. Exactly one of `path` and `blob` is set. */
export interface PairablePhoto {
  /** Stable id: the product-photos id, or `blob:<sha256>` for a photo in the store. */
  id: string;
  condition: PhotoCondition;
  /** parcel, phone-screen, can, box, fruit... or `store`. */
  category: string;
  /** Where it comes from: the public repository of a product-photos image, or `store`. */
  origin: string;
  /** A file (the shared product-photos). */
  path?: string;
  /** A blob id (a photo of a real review in the store). */
  blob?: string;
  /** How its condition is known: the data set's label, or the damage check's figures for a store photo. */
  conditionFrom: string | Record<string, unknown>;
}

/** Words of a product or category that point at a product-photos category. */
const CATEGORY_HINTS: Array<[RegExp, string]> = [
  [/phone|screen|tablet/i, 'phone-screen'],
  [/parcel|package|delivery|shipping/i, 'parcel'],
  [/\bbox(es)?\b|carton/i, 'box'],
  [/\bcans?\b|\btin\b|canned/i, 'can'],
  [/fruit|apple|banana|orange/i, 'fruit'],
];

/**
 * The real photos of `../shared/data/product-photos` (see its README: `photos.jsonl`, damaged / intact) as
 * pairable photos. Only sources that hold both conditions are kept (the single-condition `parcel-doorstep` set is
 * not), so which repository a photo comes from says nothing about its condition on its own. Throws when the
 * folder is missing (the fs error) or a line is bad (ValidationError), as loadProductPhotos does.
 */
export function productPhotoPool(sharedDataDir: string): PairablePhoto[] {
  const photos = loadProductPhotos(sharedDataDir);
  const conds = new Map<string, Set<string>>();
  for (const p of photos) conds.set(p.source, (conds.get(p.source) ?? new Set()).add(p.condition));
  return photos
    .filter((p) => conds.get(p.source)?.size === 2)
    .map((p) => ({
      id: p.id,
      condition: p.condition,
      category: p.category,
      origin: p.source,
      path: p.image,
      conditionFrom: 'data set label (product-photos)',
    }));
}

export interface PairingOptions {
  /** Reads a store photo's bytes (the blob store's `get`); needed when the pool holds blob photos. */
  readBlob?: (id: string) => Promise<Buffer>;
  /** Recorded paths are made relative to this folder (the shared data directory), so recipes travel. */
  relativeTo?: string;
  /** Largest source photo in pixels (default 40 million). */
  maxPixels?: number;
}

/**
 * The local default image generator: no diffusion model, a real photo of the condition the review's sentiment
 * calls for (conditionFor: damaged for negative, intact for positive and neutral), picked by the seed from the
 * pool — of the product-photos category the product or category names (`phone` → phone-screen, `parcel`, `box`,
 * `can`, `fruit`), else of any — and lightly edited with sharp so it is not the same bytes as its source: a crop
 * keeping 80-100% of each side, brightness ±15%, and half the time a blur of sigma ≤ 1 (drawEdits). The same seed
 * and pool give the same JPEG; the recipe records the source photo (path or blob id, sha256), each edit with its
 * parameters, and the seed.
 */
export class RealPhotoPairing implements ImageGenerator {
  readonly name = 'pair';
  private readonly pool: PairablePhoto[];
  private readonly sourceHash = new Map<string, string>();

  constructor(
    photos: readonly PairablePhoto[],
    private readonly opts: PairingOptions = {},
  ) {
    this.pool = [...photos].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Photos in the pool per condition. */
  counts(): Record<PhotoCondition, number> {
    const out = { damaged: 0, intact: 0 };
    for (const p of this.pool) out[p.condition]++;
    return out;
  }

  private candidates(req: PhotoRequest, condition: PhotoCondition) {
    const all = this.pool.filter((p) => p.condition === condition);
    for (const [field, value] of [
      ['product', req.product],
      ['category', req.category],
    ] as const) {
      const hint = value ? CATEGORY_HINTS.find(([re]) => re.test(value))?.[1] : undefined;
      const same = hint ? all.filter((p) => p.category === hint) : [];
      if (same.length > 0) return { list: same, match: `${field}: ${hint}` };
    }
    return { list: all, match: 'any category' };
  }

  async generate(req: PhotoRequest): Promise<SyntheticPhoto> {
    const condition = conditionFor(req.sentiment);
    const { list, match } = this.candidates(req, condition);
    if (list.length === 0) {
      throw new NotFoundError(`no ${condition} photo to pair with a ${req.sentiment} review (the pool is empty)`);
    }
    const rand = seededRandom(req.seed);
    const src = list[Math.floor(rand() * list.length)] as PairablePhoto;
    const maxPixels = this.opts.maxPixels ?? 40_000_000;
    let bytes: Buffer;
    if (src.blob) {
      if (!this.opts.readBlob) throw new Error(`store photo ${src.blob}: no blob reader given`);
      bytes = await this.opts.readBlob(src.blob);
    } else {
      bytes = await readFile(src.path as string);
    }
    let hash = this.sourceHash.get(src.id);
    if (!hash) {
      hash = sha256(bytes);
      this.sourceHash.set(src.id, hash);
    }
    const { width, height } = await uprightSize(bytes, maxPixels);
    const edits = drawEdits(width, height, rand);
    const out = await applyEdits(bytes, edits, maxPixels);
    const where = src.blob
      ? { blob: src.blob }
      : { path: this.opts.relativeTo ? relative(this.opts.relativeTo, src.path as string) : src.path };
    return {
      jpeg: out.jpeg,
      width: out.width,
      height: out.height,
      sha256: sha256(out.jpeg),
      recipe: {
        generator: this.name,
        condition,
        seed: req.seed,
        source: {
          id: src.id,
          ...where,
          sha256: hash,
          width,
          height,
          category: src.category,
          origin: src.origin,
          conditionFrom: src.conditionFrom,
        },
        categoryMatch: match,
        poolSize: list.length,
        edits,
        output: { format: 'jpeg', quality: PHOTO_JPEG_QUALITY, width: out.width, height: out.height },
      },
    };
  }
}
