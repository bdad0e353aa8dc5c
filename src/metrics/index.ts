export { SecretsMetrics, type SecretsMetricsOptions } from './SecretsMetrics';
export { instrumentProvider } from './instrumentProvider';
export { observeSecrets } from './observeSecrets';
