import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { llmSelectorSchema } from '../../src/ingest/llm-selectors.js';
import { llmLabelSchema } from '../../src/labeling/index.js';
import { answerJsonSchema, toGbnfJsonSchema, UnsupportedSchemaError } from '../../src/llm/index.js';

describe('JSON Schema to the grammar subset', () => {
  it("turns the labeler's schema into enums, the [0, 1] confidence into a 21-value grid every value of which the zod schema accepts", () => {
    const g = toGbnfJsonSchema(answerJsonSchema(llmLabelSchema));
    expect(g).toMatchObject({
      type: 'object',
      properties: { label: { enum: ['negative', 'neutral', 'positive'] } },
      required: ['label', 'confidence'],
      additionalProperties: false,
    });
    const grid = (g.properties as Record<string, { enum: number[] }>).confidence?.enum ?? [];
    expect(grid).toHaveLength(21);
    expect(grid[0]).toBe(0);
    expect(grid[20]).toBe(1);
    for (const c of grid) expect(llmLabelSchema.safeParse({ label: 'neutral', confidence: c }).success).toBe(true);
  });

  it('keeps optional properties optional and string lengths (the selector schema)', () => {
    const g = toGbnfJsonSchema(answerJsonSchema(llmSelectorSchema)) as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(g.required).toEqual(['found']);
    expect(g.properties.review).toEqual({ type: 'string', minLength: 1, maxLength: 300 });
    expect(g.properties.found).toEqual({ type: 'boolean' });
  });

  it('handles arrays, nullable and small integer ranges; drops what a grammar cannot hold', () => {
    const schema = z.object({
      stars: z.number().int().min(1).max(5),
      aspects: z.array(z.string().regex(/^[a-z]+$/)).max(4),
      note: z.string().nullable(),
      score: z.number().min(0),
    });
    const g = toGbnfJsonSchema(answerJsonSchema(schema)) as { properties: Record<string, unknown> };
    expect(g.properties.stars).toEqual({ enum: [1, 2, 3, 4, 5] });
    expect(g.properties.aspects).toEqual({ type: 'array', items: { type: 'string' }, maxItems: 4 });
    expect(g.properties.note).toEqual({ type: ['string', 'null'] });
    expect(g.properties.score).toEqual({ type: 'number' });
  });

  it('refuses constructs it cannot express, so the caller falls back to the generic JSON grammar', () => {
    expect(() => toGbnfJsonSchema({ allOf: [{ type: 'string' }] })).toThrow(UnsupportedSchemaError);
    expect(() => toGbnfJsonSchema({ $ref: '#/$defs/x' })).toThrow(UnsupportedSchemaError);
    expect(answerJsonSchema(z.string().transform((s) => s.length))).toBeUndefined();
  });
});
