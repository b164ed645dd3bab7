/**
 * media: the bytes of customer photos, before any model or store sees them. HEIC/HEIF decoding (phones'
 * format) and stripping what a photo says about its owner (EXIF GPS position and device) when it is kept.
 */
export {
  type DecodedHeic,
  decodeHeic,
  HEIC_TYPES,
  type HeicOptions,
  heicToJpeg,
  heicToSharp,
  isHeicType,
} from './heic.js';
export { type PhotoPrivacyOptions, storePhoto, stripPhotoMetadata } from './photo-privacy.js';
