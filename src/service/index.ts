// The multi-tenant SecretsService: the export list of this folder (to be re-exported by src/index.ts).
export { createSecretsService } from './createSecretsService';
export {
  SecretsService,
  type DeleteSecretOptions,
  type ReadOptions,
  type RollbackSecretOptions,
  type RotateDueServiceOptions,
  type RotateDueServiceReport,
  type SetOptions,
  type UseCallback,
} from './SecretsService';
export type { SecretsServiceOptions } from './SecretsServiceOptions';
export type { RequestContext } from './RequestContext';
export type { ProviderRoutes } from './ProviderRoutes';
export { ProviderRouter, type ProviderRoute } from './ProviderRouter';
export { TenantPaths } from './TenantPaths';
export { TenantCall, type AuditWrite, type CallFacts } from './TenantCall';
export { SecretCopy } from './SecretCopy';
export { InMemoryProvider, type InMemoryCall, type InMemoryProviderOptions, type ProviderMethod } from './InMemoryProvider';
