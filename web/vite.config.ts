import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Writes .br and .gz beside each built JS/CSS asset; the server sends them to browsers that accept them. */
function precompress(): Plugin {
  return {
    name: 'reviewlens-precompress',
    apply: 'build',
    closeBundle() {
      const dir = join(root, 'dist', 'assets');
      for (const f of readdirSync(dir)) {
        if (!/\.(js|css)$/.test(f)) continue;
        const bytes = readFileSync(join(dir, f));
        writeFileSync(join(dir, `${f}.gz`), gzipSync(bytes, { level: 9 }));
        writeFileSync(join(dir, `${f}.br`), brotliCompressSync(bytes));
      }
    },
  };
}

// Built into web/dist, which the API server serves at `/`. No React plugin: esbuild compiles the JSX
// (@vitejs/plugin-react is only needed for the dev server's fast refresh).
export default defineConfig({
  root,
  base: '/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic' },
  plugins: [precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    sourcemap: false,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/metrics': 'http://127.0.0.1:8080' },
  },
});
