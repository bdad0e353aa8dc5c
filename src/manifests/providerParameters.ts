/** How one `spec.parameters` entry of a SecretProviderClass is checked. */
export interface ParameterRule {
  isRequired?: boolean;
  /** Accepted values, as a pattern on the string. */
  pattern?: RegExp;
  /** Said in the fix when the value does not match `pattern`. */
  expected?: string;
  /** A replacement name: the parameter still works but is deprecated (warning). */
  deprecatedFor?: string;
  /** A value that works but weakens security (warning). */
  unsafeValue?: RegExp;
  unsafeReason?: string;
}

/** Go's strconv.ParseBool, which the providers use for their boolean parameters. */
const GO_BOOL = /^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/;
const AWS_REGION = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

/**
 * The parameters each Secrets Store CSI provider reads from `spec.parameters` (all values are strings), from the
 * providers' sources: AWS (secrets-store-csi-driver-provider-aws), Vault (vault-csi-provider), Azure
 * (secrets-store-csi-driver-provider-azure), GCP (secrets-store-csi-driver-provider-gcp). A name not listed is a
 * typo the provider would silently ignore, so it is reported.
 */
export const PROVIDER_PARAMETERS: Readonly<Record<string, Readonly<Record<string, ParameterRule>>>> = {
  aws: {
    region: { pattern: AWS_REGION, expected: 'an AWS region such as us-east-1' },
    failoverRegion: { pattern: AWS_REGION, expected: 'an AWS region such as us-west-2' },
    pathTranslation: { pattern: /^(False|false|FALSE|.)$/u, expected: '"False" or a single character (default "_")' },
    usePodIdentity: { pattern: GO_BOOL, expected: '"true" (EKS Pod Identity) or "false" (IRSA)' },
    preferredAddressType: { pattern: /^(ipv4|ipv6|auto)$/, expected: '"ipv4", "ipv6" or "auto"' },
    objects: { isRequired: true },
  },
  vault: {
    roleName: { isRequired: true },
    vaultAddress: { pattern: /^https?:\/\/[^\s/]+(\/.*)?$/, expected: 'a URL such as https://vault.vault.svc:8200' },
    vaultNamespace: {},
    vaultAuthMountPath: {},
    vaultKubernetesMountPath: { deprecatedFor: 'vaultAuthMountPath' },
    audience: {},
    vaultCAPem: {},
    vaultCACertPath: {},
    vaultCADirectory: {},
    vaultTLSServerName: {},
    vaultTLSClientCertPath: {},
    vaultTLSClientKeyPath: {},
    vaultSkipTLSVerify: { pattern: GO_BOOL, expected: '"true" or "false"', unsafeValue: /^(1|t|T|TRUE|true|True)$/, unsafeReason: 'turns off verification of the Vault server certificate' },
    objects: { isRequired: true },
  },
  azure: {
    keyvaultName: { isRequired: true, pattern: /^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$/, expected: 'a Key Vault name: 3-24 letters, digits and -' },
    tenantID: {},
    tenantId: {},
    clientID: {},
    usePodIdentity: { pattern: GO_BOOL, expected: '"true" or "false"', unsafeValue: /^(1|t|T|TRUE|true|True)$/, unsafeReason: 'uses AAD pod identity, which is deprecated; use workload identity (clientID)' },
    useVMManagedIdentity: { pattern: GO_BOOL, expected: '"true" or "false"' },
    userAssignedIdentityID: {},
    cloudName: { pattern: /^(AzurePublicCloud|AzureChinaCloud|AzureUSGovernmentCloud|AzureStackCloud)$/i, expected: 'AzurePublicCloud, AzureChinaCloud, AzureUSGovernmentCloud or AzureStackCloud' },
    cloudEnvFileName: {},
    objects: { isRequired: true },
  },
  gcp: {
    secrets: { isRequired: true },
    auth: { pattern: /^(provider-adc|pod-adc)$/, expected: '"provider-adc" or "pod-adc"' },
  },
};

/** The providers a SecretProviderClass may name. */
export const PROVIDERS = Object.keys(PROVIDER_PARAMETERS);

/** The parameter that holds the provider's object list (YAML in a string). */
export function objectsParameterOf(provider: string): string {
  return provider === 'gcp' ? 'secrets' : 'objects';
}
