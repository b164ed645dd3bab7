import type { Config } from '../../core/config.js';
import { AppError, isAppError, UnavailableError, ValidationError } from '../../core/errors.js';
import { SafeFetcher } from '../../net/index.js';
import { toJpeg } from './jpeg.js';
import { photoPrompt } from './prompt.js';
import type { ImageGenerator, PhotoRecipe, PhotoRequest, SyntheticPhoto } from './types.js';

/**
 * The image HTTP adapters: a diffusion model behind an OpenAI-compatible images API or AUTOMATIC1111's web UI API.
 * Both were tested only against a local HTTP server that speaks the protocol (test/synthesis/photos.test.ts), never
 * against a real diffusion model: SDXL and the like cannot run on this project's machine.
 */

/** The image server answered, but not with an image: an HTTP error, no JSON, JSON without the image. 502. */
export class ImageServerError extends AppError {
  /** The HTTP status the server answered. */
  readonly upstreamStatus: number | undefined;

  constructor(message: string, upstreamStatus?: number) {
    super(message, { statusCode: 502, code: 'bad_upstream_response' });
    this.upstreamStatus = upstreamStatus;
  }
}

export interface HttpImageOptions {
  /** Base URL: `http://host:8000/v1` (OpenAI-compatible) or `http://host:7860` (AUTOMATIC1111). */
  url: string;
  /** The `model` field of an OpenAI-compatible request; empty or absent: not sent. */
  model?: string | undefined;
  /** Sent as `Authorization: Bearer ...`. */
  apiKey?: string | undefined;
  /** `WIDTHxHEIGHT`, each 64..2048 (default 512x512). */
  size?: string | undefined;
  /** Time for one image, answer included (default 180 s). */
  timeoutMs?: number | undefined;
  /** Largest answer in bytes (default 20 MiB). */
  maxBytes?: number | undefined;
  /** Largest decoded image in pixels (default 40 million). */
  maxPixels?: number | undefined;
  /** Loopback / private hosts the SSRF guard lets through (`synthesis.imageAllowHosts`). */
  allowHosts?: readonly string[] | undefined;
  /** A fetcher to use instead of one built from the options above (tests: a stubbed DNS). */
  fetcher?: SafeFetcher | undefined;
}

/** Parses `WIDTHxHEIGHT`; each side 64..2048. Throws ValidationError. */
export function parseImageSize(size: string): { width: number; height: number } {
  const m = /^(\d{2,4})x(\d{2,4})$/.exec(size.trim());
  const [w, h] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!m || w < 64 || h < 64 || w > 2048 || h > 2048) {
    throw new ValidationError(`image size must be WIDTHxHEIGHT with each side 64 to 2048 (got "${size}")`, 'imageSize');
  }
  return { width: w, height: h };
}

const IMAGE_ALLOW_HINT = 'allow it with synthesis.imageAllowHosts (REVIEWLENS_SYNTH_IMAGE_ALLOW_HOSTS)';

abstract class HttpImageGenerator implements ImageGenerator {
  abstract readonly name: string;
  abstract generate(req: PhotoRequest, signal?: AbortSignal): Promise<SyntheticPhoto>;
  protected readonly base: string;
  protected readonly size: { width: number; height: number };
  protected readonly fetcher: SafeFetcher;
  protected readonly maxPixels: number;

  constructor(protected readonly opts: HttpImageOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new ValidationError(`image server URL is not a URL: ${opts.url}`, 'imageUrl');
    }
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password) {
      throw new ValidationError('image server URL must be http:// or https:// without user:password', 'imageUrl');
    }
    this.base = u.href.replace(/\/+$/, '');
    this.size = parseImageSize(opts.size ?? '512x512');
    this.maxPixels = opts.maxPixels ?? 40_000_000;
    this.fetcher =
      opts.fetcher ??
      new SafeFetcher({
        allow: opts.allowHosts ?? [],
        hint: IMAGE_ALLOW_HINT,
        maxBytes: opts.maxBytes ?? 20 * 1024 * 1024,
        timeoutMs: opts.timeoutMs ?? 180_000,
        maxRedirects: 3,
      });
  }

  /** Closes the fetcher's idle connections. */
  close(): void {
    this.fetcher.close();
  }

  /** POSTs `body` as JSON to `path`; returns the parsed JSON answer or throws a typed error saying what went wrong. */
  protected async post(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const url = `${this.base}${path}`;
    let res: Awaited<ReturnType<SafeFetcher['fetch']>>;
    try {
      res = await this.fetcher.fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal,
      });
    } catch (e) {
      // Timeout, refused address, over the size limit: already typed and worded. A network error is not.
      if (isAppError(e)) throw e;
      throw new UnavailableError(`image server ${url} is not reachable: ${(e as Error).message}`, e);
    }
    const text = res.body.toString('utf8');
    if (!res.ok) {
      throw new ImageServerError(
        `image server ${url} answered HTTP ${res.status}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ''}`,
        res.status,
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ImageServerError(
        `image server ${url} answered with something that is not JSON (${res.body.length} bytes, starting ${JSON.stringify(text.slice(0, 60))})`,
        res.status,
      );
    }
  }

  /** The answer as a SyntheticPhoto: the decoded JPEG, and a recipe naming this generator, its server and the answer's format. */
  protected photo(
    img: Awaited<ReturnType<typeof toJpeg>>,
    recipe: { condition: PhotoRecipe['condition']; seed: number; [key: string]: unknown },
  ): SyntheticPhoto {
    return {
      jpeg: img.jpeg,
      width: img.width,
      height: img.height,
      sha256: img.sha256,
      recipe: Object.assign({ generator: this.name, condition: recipe.condition, seed: recipe.seed }, recipe, {
        server: this.base,
        answerFormat: img.format,
      }),
    };
  }

  /** Decodes one base64 image of the answer into a JPEG; `where` names the field in error messages. */
  protected async decode(b64: unknown, where: string): Promise<Awaited<ReturnType<typeof toJpeg>>> {
    if (typeof b64 !== 'string' || b64.trim() === '') {
      throw new ImageServerError(`image server ${this.base} answered JSON without ${where} (a base64 image)`);
    }
    const data = b64.replace(/^data:[^,]*,/, '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(data)) {
      throw new ImageServerError(`image server ${this.base}: ${where} is not base64`);
    }
    const bytes = Buffer.from(data, 'base64');
    try {
      return await toJpeg(bytes, `the image in ${where} from ${this.base}`, this.maxPixels);
    } catch (e) {
      if (e instanceof AppError && e.code === 'unsupported_media_type') throw new ImageServerError(e.message);
      throw e;
    }
  }
}

