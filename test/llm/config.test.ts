import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskConfig } from '../../src/core/index.js';
import { tempDir } from '../helpers/paths.js';

describe('analyzer and vlm settings', () => {
  it('default to the local backend and LLaVA settings that are off until a URL is given', () => {
    const cfg = loadConfig({ env: {}, cwd: tempDir() });
    expect(cfg.analyzer.backend).toBe('local');
    expect(cfg.vlm).toEqual({ url: '', model: 'llava', apiKey: '', timeoutMs: 60_000, maxAttempts: 3 });
  });

  it('are read from the environment', () => {
    const cfg = loadConfig({
      env: {
        REVIEWLENS_ANALYZER_BACKEND: 'vlm',
        REVIEWLENS_VLM_URL: 'http://127.0.0.1:11434/v1',
        REVIEWLENS_VLM_MODEL: 'llava:7b',
        REVIEWLENS_VLM_API_KEY: 'sk-abc',
        REVIEWLENS_VLM_TIMEOUT_MS: '5000',
        REVIEWLENS_VLM_MAX_ATTEMPTS: '2',
      },
      cwd: tempDir(),
    });
    expect(cfg.analyzer.backend).toBe('vlm');
    expect(cfg.vlm).toEqual({
      url: 'http://127.0.0.1:11434/v1',
      model: 'llava:7b',
      apiKey: 'sk-abc',
      timeoutMs: 5000,
      maxAttempts: 2,
    });
  });

  it('stop start-up when backend vlm has no URL, naming vlm.url', () => {
    const load = () => loadConfig({ env: { REVIEWLENS_ANALYZER_BACKEND: 'vlm' }, cwd: tempDir() });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/vlm\.url: is required when analyzer\.backend is 'vlm'/);
    expect(() => loadConfig({ env: { REVIEWLENS_ANALYZER_BACKEND: 'gpt' }, cwd: tempDir() })).toThrow(
      /analyzer\.backend.*REVIEWLENS_ANALYZER_BACKEND/,
    );
    expect(() => loadConfig({ env: { REVIEWLENS_VLM_URL: 'localhost:8000' }, cwd: tempDir() })).toThrow(/vlm\.url/);
    expect(() => loadConfig({ env: { REVIEWLENS_VLM_URL: 'http://u:p@host/v1' }, cwd: tempDir() })).toThrow(
      /vlm\.url.*without user:password/,
    );
  });

  it('mask the API key whole when printed', () => {
    for (const key of ['sk-secret-value', 'a:b@c']) {
      const cfg = loadConfig({ env: { REVIEWLENS_VLM_API_KEY: key }, cwd: tempDir() });
      const shown = maskConfig(cfg) as { vlm: { apiKey: string } };
      expect(shown.vlm.apiKey).toBe('****');
      expect(JSON.stringify(shown)).not.toContain(key);
    }
    expect((maskConfig(loadConfig({ env: {}, cwd: tempDir() })) as { vlm: { apiKey: string } }).vlm.apiKey).toBe('');
  });
});
