export { ForbiddenError, UnauthorizedError } from './errors.js';
export {
  type ApiKeyInfo,
  type ApiKeyRecord,
  ApiKeyStore,
  type ApiKeyStoreOptions,
  type ApiKeyVerifier,
  type CreatedApiKey,
  hasScope,
  isScope,
  MAX_GRACE_SECONDS,
  parseScopes,
  type RevokeResult,
  type RotateResult,
  SCOPES,
  type Scope,
} from './keys.js';
export { AUTH_DISABLED_WARNING, type AuthLog, type AuthOptions, presentedKey, registerAuth } from './plugin.js';
