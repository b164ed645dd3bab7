/**
 * Perturbations for the robustness part of the evaluation report, in the manner of CheckList's invariance
 * tests (Ribeiro et al., ACL 2020) and of the image corruptions of Hendrycks and Dietterich ("Benchmarking
 * Neural Network Robustness to Common Corruptions and Perturbations", ICLR 2019): the label must not
 * change when a review gets typos, other casing or punctuation, or its photo gets noise, blur, JPEG
 * artefacts, a rotation or less light.
 *
 * Every perturbation is deterministic: the same text (or photo bytes) and the same seed give the same
 * output, so a stored report can be recomputed. `itemSeed(seed, perturbation, itemId)` derives the seed of
 * one item.
 */
import sharp from 'sharp';
import { seededRandom } from '../../core/random.js';

/** A text perturbation: `apply(text, rand)` with `rand` a seeded uniform [0, 1) source. */
export interface TextPerturbation {
  id: string;
  label: string;
  kind: 'text';
  apply(text: string, rand: () => number): string;
}

/** A photo perturbation: encoded image bytes in, JPEG bytes out; `seed` drives any randomness. */
export interface PhotoPerturbation {
  id: string;
  label: string;
  kind: 'photo';
  apply(image: Uint8Array, seed: number): Promise<Buffer>;
}

/** 32-bit FNV-1a hash of a string. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The seed of one item under one perturbation: a hash of the run seed, the perturbation id and the item id. */
export function itemSeed(seed: number, perturbation: string, itemId: string): number {
  return fnv1a(`${seed >>> 0}:${perturbation}:${itemId}`);
}

const isLetter = (c: string) => /\p{L}/u.test(c);

/**
 * QWERTY neighbours of each lower-case letter: keys on the same row next to it, and keys on the rows above
 * and below within one key width, with the rows' stagger (the home row starts a quarter key right of the top
 * row, the bottom row three quarters).
 */
const QWERTY_ROWS: ReadonlyArray<[string, number]> = [
  ['qwertyuiop', 0],
  ['asdfghjkl', 0.25],
  ['zxcvbnm', 0.75],
];
export const KEYBOARD_NEIGHBOURS: Record<string, string> = (() => {
  const pos = new Map<string, [number, number]>();
  QWERTY_ROWS.forEach(([row, offset], r) => {
    [...row].forEach((c, i) => {
      pos.set(c, [r, i + offset]);
    });
  });
  const out: Record<string, string> = {};
  for (const [c, [r, x]] of pos) {
    let n = '';
    for (const [d, [r2, x2]] of pos) {
      if (d !== c && Math.abs(r - r2) <= 1 && Math.abs(x - x2) <= 1) n += d;
    }
    out[c] = n;
  }
  return out;
})();

/**
 * Applies `edit` to each letter with probability `rate` (0..1). `edit(chars, i, rand)` changes `chars` in
 * place and returns how many positions to advance (1 normally; 2 after swapping with the next letter).
 */
function perLetter(
  text: string,
  rate: number,
  rand: () => number,
  edit: (chars: string[], i: number, rand: () => number) => number,
): string {
  const chars = [...text];
  let i = 0;
  while (i < chars.length) {
    const c = chars[i] as string;
    if (isLetter(c) && rand() < rate) i += edit(chars, i, rand);
    else i++;
  }
  return chars.join('');
}

/** Swaps a letter with the next one when that is a letter too ("great" -> "graet"), each letter with probability `rate`. */
export function typoSwap(text: string, rate: number, rand: () => number): string {
  return perLetter(text, rate, rand, (chars, i) => {
    const next = chars[i + 1];
    if (next === undefined || !isLetter(next)) return 1;
    chars[i + 1] = chars[i] as string;
    chars[i] = next;
    return 2;
  });
}

/** Drops letters ("great" -> "grat"), each with probability `rate`; never drops the last letter of the text. */
export function typoDrop(text: string, rate: number, rand: () => number): string {
  const letters = [...text].filter(isLetter).length;
  let dropped = 0;
  return perLetter(text, rate, rand, (chars, i) => {
    if (dropped + 1 >= letters) return 1;
    chars[i] = '';
    dropped++;
    return 1;
  });
}

/** Replaces letters by a QWERTY neighbour ("great" -> "grwat"), each with probability `rate`; keeps the case. */
export function typoKeyboard(text: string, rate: number, rand: () => number): string {
  return perLetter(text, rate, rand, (chars, i, r) => {
    const c = chars[i] as string;
    const n = KEYBOARD_NEIGHBOURS[c.toLowerCase()];
    if (!n) return 1;
    const d = n[Math.floor(r() * n.length)] as string;
    chars[i] = c === c.toLowerCase() ? d : d.toUpperCase();
    return 1;
  });
}

/**
 * Casing noise: with probability 1/3 each, the whole text in upper case, in lower case, or each word's
 * case flipped with probability 0.3 (as people type on phones and in anger).
 */
