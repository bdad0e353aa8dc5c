import { randomBytes } from 'node:crypto';
import { SecretNotFoundError } from '../errors/SecretNotFoundError';
import { isSecretsError } from '../errors/SecretsError';
import { ProviderUnavailableError } from '../errors/ProviderUnavailableError';
import type { AwsSecretsManagerClient } from '../providers/aws/AwsSecretsManagerClient';
import type { FetchedSecret } from '../providers/Provider';
import type { RotationBackend, RotationIo, StagedVersion } from './RotationBackend';
import { readPolicyText } from './readPolicyText';
import type { RotationState } from './RotationState';
import type { RotationVersion } from './RotationVersion';

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const PENDING = 'AWSPENDING';
/** Tag of the secret holding its rotation policy. */
export const AWS_POLICY_TAG = 'vc-rotation';
/** Our ClientRequestTokens: the staging time is part of the version id, so every later reader knows a pending version's age. */
const TOKEN = /^vcrot-(\d{13})-[0-9a-f]{32}$/;
const ORDER: Record<RotationVersion['state'], number> = { pending: 0, current: 1, previous: 2, retired: 3 };

interface AwsNative {
  tags: Record<string, string>;
  stages: Map<string, string[]>;
}

/**
 * Rotation on AWS Secrets Manager, with AWS's own rotation protocol (see docs/decisions/0002-rotation-mapping.md):
 * - state: one DescribeSecret (labels, tags, dates); the policy is the secret's tag `vc-rotation`;
 * - stage: PutSecretValue with VersionStages [AWSPENDING] and our ClientRequestToken `vcrot-<ms>-<random>`
 *   (a retry of the same put is a no-op; the token is the version id and carries the staging time);
 * - promote: UpdateSecretVersionStage AWSCURRENT with RemoveFromVersionId = the current version seen before
 *   staging. AWS refuses the move when that version no longer holds AWSCURRENT, so of two concurrent rotations
 *   exactly one promotes (a check-and-set on the label); AWS moves AWSPREVIOUS itself. AWSPENDING stays on the new
 *   current version (AWS's own "rotation finished" state) until the next stage moves it: no extra write;
 * - retire: remove AWSPREVIOUS (the version stays readable by id until AWS deletes unlabelled versions).
 *
 * @example
 * ```ts
 * const backend = new AwsRotationBackend(awsClient);
 * ```
 */
export class AwsRotationBackend implements RotationBackend {
  readonly scheme = 'aws';
  readonly #client: AwsSecretsManagerClient;

  constructor(client: AwsSecretsManagerClient) {
    this.#client = client;
  }

  async inspect(path: string): Promise<RotationState> {
    let d;
    try {
      d = await this.#client.describe(path);
    } catch (error) {
      if (isSecretsError(error) && error.code === SecretNotFoundError.code) return { path, scheme: this.scheme, pending: [], versions: [], native: { tags: {}, stages: new Map() } };
      throw error;
    }
    // Versions we did not write carry no time: the secret's last change is no earlier than their creation, so
    // it makes a pending version look younger (never staler) and a grace period end later (never sooner).
    const fallback = d.lastChangedAt ?? d.createdAt;
    const versions = [...d.versions].map(([version, stages]) => toVersion(version, stages, fallback)).sort(newestFirst);
    const current = versions.find((v) => v.state === 'current');
    const state: RotationState = {
      path,
      scheme: this.scheme,
      pending: versions.filter((v) => v.state === 'pending'),
      versions,
      ...readPolicyText(d.tags[AWS_POLICY_TAG]),
      native: { tags: d.tags, stages: d.versions } satisfies AwsNative,
    };
    if (current) state.current = current;
    const previous = versions.find((v) => v.state === 'previous');
    if (previous) state.previous = previous;
    const since = current ? (tokenTime(current.version) ?? fallback) : undefined;
    if (since) state.currentSince = since;
    return state;
  }

  async listVersions(path: string): Promise<RotationVersion[]> {
    const infos = await this.#client.listVersions(path);
    return infos.map((i) => toVersion(i.version, i.stages, i.createdAt)).sort(newestFirst);
  }

  read(path: string, version: string, signal?: AbortSignal): Promise<FetchedSecret> {
    return this.#client.get(path, { version, ...(signal ? { signal } : {}) });
  }

  async stage(path: string, value: Uint8Array, _state: RotationState, io: RotationIo): Promise<StagedVersion> {
    const now = io.now();
    const token = `vcrot-${String(Math.floor(now)).padStart(13, '0')}-${randomBytes(16).toString('hex')}`;
    await io.beforeWrite();
    try {
      const { version } = await this.#client.put(path, value, { pending: true, token, ...(io.signal ? { signal: io.signal } : {}) });
      return { version, stagedAt: new Date(now), attempt: token };
    } catch (error) {
      // The put may have been applied although its answer was lost: take our label off that version.
      if (isSecretsError(error) && error.code === ProviderUnavailableError.code) await this.#dropLabel(path, PENDING, token, io).catch(() => undefined);
      throw error;
    }
  }