/**
 * A diffusion model behind an OpenAI-compatible images API: `POST {url}/images/generations` with
 * `{prompt, n: 1, size, response_format: "b64_json", model?}`; reads `data[0].b64_json`. The API takes no seed and
 * no negative prompt: the recipe records the seed but the server cannot honour it, so an image is not reproducible.
 * The answer (any image format) is re-encoded as JPEG without metadata.
 */
export class OpenAIImagesGenerator extends HttpImageGenerator {
  readonly name = 'openai-images';

  async generate(req: PhotoRequest, signal?: AbortSignal): Promise<SyntheticPhoto> {
    const p = photoPrompt(req);
    const size = `${this.size.width}x${this.size.height}`;
    const body = {
      prompt: p.prompt,
      n: 1,
      size,
      response_format: 'b64_json',
      ...(this.opts.model ? { model: this.opts.model } : {}),
    };
    const json = (await this.post('/images/generations', body, signal)) as {
      data?: Array<{ b64_json?: unknown; revised_prompt?: unknown }>;
    };
    const first = Array.isArray(json?.data) ? json.data[0] : undefined;
    const img = await this.decode(first?.b64_json, 'data[0].b64_json');
    return this.photo(img, {
      condition: p.condition,
      seed: req.seed,
      seedHonoured: false,
      model: this.opts.model || null,
      prompt: p.prompt,
      ...(typeof first?.revised_prompt === 'string' ? { revisedPrompt: first.revised_prompt } : {}),
      size,
    });
  }
}

/**
 * A diffusion model behind AUTOMATIC1111's web UI API: `POST {url}/sdapi/v1/txt2img` with
 * `{prompt, negative_prompt, seed, width, height, steps: 25, cfg_scale: 7, batch_size: 1, n_iter: 1}`; reads
 * `images[0]` (base64 PNG). The seed is sent, so the same server and model give the same image.
 */
export class Automatic1111Generator extends HttpImageGenerator {
  readonly name = 'automatic1111';

  async generate(req: PhotoRequest, signal?: AbortSignal): Promise<SyntheticPhoto> {
    const p = photoPrompt(req);
    const params = {
      prompt: p.prompt,
      negative_prompt: p.negativePrompt,
      seed: req.seed,
      width: this.size.width,
      height: this.size.height,
      steps: 25,
      cfg_scale: 7,
      batch_size: 1,
      n_iter: 1,
    };
    const json = (await this.post('/sdapi/v1/txt2img', params, signal)) as { images?: unknown[] };
    const img = await this.decode(Array.isArray(json?.images) ? json.images[0] : undefined, 'images[0]');
    return this.photo(img, { condition: p.condition, seed: req.seed, seedHonoured: true, params });
  }
}

/**
 * The HTTP image generator the config names (`synthesis.imageUrl`, `imageApi`, `imageModel`, `imageApiKey`,
 * `imageSize`, `imageTimeoutMs`, `imageMaxBytes`, `imageAllowHosts`; pixels capped at `limits.maxImagePixels`).
 * Throws ValidationError when `synthesis.imageUrl` is empty.
 */
export function httpImageGenerator(
  config: Config,
  fetcher?: SafeFetcher,
): OpenAIImagesGenerator | Automatic1111Generator {
  const s = config.synthesis;
  if (!s.imageUrl) {
    throw new ValidationError(
      'the http photo generator needs an image server: set synthesis.imageUrl (REVIEWLENS_SYNTH_IMAGE_URL)',
      'imageUrl',
    );
  }
  const opts: HttpImageOptions = {
    url: s.imageUrl,
    model: s.imageModel,
    apiKey: s.imageApiKey,
    size: s.imageSize,
    timeoutMs: s.imageTimeoutMs,
    maxBytes: s.imageMaxBytes,
    maxPixels: config.limits.maxImagePixels,
    allowHosts: s.imageAllowHosts,
    fetcher,
  };
  return s.imageApi === 'automatic1111' ? new Automatic1111Generator(opts) : new OpenAIImagesGenerator(opts);
}
