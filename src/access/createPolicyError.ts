import { PolicyError } from '../errors/PolicyError';

/** One problem in a policy: the field (path like `roles.billing.grants[0].permissions[1]`), where, and what. */
export interface PolicyProblem {
  field: string;
  problem: string;
  /** 1-based line in the policy text; absent for policies given as objects. */
  line?: number;
  /** 1-based column. */
  column?: number;
}

/**
 * Builds the PolicyError for a list of problems. The message names each problem's line and field; the same
 * facts are on `cause` as `{ source, problems }` for programs (PolicyError has no fields of its own yet).
 */
export function createPolicyError(source: string, problems: readonly PolicyProblem[]): PolicyError {
  const describe = (p: PolicyProblem): string => `${p.line === undefined ? '' : `line ${p.line}, column ${p.column ?? 1}, `}field ${p.field}: ${p.problem}`;
  const head = problems.length === 1 ? `Access policy ${source} is invalid` : `Access policy ${source} has ${problems.length} problems`;
  return new PolicyError(`${head}: ${problems.map(describe).join('; ')}. Fix the policy (see docs/access-policy.md).`, {
    cause: { source, problems: problems.map((p) => ({ ...p })) },
  });
}
