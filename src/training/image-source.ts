import { readFile } from 'node:fs/promises';
import { PayloadTooLargeError, UnavailableError } from '../core/errors.js';

/**
 * Reads a training photo from a local path or an http(s) URL (a user's own data). Downloads have a
 * timeout and a size limit; a failure is an error the caller records and skips, never a crash.
 */
export async function readImageSource(
  src: string,
  opts: { maxBytes?: number; timeoutMs?: number } = {},
): Promise<Buffer> {
  const maxBytes = opts.maxBytes ?? 20 * 1024 * 1024;
  if (!/^https?:\/\//i.test(src)) return readFile(src);
  let res: Response;
  try {
    res = await fetch(src, { signal: AbortSignal.timeout(opts.timeoutMs ?? 20_000), redirect: 'follow' });
  } catch (e) {
    throw new UnavailableError(`cannot download ${src}: ${(e as Error).message}`, e);
  }
  if (!res.ok) throw new UnavailableError(`cannot download ${src}: HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw new PayloadTooLargeError(`${src} is ${declared} bytes; the limit is ${maxBytes}`);
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.byteLength > maxBytes) throw new PayloadTooLargeError(`${src} is over the limit of ${maxBytes} bytes`);
  return buf;
}
