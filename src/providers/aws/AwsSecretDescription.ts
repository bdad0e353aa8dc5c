/**
 * What DescribeSecret says about one secret, never a value: the labelled versions with their staging labels,
 * the secret's tags and dates. Versions without labels (deprecated) are not listed by AWS here.
 *
 * @example
 * ```ts
 * const { versions, tags } = await client.describe('DB_PASSWORD');
 * const current = [...versions].find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
 * ```
 */
export interface AwsSecretDescription {
  /** VersionId -> staging labels (AWSCURRENT, AWSPREVIOUS, AWSPENDING, custom labels). */
  versions: Map<string, string[]>;
  /** The secret's tags (key -> value). */
  tags: Record<string, string>;
  createdAt?: Date;
  /** Last change of any kind (value, description; AWS also counts tag changes, moto does not). */
  lastChangedAt?: Date;
}
