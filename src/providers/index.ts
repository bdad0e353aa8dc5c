export { ProviderRegistry } from './ProviderRegistry';
export type { DeleteOptions, FetchedSecret, GetManyResult, GetOptions, ProviderCapabilities, ProviderClient, ProviderDeps, ProviderFactory, PutOptions, VersionInfo } from './Provider';
export { withRetry, type RetryOptions } from './retry';
