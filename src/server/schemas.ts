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
          description:
            "Words and word pairs that pushed the text toward the answer (`for`) and against it; toward the text's own reading when a damaged-product photo overruled it.",
          properties: {
            for: { type: 'array', items: wordWeight },
            against: { type: 'array', items: wordWeight },
          },
          required: ['for', 'against'],
        },
        photo_damage: {
          type: 'object',
          description:
            'The damaged-product check of the photo: calibrated probability that it shows a damaged product, and whether it reached the threshold and overruled the text.',
          properties: { probability: { type: 'number' }, damaged: { type: 'boolean' }, threshold: { type: 'number' } },
          required: ['probability', 'damaged', 'threshold'],
        },
        stated_rating: {
          type: 'object',
          description: 'A rating the reviewer states in the text ("Five out of five", "2/5"), as stars out of 5.',
          properties: { stars: { type: 'number' }, phrase: { type: 'string' } },
          required: ['stars', 'phrase'],
        },
        contrast_clause: {
          type: 'string',
          description: 'The clause a contrast marker (but, however, although ...) puts in charge.',
        },
        reasons: {
          type: 'array',
          items: { type: 'string' },
          description: 'Why the answer is what it is, in words.',
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
      description:
        'Similar reviews from the search index (hybrid: text BM25 + text vectors + photo vectors; empty until reviews are indexed).',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          text: { type: 'string' },
          score: { type: 'number' },
          sentiment: sentimentEnum,
          product: { type: 'string' },
          rating: { type: 'number' },
          thumbnail_url: { type: 'string', description: 'A 256-pixel JPEG of the review photo, on this server.' },
        },
        required: ['id', 'text', 'score'],
      },
    },
    warnings: {
      type: 'array',
      items: { type: 'string' },
      description: 'What failed around the analysis without stopping it, e.g. the similar-review search.',
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
    llm: {
      type: 'object',
      description:
        'The LLM serving text tasks: `openai-compatible` (llm.url), `local` (the in-process GGUF model, loaded on first use) or `none` (with the reason).',
      properties: {
        provider: { type: 'string', enum: ['openai-compatible', 'local', 'none'] },
        model: { type: 'string' },
        loaded: { type: 'boolean' },
        threads: { type: 'integer' },
        reason: { type: 'string' },
      },
      required: ['provider', 'model'],
    },
    search_index: {
      type: 'object',
      description: 'The search index: absent (ok false, with the reason) when it could not be opened.',
      properties: { backend: { type: 'string' }, ok: { type: 'boolean' }, error: { type: 'string' } },
      required: ['backend', 'ok'],
    },
    uptime_s: { type: 'number' },
  },
  required: ['status', 'models_loaded', 'device', 'cache_connected', 'store', 'model', 'model_version'],
} as const;

const nullableString = { type: ['string', 'null'] } as const;

export const reviewRecordSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'Content hash (sha256) of text, product and photo.' },
    text: { type: 'string' },
    title: nullableString,
    product: nullableString,
    rating: { type: ['number', 'null'] },
    date: nullableString,
    source: nullableString,
    label: { type: ['string', 'null'], enum: ['positive', 'negative', 'neutral', null] },
    imageId: nullableString,
    thumbnail_url: { type: 'string' },
  },
  required: ['id', 'text'],
} as const;

const stageScores = {
  type: 'object',
  description: 'Ranks are 1-based; a stage is absent when the hit was not in its list.',
  properties: {
    bm25_rank: { type: 'integer' },
    bm25_score: { type: 'number' },
    dense_rank: { type: 'integer' },
    dense_score: { type: 'number', description: 'Cosine similarity of the text vectors.' },
    image_rank: { type: 'integer' },
    image_score: { type: 'number', description: 'Cosine similarity of the photo vectors.' },
    fused_score: { type: 'number', description: 'Weighted Reciprocal Rank Fusion score.' },
    rerank_score: { type: 'number' },
  },
  required: ['fused_score'],
} as const;

