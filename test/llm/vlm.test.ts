/**
 * The vision-language-model backend (src/llm): the OpenAI-compatible chat client, structured output with
 * retries, the VlmAnalyzer, and the whole server with `analyzer.backend: vlm`.
 *
 * Tested against a real local HTTP server that speaks the OpenAI chat-completions protocol
 * (./fake-openai.ts) and answers scripted replies, NOT against a real LLaVA: no model runs here, so these
 * tests check the protocol, the request shape, retries, timeouts and errors, not the quality of a VLM's answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UnavailableError, UnsupportedMediaError, ValidationError } from '../../src/core/index.js';
import {
  completeStructured,
  LlmResponseError,
  OpenAIChatClient,
  parseJsonAnswer,
  StructuredOutputError,
  scoresFromAnswer,
  VlmAnalyzer,
  type VlmAnalyzerOptions,
} from '../../src/llm/index.js';
import { MVSA_IMAGES } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { deadBaseUrl, type FakeOpenAI, startFakeOpenAI } from './fake-openai.js';

const photo = readFileSync(join(MVSA_IMAGES, '100.jpg'));
const limits = { maxTextChars: 2000, maxImageBytes: 5 * 1024 * 1024, maxImagePixels: 40_000_000 };
const answer = (sentiment: string, confidence: number, reason = 'the customer is unhappy') =>
  JSON.stringify({ sentiment, confidence, reason });

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

function analyzer(opts: Partial<VlmAnalyzerOptions> = {}) {
  return new VlmAnalyzer({ url: fake.baseUrl, model: 'llava', limits, retryBaseMs: 10, ...opts });
}

/** The parts of the user turn of a recorded request. */
function userParts(body: any): any[] {
  const user = body.messages.find((m: any) => m.role === 'user');
  return Array.isArray(user.content) ? user.content : [{ type: 'text', text: user.content }];
}

