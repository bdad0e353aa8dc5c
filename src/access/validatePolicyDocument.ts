import { createPolicyError, type PolicyProblem } from './createPolicyError';
import { describeGlobProblem } from './describeGlobProblem';
import { describeNameProblem } from './describeNameProblem';
import { TENANT_ID_MAX_LENGTH } from './isValidTenantId';
import { PERMISSIONS, type Permission } from './Permission';
import type { GrantDefinition, PolicyDocument, RoleDefinition } from './PolicyDocument';

/** A path into the policy document: keys and array indexes. */
export type PolicyPath = readonly (string | number)[];

/** Finds the position of a key or value in the policy text (1-based). */
export type PolicyLocator = (path: PolicyPath, at: 'key' | 'value') => { line: number; column: number } | undefined;

/** Options of {@link validatePolicyDocument}. */
export interface ValidatePolicyOptions {
  /** How messages name the policy: a file path, `<inline>`. */
  source?: string;
  locate?: PolicyLocator;
}

const MAX_PROBLEMS = 20;
const ROLE_NAME = /^[\x21-\x7e]{1,128}$/;
const ACTOR_ID = /^[\x21-\x7e]{1,256}$/;
const ROOT_FIELDS = ['version', 'roles', 'members'];
const ROLE_FIELDS = ['description', 'crossTenant', 'memberOf', 'grants'];
const GRANT_FIELDS = ['permissions', 'names', 'tenants'];
const PERMISSION_SET: ReadonlySet<string> = new Set(PERMISSIONS);

/** `roles.billing.grants[0]`, with keys that are not plain words quoted: `members["alice@example.com"]`. */
export function formatPolicyPath(path: PolicyPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(root)' : out;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  if (typeof value === 'object') return 'an unsupported value';
  return `a ${typeof value}`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

class Checker {
  readonly problems: PolicyProblem[] = [];
  readonly #locate: PolicyLocator | undefined;

  constructor(locate: PolicyLocator | undefined) {
    this.#locate = locate;
  }

  /** Records a problem of the field at `path`, positioned at `at` (default: the same path's value). */
  add(path: PolicyPath, problem: string, at: { path?: PolicyPath; on?: 'key' | 'value' } = {}): void {
    if (this.problems.length >= MAX_PROBLEMS) return;
    const where = this.#locate?.(at.path ?? path, at.on ?? 'value');
    this.problems.push({ field: formatPolicyPath(path), problem, ...(where === undefined ? {} : { line: where.line, column: where.column }) });
  }

  unknownFields(value: Record<string, unknown>, path: PolicyPath, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.add([...path, key], `unknown field; expected one of ${allowed.join(', ')}`, { on: 'key' });
    }
  }

  mapping(value: unknown, path: PolicyPath, what: string): value is Record<string, unknown> {
    if (isMapping(value)) return true;
    this.add(path, `must be ${what}, got ${describeType(value)}`);
    return false;
  }

  list(value: unknown, path: PolicyPath, { nonEmpty, hint }: { nonEmpty: boolean; hint?: string }): value is unknown[] {
    if (!Array.isArray(value)) {
      this.add(path, `must be a list, got ${describeType(value)}`);
      return false;
    }
    if (nonEmpty && value.length === 0) {
      this.add(path, `must not be empty${hint === undefined ? '' : ` (${hint})`}`);
      return false;
    }
    return true;
  }

  tenantIds(value: unknown, path: PolicyPath, nonEmpty: boolean, hint?: string): string[] {
    if (!this.list(value, path, { nonEmpty, ...(hint === undefined ? {} : { hint }) })) return [];
    const out: string[] = [];
    value.forEach((item, i) => {
      const problem = describeNameProblem(item, { maxLength: TENANT_ID_MAX_LENGTH, extra: '-' });
      if (problem === undefined) out.push(item as string);
      else this.add([...path, i], `tenant id ${problem}${typeof item === 'number' ? ' (quote ids that look like numbers)' : ''}`);
    });
    return out;
  }
}

