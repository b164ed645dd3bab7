import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import { calibrationPath } from '../../src/labeling/index.js';

describe('labeling configuration', () => {
  it("has `auto` thresholds by default (read as the seed's 0.9 / 0.7) and takes numbers from the environment", () => {
    const d = loadConfig({ env: {} });
    expect(d.labeling).toMatchObject({
      acceptThreshold: 0.9,
      reviewThreshold: 0.7,
      thresholdsSet: { accept: false, review: false },
      useLlm: true,
      uncertainty: 'margin',
    });
    expect(calibrationPath(d)).toMatch(/\.reviewlens\/labeling\/calibration\.json$/);
    const e = loadConfig({
      env: { REVIEWLENS_LABEL_ACCEPT: '0.95', REVIEWLENS_LABEL_REVIEW: '0.6', REVIEWLENS_LABEL_USE_LLM: 'no' },
    });
    expect(e.labeling).toMatchObject({
      acceptThreshold: 0.95,
      reviewThreshold: 0.6,
      thresholdsSet: { accept: true, review: true },
      useLlm: false,
    });
    // Set to the seed's value is still set; `auto` is as if not set.
    const s = loadConfig({ env: { REVIEWLENS_LABEL_ACCEPT: '0.9', REVIEWLENS_LABEL_REVIEW: 'auto' } });
    expect(s.labeling).toMatchObject({ acceptThreshold: 0.9, thresholdsSet: { accept: true, review: false } });
  });

  it('refuses a review threshold above the accept threshold, naming the setting', () => {
    expect(() => loadConfig({ env: { REVIEWLENS_LABEL_ACCEPT: '0.8', REVIEWLENS_LABEL_REVIEW: '0.9' } })).toThrow(
      /labeling\.reviewThreshold/,
    );
    expect(() => loadConfig({ env: { REVIEWLENS_LABEL_ACCEPT: '1.5' } })).toThrow(/labeling\.acceptThreshold/);
    expect(() => loadConfig({ env: { REVIEWLENS_LABEL_ACCEPT: 'high' } })).toThrow(
      /labeling\.acceptThreshold: expected a number 0\.\.1 or 'auto'/,
    );
    // With one of them `auto`, the pair is checked when the labeling agent resolves them (review capped).
    expect(loadConfig({ env: { REVIEWLENS_LABEL_ACCEPT: '0.5' } }).labeling.reviewThreshold).toBe(0.7);
  });
});