export function casingNoise(text: string, rand: () => number): string {
  const r = rand();
  if (r < 1 / 3) return text.toUpperCase();
  if (r < 2 / 3) return text.toLowerCase();
  return text.replace(/\p{L}+/gu, (w) =>
    rand() < 0.3 ? (w === w.toUpperCase() ? w.toLowerCase() : w.toUpperCase()) : w,
  );
}

/**
 * Punctuation noise: removes each punctuation mark with probability 0.5, then ends the text with "!!" or
 * "..." with probability 0.3.
 */
export function punctuationNoise(text: string, rand: () => number): string {
  const stripped = text.replace(/[.,;:!?'"()-]/g, (m) => (rand() < 0.5 ? '' : m));
  if (rand() >= 0.3) return stripped;
  return `${stripped.trimEnd()}${rand() < 0.5 ? '!!' : '...'}`;
}

/** Typo rates (share of letters touched) the report runs each typo kind at. */
export const TYPO_RATES = [0.03, 0.1] as const;

/** The text perturbations of the report, in report order: three typo kinds at each rate, casing, punctuation. */
export const TEXT_PERTURBATIONS: readonly TextPerturbation[] = [
  ...TYPO_RATES.flatMap((rate): TextPerturbation[] => [
    {
      id: `swap-${rate}`,
      label: `swaps ${rate * 100}%`,
      kind: 'text',
      apply: (t, r) => typoSwap(t, rate, r),
    },
    {
      id: `drop-${rate}`,
      label: `drops ${rate * 100}%`,
      kind: 'text',
      apply: (t, r) => typoDrop(t, rate, r),
    },
    {
      id: `keyboard-${rate}`,
      label: `keyboard ${rate * 100}%`,
      kind: 'text',
      apply: (t, r) => typoKeyboard(t, rate, r),
    },
  ]),
  { id: 'casing', label: 'casing', kind: 'text', apply: casingNoise },
  { id: 'punctuation', label: 'punctuation', kind: 'text', apply: punctuationNoise },
];

/** Applies a text perturbation to one item, seeded by (seed, perturbation, item). */
export function perturbText(p: TextPerturbation, text: string, seed: number, itemId: string): string {
  return p.apply(text, seededRandom(itemSeed(seed, p.id, itemId)));
}

/** Standard normal deviates from a uniform source (Box-Muller). */
function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

const JPEG = { quality: 90 } as const;

/** Adds seeded Gaussian noise (standard deviation `sigma` in 0..255 pixel units) to every channel of every pixel. */
export async function gaussianNoise(image: Uint8Array, sigma: number, seed: number): Promise<Buffer> {
  const { data, info } = await sharp(image).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const rand = seededRandom(seed);
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.max(0, Math.min(255, Math.round((data[i] as number) + sigma * gaussian(rand))));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg(JPEG)
    .toBuffer();
}

/** Gaussian blur with standard deviation `sigma` pixels. */
export async function blur(image: Uint8Array, sigma: number): Promise<Buffer> {
  return sharp(image).rotate().blur(sigma).jpeg(JPEG).toBuffer();
}

/** Re-encodes as JPEG at `quality` (1-100): block artefacts and colour bleeding. */
export async function jpegRecompress(image: Uint8Array, quality: number): Promise<Buffer> {
  return sharp(image).rotate().jpeg({ quality }).toBuffer();
}

/** Rotates by `degrees` (clockwise), filling the corners with mid grey; the canvas grows to hold the photo. */
export async function rotatePhoto(image: Uint8Array, degrees: number): Promise<Buffer> {
  return sharp(image)
    .rotate()
    .rotate(degrees, { background: { r: 128, g: 128, b: 128 } })
    .jpeg(JPEG)
    .toBuffer();
}

/** Low light: every channel scaled by `factor` (0..1), as a photo taken with too little light and no flash. */
export async function lowLight(image: Uint8Array, factor: number): Promise<Buffer> {
  return sharp(image).rotate().linear(factor, 0).jpeg(JPEG).toBuffer();
}

/** The photo perturbations of the report, in report order. */
export const PHOTO_PERTURBATIONS: readonly PhotoPerturbation[] = [
  { id: 'noise', label: 'noise σ=25', kind: 'photo', apply: (b, s) => gaussianNoise(b, 25, s) },
  { id: 'blur', label: 'blur σ=3', kind: 'photo', apply: (b) => blur(b, 3) },
  { id: 'jpeg', label: 'JPEG q=10', kind: 'photo', apply: (b) => jpegRecompress(b, 10) },
  { id: 'rotate', label: 'rotate 30°', kind: 'photo', apply: (b) => rotatePhoto(b, 30) },
  { id: 'low-light', label: 'low light', kind: 'photo', apply: (b) => lowLight(b, 0.3) },
];

/** Applies a photo perturbation to one item, seeded by (seed, perturbation, item). */
export function perturbPhoto(p: PhotoPerturbation, image: Uint8Array, seed: number, itemId: string): Promise<Buffer> {
  return p.apply(image, itemSeed(seed, p.id, itemId));
}