export const searchResultSchema = {
  type: 'object',
  properties: {
    hits: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, review: reviewRecordSchema, scores: stageScores },
        required: ['id', 'review', 'scores'],
      },
    },
    k: { type: 'integer' },
    offset: { type: 'integer' },
    mode: { type: 'string', enum: ['hybrid', 'bm25', 'dense'] },
    candidates: { type: 'integer', description: 'Distinct candidates after fusion (how far paging can go).' },
    stages: { type: 'array', items: { type: 'string' } },
    reranker: { type: 'string' },
    rerank_error: { type: 'string', description: 'Set when reranking failed; the fused order is returned.' },
    timings_ms: {
      type: 'object',
      description:
        'Milliseconds per stage: query encoding, each candidate list (bm25, dense, image; they run concurrently), ' +
        'fusion, retrieve (the lists and fusion, wall time), rerank, fetch (stored fields of the hits), total. ' +
        'Serialising the answer is in the Server-Timing header (serialize).',
      properties: {
        encode: { type: 'number' },
        bm25: { type: 'number' },
        dense: { type: 'number' },
        image: { type: 'number' },
        fusion: { type: 'number' },
        retrieve: { type: 'number' },
        rerank: { type: 'number' },
        fetch: { type: 'number' },
        total: { type: 'number' },
      },
    },
  },
  required: ['hits', 'k', 'offset', 'mode', 'candidates', 'stages', 'timings_ms'],
} as const;

export const searchJsonBody = {
  type: 'object',
  properties: {
    text: { type: 'string', description: 'A text query.' },
    image_base64: { type: 'string', description: 'A photo to search by (base64 or a data URL).' },
    k: { type: 'integer', minimum: 1, default: 10 },
    offset: { type: 'integer', minimum: 0, default: 0 },
    mode: { type: 'string', enum: ['hybrid', 'bm25', 'dense'], default: 'hybrid' },
    rerank: { type: 'boolean', description: 'Rerank the top of the fused list (default from the config).' },
    filters: {
      type: 'object',
      properties: {
        product: { type: 'string' },
        sentiment: sentimentEnum,
        rating_min: { type: 'number' },
        rating_max: { type: 'number' },
        date_from: { type: 'string', description: 'ISO 8601, inclusive.' },
        date_to: { type: 'string', description: 'ISO 8601, inclusive (a bare date includes the whole day).' },
        source: { type: 'string' },
        has_image: { type: 'boolean' },
      },
    },
  },
} as const;

export const reviewBody = {
  type: 'object',
  properties: {
    text: { type: 'string', minLength: 1 },
    title: { type: 'string' },
    product: { type: 'string' },
    rating: { type: 'number' },
    date: { type: 'string', description: 'ISO 8601.' },
    source: { type: 'string' },
    label: sentimentEnum,
    image_base64: { type: 'string' },
  },
  required: ['text'],
} as const;

export const reviewUpdateBody = {
  type: 'object',
  properties: {
    rating: { type: ['number', 'null'] },
    date: nullableString,
    source: nullableString,
    label: { type: ['string', 'null'], enum: ['positive', 'negative', 'neutral', null] },
  },
  minProperties: 1,
} as const;

export const indexStatsSchema = {
  type: 'object',
  properties: {
    backend: { type: 'string' },
    reviews: { type: 'integer' },
    withPhoto: { type: 'integer' },
    bytes: { type: 'integer' },
    diskBytes: { type: 'integer' },
    fragments: { type: 'integer' },
    uri: { type: 'string' },
    table: { type: 'string' },
    vectors: { type: 'integer' },
    memory: {
      type: 'object',
      description: 'The in-memory search indices of the embedded backend (absent until the first search loads them).',
      properties: {
        rows: { type: 'integer' },
        photoRows: { type: 'integer' },
        bytes: { type: 'integer' },
        textAnn: { type: 'boolean' },
        imageAnn: { type: 'boolean' },
        loadMs: { type: 'integer' },
        records: { type: 'integer', description: 'Stored records held in memory for hits.' },
      },
    },
    indices: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          type: { type: 'string' },
          columns: { type: 'array', items: { type: 'string' } },
          indexedRows: { type: 'integer' },
          unindexedRows: { type: 'integer' },
        },
      },
    },
  },
  required: ['backend', 'reviews'],
} as const;

/** The multipart form of a search (documentation only: multipart parts are read by the route). */
export const searchMultipartBody = {
  properties: {
    text: { type: 'string' },
    image: { type: 'string', format: 'binary', description: 'A photo to search by.' },
    k: { type: 'integer' },
    offset: { type: 'integer' },
    mode: { type: 'string', enum: ['hybrid', 'bm25', 'dense'] },
    rerank: { type: 'boolean' },
    product: { type: 'string' },
    sentiment: sentimentEnum,
    rating_min: { type: 'number' },
    rating_max: { type: 'number' },
    date_from: { type: 'string' },
    date_to: { type: 'string' },
    source: { type: 'string' },
    has_image: { type: 'boolean' },
  },
} as const;

// --- the human review queue (issue 8) ----------------------------------------------------------

const queueStatusEnum = { type: 'string', enum: ['pending', 'labelled', 'skipped', 'discarded'] } as const;

