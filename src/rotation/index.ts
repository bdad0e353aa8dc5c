// Rotation: the export list of src/rotation (the service and the CLI wire these).
export { SecretRotator, type SecretRotatorOptions, type UseVersionsOptions, type RollbackOptions, type RetireOptions, type RetireResult } from './SecretRotator';
export {
  RotationScheduler,
  type RotationTarget,
  type RotationTargetContext,
  type RotateDueOptions,
  type RotateDueProgress,
  type RotateDueReport,
  type RotateDueFailure,
} from './RotationScheduler';
export type { RotateOptions, RotationApplier, RotationCandidate, RotationChange, RotationValue, RotationVerifier } from './RotateOptions';
export type { RotationResult } from './RotationResult';
export type { RotationHooks } from './RotationHooks';
export type { RotationStepEvent } from './RotationStepEvent';
export { ROTATION_STEPS, type RotationStep } from './RotationStep';
export type { RotationState } from './RotationState';
export type { RotationVersion } from './RotationVersion';
export type { RotationPolicy } from './RotationPolicy';
export type { VersionViews, VersionView } from './VersionViews';
export type { RotationGenerator, RotationGeneratorContext } from './RotationGenerator';
export { randomBytesGenerator, type RandomBytesGeneratorOptions } from './randomBytesGenerator';
export { passwordGenerator, type PasswordPolicy } from './passwordGenerator';
export { formatRotationPolicy } from './formatRotationPolicy';
export { parseRotationPolicy } from './parseRotationPolicy';
export { validateRotationPolicy } from './validateRotationPolicy';
export { nextRotationAt } from './nextRotationAt';
export type { WriteLimiter } from './WriteLimiter';
export { WriteRateLimiter } from './WriteRateLimiter';
export { isRotationConflict } from './isRotationConflict';
export { rotationBackendFor, type RotationBackendOptions } from './rotationBackendFor';
export type { RotationBackend, RotationIo, StagedVersion } from './RotationBackend';
