/** JSON schemas of the API: they validate input and make the OpenAPI document at /api/docs. */

const sentimentEnum = { type: 'string', enum: ['positive', 'negative', 'neutral'] } as const;

const scores = {
  type: 'object',
  description: 'Probability per class; the three sum to 1.',
  properties: { negative: { type: 'number' }, neutral: { type: 'number' }, positive: { type: 'number' } },
  required: ['negative', 'neutral', 'positive'],
} as const;

const modalityEvidence = {
  type: 'object',
  properties: { sentiment: sentimentEnum, scores },
  required: ['sentiment', 'scores'],
} as const;

const wordWeight = {
  type: 'object',
  properties: { token: { type: 'string' }, weight: { type: 'number' } },
  required: ['token', 'weight'],
} as const;

export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        field: { type: 'string', description: 'The request field at fault, when there is one.' },
        request_id: { type: 'string' },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

export const analysisSchema = {
  type: 'object',
  properties: {
    sentiment: sentimentEnum,
    confidence: { type: 'number', minimum: 0, maximum: 1, description: 'Calibrated probability of `sentiment`.' },
    modality: { type: 'string', enum: ['text_only', 'multimodal'] },
    scores,
    model: {
      type: 'object',
      properties: { name: { type: 'string' }, version: { type: 'string' } },
      required: ['name', 'version'],
    },
    evidence: {
      type: 'object',
      description: 'Per-modality class probabilities: text alone, photo alone (when given), and fused.',
      properties: {
        text: modalityEvidence,
        image: modalityEvidence,
        fused: modalityEvidence,
        text_chunks: {
          type: 'integer',
          description: 'Encoder windows the text was split into (long texts are never cut).',
        },
        top_words: {
          type: 'object',
          description: 'Words and word pairs that pushed the text toward the answer (`for`) and against it.',
          properties: {
            for: { type: 'array', items: wordWeight },
            against: { type: 'array', items: wordWeight },
          },
          required: ['for', 'against'],
        },
      },
      required: ['text', 'fused', 'text_chunks'],
    },
    mismatch: { type: 'boolean', description: 'True when text and photo point opposite ways.' },
    mismatch_reason: { type: 'string' },
    sarcasm: {
      type: 'object',
      description: 'Probability that the text is sarcastic, and whether it passes the threshold.',
      properties: { probability: { type: 'number' }, flag: { type: 'boolean' } },
      required: ['probability', 'flag'],
    },
    similar_reviews: {
      type: 'array',
      description: 'Similar reviews from the search index (empty until reviews are indexed).',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          text: { type: 'string' },
          score: { type: 'number' },
          sentiment: sentimentEnum,
          thumbnail_url: { type: 'string' },
        },
        required: ['id', 'text', 'score'],
      },
    },
    processing_time_ms: { type: 'number' },
    cached: { type: 'boolean' },
  },
  required: [
    'sentiment',
    'confidence',
    'modality',
    'scores',
    'model',
    'evidence',
    'mismatch',
    'similar_reviews',
    'processing_time_ms',
    'cached',
  ],
} as const;

export const analyzeJsonBody = {
  type: 'object',
  properties: {
    text: { type: 'string', description: 'The review text (required, not blank).' },
    image_base64: {
      type: 'string',
      description:
        'Optional photo, base64 (a `data:image/...;base64,` prefix is accepted). JPEG, PNG, WebP, GIF, AVIF or TIFF, by content.',
    },
  },
  required: ['text'],
} as const;

/**
 * Documents the multipart form. It has no `type`, so it also accepts the undefined body that a
 * streamed multipart request has at validation time (Ajv's strictTypes is off for this reason);
 * the route reads and checks the parts itself.
 */
export const analyzeMultipartBody = {
  properties: {
    text: { type: 'string', description: 'The review text (required, not blank).' },
    image: { type: 'string', format: 'binary', description: 'Optional photo file.' },
  },
  required: ['text'],
} as const;

export const healthSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    models_loaded: { type: 'boolean' },
    device: { type: 'string', enum: ['cpu'] },
    threads: { type: 'integer' },
    cache_connected: { type: 'boolean' },
    cache_backend: { type: 'string' },
    store: {
      type: 'object',
      properties: {
        metadata: {
          type: 'object',
          properties: { backend: { type: 'string' }, ok: { type: 'boolean' }, error: { type: 'string' } },
          required: ['backend', 'ok'],
        },
        blobs: {
          type: 'object',
          properties: { backend: { type: 'string' }, ok: { type: 'boolean' }, error: { type: 'string' } },
          required: ['backend', 'ok'],
        },
      },
      required: ['metadata', 'blobs'],
    },
    model: {
      type: 'object',
      properties: { name: { type: 'string' }, version: { type: 'string' } },
      required: ['name', 'version'],
    },
    model_version: { type: 'string' },
    uptime_s: { type: 'number' },
  },
  required: ['status', 'models_loaded', 'device', 'cache_connected', 'store', 'model', 'model_version'],
} as const;
