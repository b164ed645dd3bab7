import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import { Ensemble, LexiconLabeler, LlmLabeler, llmLabelSchema } from '../../src/labeling/index.js';
import { OpenAIChatClient } from '../../src/llm/index.js';
import { type FakeOpenAI, startFakeOpenAI } from '../llm/fake-openai.js';

// No LLM runs on this machine: a local HTTP server speaking the OpenAI chat protocol stands in for one
// (test/llm/fake-openai.ts) and answers scripted replies. The real tweet below is from MVSA-Single.
const TWEET =
  "I can't even tell you guys how much I love these covers ? @Melissa_Landers #invaded #alienated #prettycovers";

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake?.close();
});

const llm = (timeoutMs = 2000) =>
  new LlmLabeler(new OpenAIChatClient({ baseUrl: fake.baseUrl, model: 'tiny', timeoutMs, maxAttempts: 1 }), {
    shots: [{ text: 'Worst delivery ever.', label: 'negative' }],
  });

describe('LLM labeler', () => {
  it('asks for a schema-checked {label, confidence} with few-shot examples and reads the answer', async () => {
    fake.script({ content: '{"label": "positive", "confidence": 0.8}' });
    const before = fake.requests.length;
    const out = await llm().label({ id: 'a', text: TWEET });
    expect(out.label).toBe('positive');
    expect(out.confidence).toBe(0.8);
    expect(out.probs?.positive).toBeCloseTo(0.8);
    expect(out.probs?.negative).toBeCloseTo(0.1);
    const sent = fake.requests[before]?.body;
    expect(sent.model).toBe('tiny');
    expect(sent.messages.at(-1).content).toContain(TWEET);
    expect(sent.messages.map((m: any) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('asks again after an answer that is not JSON, and takes the valid one', async () => {
    fake.script(
      { content: 'I think it is positive!' },
      { content: '```json\n{"label":"neutral","confidence":0.55}\n```' },
    );
    const before = fake.requests.length;
    const out = await llm().label({ id: 'b', text: 'Winners will be chosen in 1 week.' });
    expect(out).toMatchObject({ label: 'neutral', confidence: 0.55 });
    expect(fake.requests.length - before).toBe(2);
    expect(fake.requests.at(-1)?.body.messages.at(-1).content).toContain('not valid');
  });

  it('rejects an out-of-range confidence by the schema', () => {
    expect(llmLabelSchema.safeParse({ label: 'positive', confidence: 1.5 }).success).toBe(false);
    expect(llmLabelSchema.safeParse({ label: 'great', confidence: 0.5 }).success).toBe(false);
  });

  it('lets the ensemble decide without an LLM that times out, and records why', async () => {
    fake.script({ hang: true });
    const ens = new Ensemble([new LexiconLabeler(), llm(300)]);
    const r = await ens.label({ id: 'c', text: 'I love this phone, it is great' });
    expect(r.label).toBe('positive');
    const v = r.votes.find((x) => x.labeler === 'llm');
    expect(v?.label).toBeNull();
    expect(v?.error).toMatch(/time|abort/i);
    expect(r.votes.find((x) => x.labeler === 'lexicon')?.label).toBe('positive');
  });

  it('is configured only when llm.url is set', () => {
    expect(LlmLabeler.fromConfig(loadConfig({ env: {} }))).toBeUndefined();
    const l = LlmLabeler.fromConfig(loadConfig({ env: { REVIEWLENS_LLM_URL: fake.baseUrl } }));
    expect(l?.name).toBe('llm');
  });
});
