export { buildServer, decodeBase64Image, type ServerOptions } from './app.js';
export { type AppContext, BUNDLED_ARTIFACT, createContext } from './context.js';
export { createLogger, type LoggerOptions, maskApiKeys, REDACT_PATHS } from './logger.js';
