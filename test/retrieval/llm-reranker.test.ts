/**
 * The LLM reranker against a real local HTTP server speaking the OpenAI chat-completions protocol
 * (test/llm/fake-openai.ts) with scripted answers: the request it sends, how answers become scores, the
 * retry on an invalid answer, and the errors it throws. No model runs; judgement quality is not tested.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.js';
import { OpenAIChatClient, StructuredOutputError } from '../../src/llm/index.js';
import { LlmReranker } from '../../src/retrieval/rerank/index.js';
import { deadBaseUrl, type FakeOpenAI, startFakeOpenAI } from '../llm/fake-openai.js';

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

function reranker(opts: { url?: string; maxDocChars?: number; maxAttempts?: number; timeoutMs?: number } = {}) {
  const client = new OpenAIChatClient({
    baseUrl: opts.url ?? fake.baseUrl,
    model: 'qwen-judge',
    retryBaseMs: 10,
    maxAttempts: 2,
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
  });
  return new LlmReranker({
    client,
    ...(opts.maxDocChars === undefined ? {} : { maxDocChars: opts.maxDocChars }),
    ...(opts.maxAttempts === undefined ? {} : { maxAttempts: opts.maxAttempts }),
  });
}

const docs = [
  'The battery died after two days.',
  'Lovely dress, the colour is exactly as pictured.',
  'Battery life is fine but the charger cable broke.',
];
const userText = (body: any): string => body.messages.find((m: any) => m.role === 'user').content;

describe('LlmReranker', () => {
  it('sends one request with the query and the numbered documents, and maps relevances onto them', async () => {
    fake.script({
      content: JSON.stringify({
        scores: [
          { index: 3, relevance: 1 },
          { index: 1, relevance: 3 },
        ],
      }),
    });
    const rr = reranker();
    expect(rr.name).toBe('llm:qwen-judge');
    const scores = await rr.score('battery problems', docs);

    // Document 2 was left out: it scores 0.
    expect(scores).toEqual([3, 0, 1]);
    expect(fake.requests).toHaveLength(1);
    const body = fake.requests[0]!.body;
    expect(body.model).toBe('qwen-judge');
    expect(body.temperature).toBe(0);
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.messages[0].role).toBe('system');
    const text = userText(body);
    expect(text).toContain('"""\nbattery problems\n"""');
    expect(text).toContain(`[1] ${docs[0]}`);
    expect(text).toContain(`[2] ${docs[1]}`);
    expect(text).toContain(`[3] ${docs[2]}`);
    expect(text).toContain('{"scores": [{"index": 1, "relevance": <0 to 3>}');
  });

  it('cuts each document to maxDocChars (default 600) with whitespace collapsed', async () => {
    const long = `${'word '.repeat(200)}END`;
    fake.script({ content: '{"scores": []}' }, { content: '{"scores": []}' });
    expect(await reranker().score('q', [long, 'short\n\n  one'])).toEqual([0, 0]);
    const text = userText(fake.requests[0]!.body);
    const first = /\[1\] (.*)/.exec(text)![1]!;
    expect(first.length).toBe(599 + 3); // 600 characters, the trailing space trimmed, then '...'
    expect(first.endsWith('word...')).toBe(true);
    expect(text).not.toContain('END');
    expect(text).toContain('[2] short one');

    await reranker({ maxDocChars: 20 }).score('q', [long]);
    expect(userText(fake.requests[1]!.body)).toContain('[1] word word word word...');
  });

  it('asks again after invalid JSON, then after an out-of-range index, and uses the valid answer', async () => {
    fake.script(
      { content: 'Document 1 is the most relevant.' },
      { content: JSON.stringify({ scores: [{ index: 4, relevance: 2 }] }) },
      { content: '```json\n{"scores": [{"index": 2, "relevance": 2.5}]}\n```' },
    );
    const scores = await reranker({ maxAttempts: 3 }).score('dress colour', docs);
    expect(scores).toEqual([0, 2.5, 0]);
    expect(fake.requests).toHaveLength(3);
    const follow1 = fake.requests[1]!.body.messages.at(-1).content as string;
    expect(follow1).toMatch(/not valid: the answer is not valid JSON/);
    const follow2 = fake.requests[2]!.body.messages.at(-1).content as string;
    expect(follow2).toMatch(/scores\.0\.index: .*3/);
  });

  it('rejects a relevance off the scale and a document rated twice', async () => {
    fake.script(
      { content: JSON.stringify({ scores: [{ index: 1, relevance: 7 }] }) },
      {
        content: JSON.stringify({
          scores: [
            { index: 1, relevance: 1 },
            { index: 1, relevance: 3 },
          ],
        }),
      },
    );
    const err = await reranker({ maxAttempts: 2 })
      .score('battery', docs)
      .catch((e) => e);
    expect(err).toBeInstanceOf(StructuredOutputError);
    expect(err.problems[0]).toMatch(/relevance/);
    expect(err.problems[1]).toMatch(/each index may appear only once/);
  });

  it('throws StructuredOutputError when the model never answers validly', async () => {
    fake.script({ content: 'no idea' }, { content: '{"ranking": [1, 2, 3]}' }, { content: 'still not JSON' });
    const err = await reranker({ maxAttempts: 3 })
      .score('battery', docs)
      .catch((e) => e);
    expect(err).toBeInstanceOf(StructuredOutputError);
    expect(err.statusCode).toBe(502);
    expect(err.message).toMatch(/gave no valid relevance judgement in 3 attempts/);
    expect(err.message).toContain('still not JSON');
    expect(fake.requests).toHaveLength(3);
  });

  it('throws UnavailableError when the server hangs or is down', async () => {
    fake.script({ hang: true }, { hang: true });
    const hung = await reranker({ timeoutMs: 200 })
      .score('battery', docs)
      .catch((e) => e);
    expect(hung).toBeInstanceOf(UnavailableError);
    expect(hung.message).toMatch(/timed out/);

    const url = await deadBaseUrl();
    const down = await reranker({ url })
      .score('battery', docs)
      .catch((e) => e);
    expect(down).toBeInstanceOf(UnavailableError);
    expect(down.message).toMatch(/ECONNREFUSED/);
  });

  it('scores no documents without calling the server', async () => {
    expect(await reranker().score('battery', [])).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });
});
