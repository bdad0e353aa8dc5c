export { AtomicWriter, type AtomicWriterOptions, type Payload } from './AtomicWriter';
export { PerFileWriter } from './PerFileWriter';
export { SecureArena, type ArenaStats, type LockedSlice, type SecureArenaOptions } from '../memory/SecureArena';
export { AWS_SECRETS_MANAGER_QUOTAS, QuotaProxy, type ApiCounts, type QuotaProfile, type QuotaProxyOptions } from './QuotaProxy';
export { installSecrets, type InstallSecretsOptions, type InstalledSecrets } from './installSecrets';
