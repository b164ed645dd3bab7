import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import { calibrationPath } from '../../src/labeling/index.js';

describe('labeling configuration', () => {
  it("has the seed's thresholds by default and takes them from the environment", () => {
    const d = loadConfig({ env: {} });
    expect(d.labeling).toMatchObject({
      acceptThreshold: 0.9,
      reviewThreshold: 0.7,
      useLlm: true,
      uncertainty: 'margin',
    });
    expect(calibrationPath(d)).toMatch(/\.reviewlens\/labeling\/calibration\.json$/);
    const e = loadConfig({
      env: { REVIEWLENS_LABEL_ACCEPT: '0.95', REVIEWLENS_LABEL_REVIEW: '0.6', REVIEWLENS_LABEL_USE_LLM: 'no' },
    });
    expect(e.labeling).toMatchObject({ acceptThreshold: 0.95, reviewThreshold: 0.6, useLlm: false });
  });

  it('refuses a review threshold above the accept threshold, naming the setting', () => {
    expect(() => loadConfig({ env: { REVIEWLENS_LABEL_ACCEPT: '0.8', REVIEWLENS_LABEL_REVIEW: '0.9' } })).toThrow(
      /labeling\.reviewThreshold/,
    );
    expect(() => loadConfig({ env: { REVIEWLENS_LABEL_ACCEPT: '1.5' } })).toThrow(/labeling\.acceptThreshold/);
  });
});