function checkGrant(c: Checker, value: unknown, path: PolicyPath): GrantDefinition | undefined {
  if (!c.mapping(value, path, 'a mapping with a "permissions" field')) return undefined;
  c.unknownFields(value, path, GRANT_FIELDS);
  const grant: GrantDefinition = { permissions: [] };
  const permissionsPath = [...path, 'permissions'];
  if (!('permissions' in value)) c.add(permissionsPath, 'is required', { path, on: 'key' });
  else if (c.list(value.permissions, permissionsPath, { nonEmpty: true })) {
    value.permissions.forEach((p, i) => {
      if (typeof p === 'string' && PERMISSION_SET.has(p)) grant.permissions.push(p as Permission);
      else c.add([...permissionsPath, i], `unknown permission ${typeof p === 'string' ? JSON.stringify(p) : describeType(p)}; expected one of ${PERMISSIONS.join(', ')}`);
    });
  }
  if ('names' in value) {
    const namesPath = [...path, 'names'];
    if (c.list(value.names, namesPath, { nonEmpty: true, hint: 'omit names to grant every name' })) {
      grant.names = [];
      value.names.forEach((n, i) => {
        const problem = describeGlobProblem(n);
        if (problem === undefined) grant.names?.push(n as string);
        else c.add([...namesPath, i], `name pattern ${problem}`);
      });
      if (grant.permissions.includes('audit:read')) {
        c.add(namesPath, 'cannot restrict audit:read, which is not per secret name; put audit:read in a grant of its own');
      }
    }
  }
  if ('tenants' in value) grant.tenants = c.tenantIds(value.tenants, [...path, 'tenants'], true, 'omit tenants to apply the grant in every tenant the actor may access');
  return grant;
}

function checkRole(c: Checker, value: unknown, path: PolicyPath): RoleDefinition | undefined {
  if (!c.mapping(value, path, 'a mapping with a "grants" field')) return undefined;
  c.unknownFields(value, path, ROLE_FIELDS);
  const role: RoleDefinition = { grants: [] };
  if ('description' in value) {
    if (typeof value.description === 'string') role.description = value.description;
    else c.add([...path, 'description'], `must be a string, got ${describeType(value.description)}`);
  }
  if ('crossTenant' in value) {
    if (typeof value.crossTenant === 'boolean') role.crossTenant = value.crossTenant;
    else c.add([...path, 'crossTenant'], `must be true or false, got ${describeType(value.crossTenant)}`);
  }
  if ('memberOf' in value) role.memberOf = c.tenantIds(value.memberOf, [...path, 'memberOf'], false);
  const grantsPath = [...path, 'grants'];
  if (!('grants' in value)) c.add(grantsPath, 'is required (use [] for a role that only gives membership)', { path, on: 'key' });
  else if (c.list(value.grants, grantsPath, { nonEmpty: false })) {
    value.grants.forEach((g, i) => {
      const grant = checkGrant(c, g, [...grantsPath, i]);
      if (grant !== undefined) role.grants.push(grant);
    });
  }
  return role;
}

/**
 * Checks an access policy against its schema and returns a normalised copy (later changes to `value` do not
 * affect it). Throws PolicyError naming each problem's field and, with a locator, its line: unknown fields,
 * wrong types, unknown permissions, bad name patterns, invalid tenant ids.
 *
 * @example
 * ```ts
 * const doc = validatePolicyDocument(JSON.parse(text), { source: 'policy.json' });
 * ```
 */
export function validatePolicyDocument(value: unknown, options: ValidatePolicyOptions = {}): PolicyDocument {
  const source = options.source ?? '<inline>';
  const c = new Checker(options.locate);
  const doc: PolicyDocument = { version: 1, roles: {} };
  if (!c.mapping(value, [], 'a mapping with a "roles" field')) throw createPolicyError(source, c.problems);
  c.unknownFields(value, [], ROOT_FIELDS);
  if ('version' in value && value.version !== 1) c.add(['version'], `must be 1, got ${JSON.stringify(value.version) ?? describeType(value.version)}`);
  const roleEntries: [string, RoleDefinition][] = [];
  if (!('roles' in value)) c.add(['roles'], 'is required', { path: [] });
  else if (c.mapping(value.roles, ['roles'], 'a mapping of role names to roles')) {
    for (const [name, roleValue] of Object.entries(value.roles)) {
      if (!ROLE_NAME.test(name)) {
        c.add(['roles', name], 'role name must be 1 to 128 printable ASCII characters without spaces', { on: 'key' });
        continue;
      }
      const role = checkRole(c, roleValue, ['roles', name]);
      if (role !== undefined) roleEntries.push([name, role]);
    }
  }
  doc.roles = Object.fromEntries(roleEntries);
  if ('members' in value) {
    const memberEntries: [string, string[]][] = [];
    if (c.mapping(value.members, ['members'], 'a mapping of actor ids to lists of tenant ids')) {
      for (const [actor, tenants] of Object.entries(value.members)) {
        if (!ACTOR_ID.test(actor)) {
          c.add(['members', actor], 'actor id must be 1 to 256 printable ASCII characters without spaces', { on: 'key' });
          continue;
        }
        memberEntries.push([actor, c.tenantIds(tenants, ['members', actor], false)]);
      }
    }
    doc.members = Object.fromEntries(memberEntries);
  }
  if (c.problems.length > 0) {
    // Top to bottom, as an editor shows them (the sort is stable; problems without a line keep their order).
    throw createPolicyError(source, [...c.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)));
  }
  return doc;
}
