import { execFile } from 'node:child_process';
import { UnavailableError } from '../core/errors.js';

export interface OcrOptions {
  /** Path of the tesseract binary (Debian: tesseract-ocr with tesseract-ocr-eng). */
  binary?: string;
  timeoutMs?: number;
  language?: string;
}

/**
 * Text inside a photo, read by Debian's `tesseract` (one thread, the photo fed on stdin). Words of
 * fewer than two letters and lines of noise are dropped. A missing binary or a timeout is an
 * UnavailableError; callers treat OCR as optional.
 */
export function ocrImage(bytes: Uint8Array, opts: OcrOptions = {}): Promise<string> {
  const bin = opts.binary ?? 'tesseract';
  return new Promise((resolve, reject) => {
    const child = execFile(
      bin,
      ['stdin', 'stdout', '-l', opts.language ?? 'eng', '--psm', '3'],
      {
        timeout: opts.timeoutMs ?? 10_000,
        maxBuffer: 1024 * 1024,
        env: { ...process.env, OMP_THREAD_LIMIT: '1' },
        encoding: 'utf8',
      },
      (err, stdout) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean };
          if (e.code === 'ENOENT')
            reject(
              new UnavailableError(`OCR binary ${bin} not found (apt-get install tesseract-ocr tesseract-ocr-eng)`),
            );
          else if (e.killed) reject(new UnavailableError(`OCR timed out after ${opts.timeoutMs ?? 10_000} ms`));
          else reject(new UnavailableError(`OCR failed: ${e.message.split('\n')[0]}`));
          return;
        }
        resolve(cleanOcr(stdout));
      },
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
}

/** Keeps lines that look like words: at least one word of 3+ letters and mostly letters. */
export function cleanOcr(raw: string): string {
  return raw
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => {
      const letters = l.replace(/[^\p{L}]/gu, '').length;
      return /\p{L}{3,}/u.test(l) && letters / Math.max(1, l.replace(/\s/g, '').length) >= 0.6;
    })
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}
