import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { describeIssues } from '../llm/index.js';
import type { CrawlerKind } from './crawl.js';

/**
 * A sources file (`--sources sources.yml`, or `sources` in the pipeline's parameters): the pages to crawl,
 * each a URL or `{ url, crawler }` with crawler `auto` (default), `static` or `browser`.
 *
 * ```yaml
 * sources:
 *   - https://shop.example/product/123
 *   - url: https://other.example/p/9
 *     crawler: browser
 * ```
 */

export interface SourceSpec {
  url: string;
  crawler?: CrawlerKind | undefined;
}

const httpUrl = z
  .string()
  .trim()
  .refine((v) => checkUrl(v) === undefined, { message: 'must be an http:// or https:// URL' });

const entry = z.union([
  httpUrl,
  z.object({ url: httpUrl, crawler: z.enum(['auto', 'static', 'browser']).optional() }).strict(),
]);
const fileSchema = z.union([z.array(entry), z.object({ sources: z.array(entry) }).strict()]);

function checkUrl(v: string): string | undefined {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : `not an http(s) URL: ${v}`;
  } catch {
    return `not a URL: ${v}`;
  }
}

/** Checks start URLs given on the command line or as parameters. */
export function parseUrls(urls: unknown): SourceSpec[] {
  if (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string')) {
    throw new ValidationError('urls must be a list of http(s) URLs', 'urls');
  }
  return urls.map((u: string) => {
    const problem = checkUrl(u.trim());
    if (problem) throw new ValidationError(problem, 'urls');
    return { url: new URL(u.trim()).href };
  });
}

export function readSourcesFile(path: string): SourceSpec[] {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ValidationError(`cannot read sources file ${path}: ${(e as Error).message}`, 'sources');
  }
  const r = fileSchema.safeParse(raw);
  if (!r.success) throw new ValidationError(`sources file ${path} is not valid: ${describeIssues(r.error)}`, 'sources');
  const list = Array.isArray(r.data) ? r.data : r.data.sources;
  return list.map((e) =>
    typeof e === 'string' ? { url: new URL(e).href } : { url: new URL(e.url).href, crawler: e.crawler },
  );
}
