export { CHROMIUM_FLAGS, DEFAULT_CHROMIUM_PATH } from './chromium.js';
export * from './config.js';
export * from './errors.js';
export * from './ids.js';
export * from './random.js';
export * from './transient.js';
export * from './types.js';