  async confirm(): Promise<void> {
    // The promotion's check-and-set on AWSCURRENT is the guarantee; nothing to check here.
  }

  adopt(pending: RotationVersion): StagedVersion {
    return { version: pending.version, stagedAt: pending.createdAt ?? new Date(0), attempt: pending.version };
  }

  async promote(path: string, staged: StagedVersion, state: RotationState, io: RotationIo): Promise<void> {
    await io.beforeWrite();
    await this.#client.updateStage(path, CURRENT, staged.version, currentOf(state, path));
  }

  async undo(path: string, staged: StagedVersion, before: RotationState, io: RotationIo): Promise<void> {
    const stages = (await this.#client.describe(path)).versions.get(staged.version) ?? [];
    if (stages.includes(CURRENT)) {
      // Promoted after all (an answer lost): move AWSCURRENT back, then AWSPREVIOUS (which AWS just moved onto ours).
      await io.beforeWrite();
      await this.#client.updateStage(path, CURRENT, currentOf(before, path), staged.version);
      await io.beforeWrite();
      await this.#client.updateStage(path, PREVIOUS, before.previous?.version, staged.version);
    }
    if (stages.includes(PENDING)) {
      await io.beforeWrite();
      await this.#client.updateStage(path, PENDING, undefined, staged.version);
    }
  }

  async discardStale(path: string, pending: RotationVersion, _state: RotationState, io: RotationIo): Promise<void> {
    await io.beforeWrite();
    await this.#client.updateStage(path, PENDING, undefined, pending.version);
  }

  async retireAfterPromote(path: string, before: RotationState, isPreviousToo: boolean, io: RotationIo): Promise<string[]> {
    // The promotion moved AWSPREVIOUS off the old previous version already: it is retired without a call.
    const retired = before.previous ? [before.previous.version] : [];
    if (isPreviousToo) {
      await io.beforeWrite();
      await this.#client.updateStage(path, PREVIOUS, undefined, currentOf(before, path));
      retired.push(currentOf(before, path));
    }
    return retired;
  }

  async retire(path: string, state: RotationState, io: RotationIo): Promise<void> {
    if (!state.previous) return;
    await io.beforeWrite();
    await this.#client.updateStage(path, PREVIOUS, undefined, state.previous.version);
  }

  async switchCurrent(path: string, target: string, state: RotationState, io: RotationIo): Promise<void> {
    const from = currentOf(state, path);
    await io.beforeWrite();
    await this.#client.updateStage(path, CURRENT, target, from);
    // AWSPENDING stays on a promoted version; once that version is no longer current it would look pending.
    if ((state.native as AwsNative).stages.get(from)?.includes(PENDING)) {
      await io.beforeWrite();
      await this.#client.updateStage(path, PENDING, undefined, from);
    }
  }

  async writePolicy(path: string, text: string | undefined, _state: RotationState | undefined, io: RotationIo): Promise<void> {
    await io.beforeWrite();
    if (text === undefined) await this.#client.untag(path, [AWS_POLICY_TAG]);
    else await this.#client.tag(path, { [AWS_POLICY_TAG]: text });
  }

  async #dropLabel(path: string, stage: string, version: string, io: RotationIo): Promise<void> {
    const stages = (await this.#client.describe(path)).versions.get(version);
    if (!stages?.includes(stage)) return;
    await io.beforeWrite();
    await this.#client.updateStage(path, stage, undefined, version);
  }
}

function toVersion(version: string, stages: string[], fallback: Date | undefined): RotationVersion {
  let state: RotationVersion['state'] = 'retired';
  if (stages.includes(CURRENT)) state = 'current';
  else if (stages.includes(PENDING)) state = 'pending';
  else if (stages.includes(PREVIOUS)) state = 'previous';
  const createdAt = tokenTime(version) ?? fallback;
  return { version, state, ...(createdAt ? { createdAt } : {}), isReadable: true, stages: [...stages] };
}

/** The staging time of a version we wrote (it is in the version id), else undefined. */
function tokenTime(version: string): Date | undefined {
  const m = TOKEN.exec(version);
  return m ? new Date(Number(m[1])) : undefined;
}

function newestFirst(a: RotationVersion, b: RotationVersion): number {
  return (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0) || ORDER[a.state] - ORDER[b.state];
}

function currentOf(state: RotationState, path: string): string {
  if (!state.current) throw new SecretNotFoundError(`Secret ${JSON.stringify(path)} has no current version in AWS Secrets Manager; write a value first.`);
  return state.current.version;
}
