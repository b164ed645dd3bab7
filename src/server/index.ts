export { buildServer, decodeBase64Image, type ServerOptions } from './app.js';
export { type AppContext, BUNDLED_ARTIFACT, createContext } from './context.js';