export const queueItemSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    review_id: { type: 'string' },
    text: { type: 'string' },
    photo_url: { type: 'string', nullable: true, description: 'The review photo (`/api/photos/:id`), or null.' },
    thumbnail_url: { type: 'string', nullable: true, description: 'A 256-pixel JPEG thumbnail, or null.' },
    suggestion: {
      type: 'object',
      description: "The ensemble's label and its calibrated confidence.",
      properties: { label: { type: 'string' }, confidence: { type: 'number' } },
      required: ['label', 'confidence'],
    },
    votes: {
      type: 'array',
      description: "Each labeler's vote; a labeler that failed on this review votes `none` with confidence 0.",
      items: {
        type: 'object',
        properties: { labeler: { type: 'string' }, label: { type: 'string' }, confidence: { type: 'number' } },
        required: ['labeler', 'label', 'confidence'],
      },
    },
    priority: { type: 'number', description: 'Higher first: uncertainty mixed with diversity (active learning).' },
    status: queueStatusEnum,
    assignee: { type: 'string', nullable: true },
    human_label: { type: 'string', nullable: true },
    labelled_by: { type: 'string', nullable: true },
    labelled_at: { type: 'string', nullable: true, description: 'ISO 8601.' },
    created_at: { type: 'string', description: 'ISO 8601.' },
  },
  required: [
    'id',
    'review_id',
    'text',
    'photo_url',
    'thumbnail_url',
    'suggestion',
    'votes',
    'priority',
    'status',
    'assignee',
    'human_label',
    'labelled_by',
    'labelled_at',
    'created_at',
  ],
} as const;

export const queueCountsSchema = {
  type: 'object',
  properties: {
    pending: { type: 'integer' },
    labelled: { type: 'integer' },
    skipped: { type: 'integer' },
    discarded: { type: 'integer' },
  },
  required: ['pending', 'labelled', 'skipped', 'discarded'],
} as const;

export const queueListQuery = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['pending', 'labelled', 'skipped', 'discarded', 'all'], default: 'pending' },
    limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: 'Items per page, 1-500 (default 50).' },
    offset: { type: 'string', pattern: '^[0-9]{1,9}$', description: 'Items to skip (default 0).' },
  },
} as const;

export const queueListSchema = {
  type: 'object',
  properties: {
    items: { type: 'array', items: queueItemSchema },
    total: { type: 'integer' },
    counts: queueCountsSchema,
  },
  required: ['items', 'total', 'counts'],
} as const;

export const queueNextBody = {
  type: 'object',
  properties: {
    labeller: {
      type: 'string',
      minLength: 1,
      maxLength: 100,
      description: 'Your name; only read when API keys are off.',
    },
  },
} as const;

export const queueNextSchema = {
  type: 'object',
  properties: {
    item: { ...queueItemSchema, nullable: true },
    progress: {
      type: 'object',
      description: 'done = labelled + skipped; total = done + pending.',
      properties: { done: { type: 'integer' }, total: { type: 'integer' } },
      required: ['done', 'total'],
    },
  },
  required: ['item', 'progress'],
} as const;

export const queueSubmitBody = {
  type: 'object',
  properties: {
    action: {
      type: 'string',
      enum: ['accept', 'correct', 'skip'],
      description: 'accept: take the suggestion; correct: give `label`; skip: pass.',
    },
    label: { ...sentimentEnum, description: 'Required with `correct`.' },
    labeller: {
      type: 'string',
      minLength: 1,
      maxLength: 100,
      description: 'Your name; only read when API keys are off.',
    },
  },
  required: ['action'],
} as const;

export const queueItemIdParam = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[0-9]{1,9}$' } },
  required: ['id'],
} as const;

export const queueItemResponse = {
  type: 'object',
  properties: { item: queueItemSchema },
  required: ['item'],
} as const;

export const queueStatsSchema = {
  type: 'object',
  properties: {
    counts: queueCountsSchema,
    by_labeller: {
      type: 'array',
      items: {
        type: 'object',
        properties: { labeller: { type: 'string' }, labelled: { type: 'integer' }, skipped: { type: 'integer' } },
        required: ['labeller', 'labelled', 'skipped'],
      },
    },
    agreement: {
      type: 'object',
      description:
        'human_model: share of human labels equal to the suggestion; human_human: share of agreeing pairs of people on the same review.',
      properties: {
        human_model: { type: 'number', nullable: true },
        human_human: { type: 'number', nullable: true },
        pairs: { type: 'integer' },
      },
      required: ['human_model', 'human_human', 'pairs'],
    },
  },
  required: ['counts', 'by_labeller', 'agreement'],
} as const;
