import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Built into web/dist, which the API server serves at `/`. No plugin: esbuild compiles the JSX
// (@vitejs/plugin-react is not needed for a production build).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic' },
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
