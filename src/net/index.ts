/**
 * SSRF-safe fetching of URLs the system was given (shop pages, photos in them, image URLs in training
 * and index files): refuses loopback, private, link-local, multicast, CGNAT, reserved and cloud
 * metadata addresses unless `ingest.allowHosts` lists them, checks the address actually connected to,
 * re-checks every redirect, caps size and time. LLM and VLM endpoints are not guarded: the operator
 * configures them (`llm.url`, `vlm.url`), users cannot.
 */
import type { Config } from '../core/config.js';
import { SafeFetcher } from './fetch.js';
import type { Resolver } from './guard.js';

export {
  type AddressRule,
  type AddressVerdict,
  AllowList,
  classifyAddress,
  isMetadataAddress,
  isMetadataHost,
  RULE_DESCRIPTIONS,
} from './address.js';
export type { RedirectHop, SafeFetcherOptions, SafeFetchOptions, SafeResponse } from './fetch.js';
export { SafeFetcher } from './fetch.js';
export { AddressGuard, ALLOW_HINT, type GuardOptions, type LookupFunction, type Resolver } from './guard.js';

/**
 * The fetcher for pages and photos as configured: `ingest.allowHosts`, `ingest.maxRedirects`,
 * `ingest.pageMaxBytes`, `ingest.pageTimeoutSeconds`, `ingest.userAgent`. `resolve` replaces the DNS
 * (tests).
 */
export function fetcherFromConfig(config: Config, resolve?: Resolver): SafeFetcher {
  const c = config.ingest;
  return new SafeFetcher({
    allow: c.allowHosts,
    maxRedirects: c.maxRedirects,
    maxBytes: c.pageMaxBytes,
    timeoutMs: c.pageTimeoutSeconds * 1000,
    userAgent: c.userAgent,
    resolve,
  });
}

let strict: SafeFetcher | undefined;

/** A fetcher with no allow list and the default caps: for callers given no fetcher (safe by default). */
export function defaultFetcher(): SafeFetcher {
  strict ??= new SafeFetcher();
  return strict;
}
