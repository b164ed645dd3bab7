import { readFile } from 'node:fs/promises';
import { AppError, PayloadTooLargeError, TimeoutError, UnavailableError } from '../core/errors.js';
import { defaultFetcher, type SafeFetcher } from '../net/index.js';

export interface ImageSourceOptions {
  /** Largest download in bytes (default 20 MiB). */
  maxBytes?: number | undefined;
  /** Time for one download, redirects included (default 20 s). */
  timeoutMs?: number | undefined;
  /**
   * The SSRF-safe fetcher for http(s) URLs: the CLI passes one built from the config (`ingest.allowHosts`);
   * default: one with no allow list (loopback, private, link-local and metadata addresses refused).
   */
  fetcher?: SafeFetcher | undefined;
}

/**
 * Reads a training photo from a local path or an http(s) URL (a user's own data: `train --data`,
 * `index --data`). Downloads go through the SSRF guard (a refused address throws RefusedAddressError
 * naming the rule; every redirect is checked again) with a timeout and a size limit; a failure is an
 * error the caller records and skips, never a crash.
 */
export async function readImageSource(src: string, opts: ImageSourceOptions = {}): Promise<Buffer> {
  const maxBytes = opts.maxBytes ?? 20 * 1024 * 1024;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  if (!/^https?:\/\//i.test(src)) return readFile(src);
  const fetcher = opts.fetcher ?? defaultFetcher();
  try {
    const res = await fetcher.fetch(src, { maxBytes, timeoutMs, headers: { accept: 'image/*' } });
    if (!res.ok) throw new UnavailableError(`cannot download ${src}: HTTP ${res.status}`);
    return res.body;
  } catch (e) {
    if (e instanceof PayloadTooLargeError)
      throw new PayloadTooLargeError(`${src} is over the limit of ${maxBytes} bytes`);
    if (e instanceof TimeoutError)
      throw new UnavailableError(`cannot download ${src}: no answer in ${timeoutMs} ms`, e);
    if (e instanceof AppError) throw e;
    throw new UnavailableError(`cannot download ${src}: ${(e as Error).message}`, e);
  }
}