describe('VlmAnalyzer against a local OpenAI-compatible server', () => {
  it('sends the model, the text and the photo as a data: URL, and maps a valid answer onto the contract', async () => {
    fake.script({ content: answer('negative', 0.8) });
    const vlm = analyzer();
    const {
      analysis: a,
      answer: ans,
      attempts,
    } = await vlm.explain({
      text: 'The screen cracked after two days',
      image: photo,
    });

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body.model).toBe('llava');
    expect(req.body.stream).toBe(false);
    expect(req.body.response_format).toEqual({ type: 'json_object' });
    expect(req.body.messages[0].role).toBe('system');
    const parts = userParts(req.body);
    const img = parts.find((p) => p.type === 'image_url');
    expect(img.image_url.url.startsWith('data:image/jpeg;base64,')).toBe(true);
    expect(Buffer.from(img.image_url.url.split(',')[1], 'base64').equals(photo)).toBe(true);
    const text = parts.find((p) => p.type === 'text');
    expect(text.text).toContain('The screen cracked after two days');
    expect(text.text).toContain('"sentiment"');

    expect(attempts).toBe(1);
    expect(ans.reason).toBe('the customer is unhappy');
    expect(a.sentiment).toBe('negative');
    expect(a.confidence).toBeCloseTo(0.8, 10);
    expect(a.scores).toEqual({ negative: 0.8, neutral: expect.closeTo(0.1, 10), positive: expect.closeTo(0.1, 10) });
    expect(a.modality).toBe('multimodal');
    expect(a.model).toEqual({ name: 'vlm:llava', version: new URL(fake.baseUrl).host });
    expect(a.evidence.text).toEqual({ sentiment: 'negative', scores: a.scores });
    expect(a.evidence.image).toEqual({ sentiment: 'negative', scores: a.scores });
    expect(a.evidence.fused).toEqual({ sentiment: 'negative', scores: a.scores });
    expect(a.evidence.text_chunks).toBe(1);
    expect(a.mismatch).toBe(false);
    expect(vlm.model).toEqual(a.model);
  });

  it('sends text only when no photo is given, and then reports no photo evidence', async () => {
    fake.script({ content: answer('POSITIVE', 0.9, 'praise') });
    const a = await analyzer().analyze({ text: 'Arrived early, works great' });
    const parts = userParts(fake.requests[0]!.body);
    expect(parts.some((p) => p.type === 'image_url')).toBe(false);
    expect(a.sentiment).toBe('positive');
    expect(a.modality).toBe('text_only');
    expect(a.evidence.image).toBeUndefined();
  });

  it('retries after invalid JSON with a follow-up that quotes the error, and then succeeds', async () => {
    fake.script(
      { content: 'I think it is negative.' },
      { content: '```json\n{"sentiment": "negative", "confidence": 0.7, "reason": "broken"}\n```' },
    );
    const { analysis, attempts } = await analyzer().explain({ text: 'Broke on day one' });
    expect(attempts).toBe(2);
    expect(analysis.sentiment).toBe('negative');
    expect(fake.requests).toHaveLength(2);
    const msgs = fake.requests[1]!.body.messages;
    expect(msgs.at(-2)).toEqual({ role: 'assistant', content: 'I think it is negative.' });
    expect(msgs.at(-1).role).toBe('user');
    expect(msgs.at(-1).content).toMatch(/not valid: the answer is not valid JSON \(.+\)/);
  });

  it('retries after an answer that fails the schema, quoting the failing field', async () => {
    fake.script({ content: answer('negative', 85) }, { content: answer('negative', 0.85) });
    const { analysis, attempts } = await analyzer().explain({ text: 'Broke on day one' });
    expect(attempts).toBe(2);
    expect(analysis.confidence).toBeCloseTo(0.85, 10);
    const follow = fake.requests[1]!.body.messages.at(-1).content as string;
    expect(follow).toMatch(/does not match the required format \(confidence: .*1/);
  });

  it('throws a clear error after maxAttempts invalid answers', async () => {
    fake.script({ content: 'no idea' }, { content: '{"sentiment": "meh"}' }, { content: 'still no JSON' });
    const err = await analyzer({ maxAttempts: 3 })
      .analyze({ text: 'Hmm' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(StructuredOutputError);
    expect(err.statusCode).toBe(502);
    expect(err.code).toBe('invalid_model_output');
    expect(err.message).toMatch(
      /model llava at http:\/\/127\.0\.0\.1:\d+\/v1 gave no valid sentiment answer in 3 attempts/,
    );
    expect(err.message).toContain('still no JSON');
    expect(err.problems).toHaveLength(3);
    expect(err.problems[1]).toMatch(/sentiment/);
    expect(fake.requests).toHaveLength(3);
  });

  it('times out on a server that hangs, retries, and throws UnavailableError naming the URL', async () => {
    fake.script({ hang: true }, { hang: true });
    const t0 = Date.now();
    const err = await analyzer({ timeoutMs: 300, maxAttempts: 2 })
      .analyze({ text: 'Hello' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.statusCode).toBe(503);
    expect(err.message).toContain(`${fake.baseUrl}/chat/completions`);
    expect(err.message).toMatch(/within 300 ms \(timed out\) \(2 attempts\)/);
    expect(fake.requests).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('throws UnavailableError naming the URL when the server is down (connection refused)', async () => {
    const url = await deadBaseUrl();
    const err = await analyzer({ url, maxAttempts: 2 })
      .analyze({ text: 'Hello' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toContain(`${url}/chat/completions`);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).toMatch(/2 attempts/);
  });

  it('retries a 5xx answer and then succeeds; does not retry a 4xx', async () => {
    fake.script({ status: 503, body: { error: { message: 'loading model' } } }, { content: answer('neutral', 0.6) });
    expect((await analyzer().analyze({ text: 'It is a phone' })).sentiment).toBe('neutral');
    expect(fake.requests).toHaveLength(2);

    fake.requests.length = 0;
    fake.script({ status: 400, body: { error: { message: 'model does not support images' } } });
    const err = await analyzer()
      .analyze({ text: 'It is a phone' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(LlmResponseError);
    expect(err.statusCode).toBe(502);
    expect(err.message).toMatch(/refused the request with HTTP 400.*does not support images/);
    expect(fake.requests).toHaveLength(1);
  });

  it('sends the API key as a Bearer token when one is configured', async () => {
    fake.script({ content: answer('positive', 0.9) });
    await analyzer({ apiKey: 'sk-test-123' }).analyze({ text: 'Great' });
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer sk-test-123');

    fake.script({ status: 401, body: { error: { message: 'invalid api key' } } });
    const err = await analyzer({ apiKey: 'wrong' })
      .analyze({ text: 'Great' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(LlmResponseError);
    expect(err.message).toMatch(/HTTP 401 \(check vlm\.apiKey\)/);
  });

  it('checks input like the local analyzer before asking the model', async () => {
    const vlm = analyzer();
    await expect(vlm.analyze({ text: '   ' })).rejects.toBeInstanceOf(ValidationError);
    await expect(vlm.analyze({ text: 'x'.repeat(2001) })).rejects.toMatchObject({ statusCode: 413, field: 'text' });
    await expect(vlm.analyze({ text: 'ok', image: Buffer.from('%PDF-1.4 not a photo') })).rejects.toBeInstanceOf(
      UnsupportedMediaError,
    );
    await expect(
      vlm.analyze({ text: 'ok', image: photo.subarray(0, 2000), imageField: 'image_base64' }),
    ).rejects.toMatchObject({ statusCode: 400, field: 'image_base64' });
    await expect(
      analyzer({ limits: { ...limits, maxImageBytes: 1000 } }).analyze({ text: 'ok', image: photo }),
    ).rejects.toMatchObject({
      statusCode: 413,
    });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('structured output and scores', () => {
  it('is generic: any zod schema in, a typed value out', async () => {
    fake.script({ content: '{"labels": ["a", "b"]}' });
    const client = new OpenAIChatClient({ baseUrl: fake.baseUrl, model: 'any' });
    const r = await completeStructured({
      client,
      messages: [{ role: 'user', content: 'list labels as JSON' }],
      schema: z.object({ labels: z.array(z.string()) }),
    });
    const labels: string[] = r.value.labels;
    expect(labels).toEqual(['a', 'b']);
    expect(r.attempts).toBe(1);
  });

  it('reads JSON from fenced or chatty answers, and says why other text is not JSON', () => {
    expect(parseJsonAnswer('Sure! {"a": 1} Hope it helps')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonAnswer('```\n{"a": 2}\n```')).toEqual({ ok: true, value: { a: 2 } });
    const bad = parseJsonAnswer('{"a": ');
    expect(bad.ok).toBe(false);
    expect(bad.ok ? '' : bad.problem).toMatch(/not valid JSON/);
  });

  it('puts the confidence on the chosen class and splits the rest; never below a three-way tie', () => {
    expect(scoresFromAnswer('positive', 0.7)).toEqual({
      negative: expect.closeTo(0.15, 10),
      neutral: expect.closeTo(0.15, 10),
      positive: 0.7,
    });
    const low = scoresFromAnswer('negative', 0.1);
    expect(low.negative).toBeCloseTo(1 / 3, 10);
    expect(low.negative).toBeGreaterThanOrEqual(Math.max(low.neutral, low.positive));
    expect(low.negative + low.neutral + low.positive).toBeCloseTo(1, 10);
  });
});

describe('the server with analyzer.backend vlm', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({
      REVIEWLENS_ANALYZER_BACKEND: 'vlm',
      REVIEWLENS_VLM_URL: fake.baseUrl,
      REVIEWLENS_VLM_MODEL: 'llava-hf/llava-1.5-7b-hf',
      REVIEWLENS_VLM_MAX_ATTEMPTS: '1',
    });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('answers POST /api/analyze with a real photo in the API contract, from the VLM', async () => {
    expect(srv.ctx.encoders).toBeUndefined();
    fake.script({ content: answer('negative', 0.75, 'the photo shows a cracked screen') });
    const f = new FormData();
    f.append('text', 'The screen cracked after two days');
    f.append('image', new Blob([photo], { type: 'image/jpeg' }), 'photo.jpg');
    const res = await fetch(`${srv.url}/api/analyze`, { method: 'POST', body: f });
    const b = (await res.json()) as Record<string, any>;
    expect(res.status, JSON.stringify(b)).toBe(200);

    const req = fake.requests[0]!;
    expect(req.body.model).toBe('llava-hf/llava-1.5-7b-hf');
    const img = userParts(req.body).find((p) => p.type === 'image_url');
    expect(Buffer.from(img.image_url.url.split(',')[1], 'base64').equals(photo)).toBe(true);

    expect(b.sentiment).toBe('negative');
    expect(b.confidence).toBeCloseTo(0.75, 10);
    expect(b.modality).toBe('multimodal');
    expect(b.scores.negative + b.scores.neutral + b.scores.positive).toBeCloseTo(1, 10);
    expect(Math.max(b.scores.negative, b.scores.neutral, b.scores.positive)).toBe(b.scores[b.sentiment]);
    expect(b.model).toEqual({ name: 'vlm:llava-hf/llava-1.5-7b-hf', version: new URL(fake.baseUrl).host });
    expect(b.evidence.text.sentiment).toBe('negative');
    expect(b.evidence.image.sentiment).toBe('negative');
    expect(b.evidence.fused.sentiment).toBe('negative');
    expect(b.evidence.text_chunks).toBe(1);
    expect(b.similar_reviews).toEqual([]);
    expect(typeof b.processing_time_ms).toBe('number');
    expect(b.cached).toBe(false);

    const health = (await (await fetch(`${srv.url}/api/health`)).json()) as Record<string, any>;
    expect(health.model.name).toBe('vlm:llava-hf/llava-1.5-7b-hf');
  });

  it('maps VLM failures to clear API errors: 503 when it is unavailable, 502 for an unusable answer', async () => {
    fake.script({ status: 500, body: { error: { message: 'CUDA out of memory' } } });
    let res = await fetch(`${srv.url}/api/analyze`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'a different review' }),
    });
    let b = (await res.json()) as Record<string, any>;
    expect(res.status).toBe(503);
    expect(b.error.code).toBe('unavailable');
    expect(b.error.message).toContain(fake.baseUrl);

    fake.script({ content: 'positive!!' });
    res = await fetch(`${srv.url}/api/analyze`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'yet another review' }),
    });
    b = (await res.json()) as Record<string, any>;
    expect(res.status).toBe(502);
    expect(b.error.code).toBe('invalid_model_output');
  });
});
