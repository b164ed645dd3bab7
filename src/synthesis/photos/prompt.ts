import { conditionFor, type PhotoCondition, type PhotoRequest } from './types.js';

/** What a damaged product may show, by the words of its product or category; the last entry is the fallback. */
const DAMAGE_LOOK: Array<[RegExp, string]> = [
  [/phone|screen|tablet|laptop|monitor|tv|television/i, 'a cracked screen with shattered glass'],
  [/parcel|package|box|carton|delivery|shipping/i, 'a crushed, torn cardboard box with dented corners'],
  [/can\b|tin\b|canned/i, 'a dented, crushed can'],
  [/fruit|apple|banana|orange|food|grocer/i, 'rotten, bruised fruit with mould'],
  [
    /dress|top|shirt|jacket|pants|jeans|skirt|sweater|knit|blouse|clothing|apparel|intimate|bottoms/i,
    'a torn seam, a broken zipper and loose threads',
  ],
  [/./, 'visible damage: cracks, dents, tears or a broken part'],
];

/** Keeps a user-given product or category fit for a prompt: printable characters only, at most 80 of them. */
function clean(s: string | null | undefined): string {
  return (s ?? '')
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 80);
}

/**
 * The text-to-image prompt for a synthetic review's photo: the product (else the category, else "product"), the
 * condition its sentiment calls for (conditionFor: damaged for negative, intact otherwise) with what damage looks
 * like for that kind of product, and the look of a customer's own photo (handheld, at home, natural light), so an
 * intact product is not a clean catalogue shot. The negative prompt keeps out the other condition, text and
 * watermarks. Hand-written; never run against a real diffusion model here.
 */
export function photoPrompt(req: PhotoRequest): { prompt: string; negativePrompt: string; condition: PhotoCondition } {
  const condition = conditionFor(req.sentiment);
  const subject = clean(req.product) || clean(req.category) || 'product';
  const style =
    "a customer's own photo taken with a phone at home, natural light, slightly imperfect framing, realistic";
  const common = 'text, watermark, logo, caption, cartoon, illustration, 3d render';
  if (condition === 'damaged') {
    const look = (DAMAGE_LOOK.find(([re]) => re.test(subject)) as [RegExp, string])[1];
    return {
      condition,
      prompt: `A photo of a damaged ${subject} as it arrived: ${look}. ${style}.`,
      negativePrompt: `pristine, brand new, undamaged, studio catalogue shot, white background, ${common}`,
    };
  }
  return {
    condition,
    prompt: `A photo of a ${subject} in perfect condition, intact and undamaged, just unpacked. ${style}.`,
    negativePrompt: `damaged, broken, cracked, torn, dented, stained, rotten, ${common}`,
  };
}
