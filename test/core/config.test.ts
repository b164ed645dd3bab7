import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskConfig } from '../../src/core/index.js';
import { tempDir } from '../helpers/paths.js';

describe('config', () => {
  it('has embedded defaults: 127.0.0.1, PGlite (no database url), one thread', () => {
    const cfg = loadConfig({ env: {}, cwd: tempDir() });
    expect(cfg.server.host).toBe('127.0.0.1');
    expect(cfg.server.port).toBe(8080);
    expect(cfg.database.url).toBe('');
    expect(cfg.models.threads).toBe(1);
    expect(cfg.models.dir.endsWith(join('.reviewlens', 'models'))).toBe(true);
  });

  it('reads environment variables over a config file, and command-line overrides over both', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'reviewlens.config.yaml'),
      'server:\n  port: 9000\n  host: 0.0.0.0\nmodels:\n  threads: 2\n',
    );
    const cfg = loadConfig({ env: { REVIEWLENS_PORT: '9100' }, cwd: dir, overrides: { 'models.threads': '3' } });
    expect(cfg.server.port).toBe(9100);
    expect(cfg.server.host).toBe('0.0.0.0');
    expect(cfg.models.threads).toBe(3);
    expect(cfg.configFile).toBe(join(dir, 'reviewlens.config.yaml'));
  });

  it('parses booleans as an environment variable spells them', () => {
    expect(loadConfig({ env: { REVIEWLENS_USE_IMAGE: 'false' }, cwd: tempDir() }).models.useImage).toBe(false);
    expect(loadConfig({ env: { REVIEWLENS_USE_IMAGE: '1' }, cwd: tempDir() }).models.useImage).toBe(true);
  });

  it('stops on a bad value with a message naming the setting and where it came from', () => {
    expect(() => loadConfig({ env: { REVIEWLENS_PORT: 'eighty' }, cwd: tempDir() })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { REVIEWLENS_PORT: 'eighty' }, cwd: tempDir() })).toThrow(
      /server\.port.*environment variable REVIEWLENS_PORT/,
    );
    expect(() => loadConfig({ env: { REVIEWLENS_THREADS: '0' }, cwd: tempDir() })).toThrow(/models\.threads/);
  });

  it('rejects unknown keys and unreadable files', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), '{"sever": {"port": 1}}');
    expect(() => loadConfig({ env: {}, cwd: dir, file: 'bad.json' })).toThrow(/sever/);
    writeFileSync(join(dir, 'broken.json'), '{not json');
    expect(() => loadConfig({ env: {}, cwd: dir, file: 'broken.json' })).toThrow(/broken\.json is not valid/);
    expect(() => loadConfig({ env: {}, cwd: dir, file: 'missing.yaml' })).toThrow(/does not exist/);
  });

  it('masks secrets when printed', () => {
    const cfg = loadConfig({ env: { DATABASE_URL: 'postgres://app:s3cret@db.example:5432/reviews' }, cwd: tempDir() });
    const shown = JSON.stringify(maskConfig(cfg));
    expect(shown).not.toContain('s3cret');
    expect(shown).toContain('postgres://app:****@db.example:5432/reviews');
  });

  it('reads the synthesis image server settings, masks its key and refuses a URL with a password', () => {
    const cfg = loadConfig({
      env: {
        REVIEWLENS_SYNTH_IMAGE_URL: 'http://127.0.0.1:7860',
        REVIEWLENS_SYNTH_IMAGE_API: 'automatic1111',
        REVIEWLENS_SYNTH_IMAGE_API_KEY: 'sk-image-secret',
        REVIEWLENS_SYNTH_IMAGE_ALLOW_HOSTS: '127.0.0.1, 10.0.0.0/8',
        REVIEWLENS_SYNTH_PER_RUN: '20',
      },
      cwd: tempDir(),
    });
    expect(cfg.synthesis).toMatchObject({
      imageUrl: 'http://127.0.0.1:7860',
      imageApi: 'automatic1111',
      imageAllowHosts: ['127.0.0.1', '10.0.0.0/8'],
      imageSize: '512x512',
      pipeline: { enabled: true, perRun: 20, generator: 'recombine', photos: false, photoGenerator: 'pair' },
    });
    expect(JSON.stringify(maskConfig(cfg))).not.toContain('sk-image-secret');
    expect(() => loadConfig({ env: { REVIEWLENS_SYNTH_IMAGE_URL: 'http://u:p@host/v1' }, cwd: tempDir() })).toThrow(
      /synthesis\.imageUrl: must be an http/,
    );
  });
});
