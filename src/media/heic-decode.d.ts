/** Types for `heic-decode` (ISC), which ships none: a thin wrapper over `libheif-js`, libheif built to WebAssembly. */
declare module 'heic-decode' {
  /** One decoded image: RGBA, 8 bits a channel, row-major, `width * height * 4` bytes. */
  interface DecodedHeic {
    width: number;
    height: number;
    data: Uint8ClampedArray;
  }
  /** An image found in the file, not yet decoded: its size is known before its pixels are made. */
  interface HeicImage {
    width: number;
    height: number;
    decode(): Promise<DecodedHeic>;
  }
  interface HeicDecode {
    /** Decodes the first image. Throws a TypeError when the bytes are not HEIC/HEIF. */
    (input: { buffer: Uint8Array }): Promise<DecodedHeic>;
    /** Every top-level image, undecoded; call `dispose()` when done to free the WebAssembly memory. */
    all(input: { buffer: Uint8Array }): Promise<HeicImage[] & { dispose(): void }>;
  }
  const decode: HeicDecode;
  export default decode;
}
