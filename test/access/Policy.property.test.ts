import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import t from 'tap';
import {
  isValidSecretName,
  isValidTenantId,
  parsePolicy,
  PERMISSIONS,
  Policy,
  validateSecretName,
  validateTenantId,
  type GrantDefinition,
  type Permission,
  type PolicyDocument,
  type RoleDefinition,
} from '../../src/access';

// ---------------------------------------------------------------------------------------------------------------
// The reference model: the rule of docs/access-policy.md written as plainly as possible (loops over the document,
// a recursive glob matcher, character-by-character name checks), sharing no code with src/access.
// ---------------------------------------------------------------------------------------------------------------

function globMatches(pattern: string, name: string): boolean {
  if (pattern === '') return name === '';
  if (pattern[0] === '*') return globMatches(pattern.slice(1), name) || (name !== '' && globMatches(pattern, name.slice(1)));
  if (name === '') return false;
  return (pattern[0] === '?' || pattern[0] === name[0]) && globMatches(pattern.slice(1), name.slice(1));
}

function modelIsValidId(value: string, alphabet: string, maxLength: number): boolean {
  if (value.length < 1 || value.length > maxLength) return false;
  for (const c of value) if (!alphabet.includes(c)) return false;
  if (value.startsWith('.') || value.startsWith('-') || value.includes('..')) return false;
  return true;
}
const LETTERS_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_';
const modelIsTenantId = (v: string): boolean => modelIsValidId(v, `${LETTERS_DIGITS}-`, 64);
const modelIsSecretName = (v: string): boolean => modelIsValidId(v, `${LETTERS_DIGITS}.-`, 128);

interface Actor {
  id: string;
  roles: string[];
}
type ModelAnswer = { allowed: false } | { allowed: true; crossTenant: boolean };

function model(doc: PolicyDocument, actor: Actor, tenant: string, permission: Permission, name: string | undefined): ModelAnswer {
  if (!modelIsTenantId(tenant)) return { allowed: false };
  if (name !== undefined && !modelIsSecretName(name)) return { allowed: false };
  const ownRole = (r: string): RoleDefinition | undefined => (Object.hasOwn(doc.roles, r) ? doc.roles[r] : undefined);
  let isMember = doc.members !== undefined && Object.hasOwn(doc.members, actor.id) && (doc.members[actor.id] ?? []).includes(tenant);
  for (const r of actor.roles) if (ownRole(r)?.memberOf?.includes(tenant) === true) isMember = true;
  let viaMembership = false;
  let viaPlatform = false;
  for (const r of actor.roles) {
    const role = ownRole(r);
    if (role === undefined) continue;
    for (const grant of role.grants) {
      if (!grant.permissions.includes(permission)) continue;
      if (grant.tenants !== undefined && !grant.tenants.includes(tenant)) continue;
      if (name !== undefined && grant.names !== undefined && !grant.names.some((p) => globMatches(p, name))) continue;
      if (isMember) viaMembership = true;
      else if (role.crossTenant === true) viaPlatform = true;
    }
  }
  if (viaMembership) return { allowed: true, crossTenant: false };
  if (viaPlatform) return { allowed: true, crossTenant: true };
  return { allowed: false };
}

// ---------------------------------------------------------------------------------------------------------------
// Generators: small alphabets so that patterns, names, roles and tenants collide often.
// ---------------------------------------------------------------------------------------------------------------

const TENANTS = ['acme', 'globex', 't-1', '_x'];
const ROLE_NAMES = ['billing', 'ops', 'r1', 'group:eu', 'constructor', '__proto__'];
const ACTOR_IDS = ['alice', 'bob', 'a@b.c', 'toString', '__proto__'];
const NAME_CHARS = ['S', 'T', 'a', 'b', '_', '.', '-', '1'];

const tidy = (s: string): string => {
  const t1 = s.replace(/\*{2,}/g, '*').replace(/\.{2,}/g, '.');
  return t1.startsWith('.') || t1.startsWith('-') ? `S${t1}` : t1;
};
const nameArb = fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 6 }).map(tidy);
const patternArb = fc.oneof(nameArb, fc.string({ unit: fc.constantFrom(...NAME_CHARS, '*', '*', '?'), minLength: 1, maxLength: 6 }).map(tidy));
const hostileArb = fc.constantFrom('', '..', '../a', 'a/b', 'a\\b', '%2e%2e', 'a\u0000', '\u0430cme', 'S\u202e', '.env', '-x', 'a'.repeat(129));
const tenantArb = fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...TENANTS, 'initech') }, { weight: 1, arbitrary: hostileArb });
const queryNameArb = fc.oneof({ weight: 6, arbitrary: nameArb }, { weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostileArb });

const grantArb: fc.Arbitrary<GrantDefinition> = fc
  .record(
    {
      permissions: fc.subarray([...PERMISSIONS] as Permission[], { minLength: 1 }),
      names: fc.array(patternArb, { minLength: 1, maxLength: 3 }),
      tenants: fc.subarray(TENANTS, { minLength: 1 }),
    },
    { requiredKeys: ['permissions'] },
  )
  .map(({ names, ...grant }) => (names !== undefined && !grant.permissions.includes('audit:read') ? { ...grant, names } : grant));

const roleArb: fc.Arbitrary<RoleDefinition> = fc.record(
  { crossTenant: fc.boolean(), memberOf: fc.subarray(TENANTS), grants: fc.array(grantArb, { maxLength: 3 }) },
  { requiredKeys: ['grants'] },
);

const docArb: fc.Arbitrary<PolicyDocument> = fc
  .record(
    {
      roles: fc.uniqueArray(fc.tuple(fc.constantFrom(...ROLE_NAMES), roleArb), { selector: ([n]) => n, maxLength: 4 }),
      members: fc.uniqueArray(fc.tuple(fc.constantFrom(...ACTOR_IDS), fc.subarray(TENANTS)), { selector: ([n]) => n, maxLength: 4 }),
    },
    { requiredKeys: ['roles'] },
  )
  .map(({ roles, members }) => ({ roles: Object.fromEntries(roles), ...(members === undefined ? {} : { members: Object.fromEntries(members) }) }));

const actorArb: fc.Arbitrary<Actor> = fc.record({ id: fc.constantFrom(...ACTOR_IDS, 'mallory'), roles: fc.subarray([...ROLE_NAMES, 'unknown']) });
const queryArb = fc.record({ tenant: tenantArb, permission: fc.constantFrom(...PERMISSIONS), name: queryNameArb });

function sameAnswer(policy: Policy, doc: PolicyDocument, actor: Actor, q: { tenant: string; permission: Permission; name: string | undefined }): boolean {
  const got = policy.authorize({ actor }, q.tenant, q.permission, q.name);
  const want = model(doc, actor, q.tenant, q.permission, q.name);
  return got.allowed === want.allowed && (!got.allowed || !want.allowed || got.crossTenant === want.crossTenant);
}

const runs = { compiled: 50_000, isolation: 20_000, parsed: 10_000, names: 25_000 };
t.comment(`property runs: ${Object.values(runs).reduce((a, b) => a + b, 0)} generated cases in total`);

t.test('Class: Policy (properties)', async (t) => {
  t.test('authorize grants exactly when the reference model allows, with the same crossTenant', async (t) => {
    fc.assert(
      fc.property(docArb, fc.array(fc.tuple(actorArb, queryArb), { minLength: 1, maxLength: 8 }), (doc, cases) => {
        const policy = new Policy(doc);
        return cases.every(([actor, q]) => sameAnswer(policy, doc, actor, q));
      }),
      { numRuns: runs.compiled },
    );
    t.pass(`${runs.compiled} policies`);
  });

  t.test('no actor reaches a tenant it is not a member of without a platform role', async (t) => {
    fc.assert(
      fc.property(docArb, actorArb, fc.constantFrom(...TENANTS), fc.constantFrom(...PERMISSIONS), queryNameArb, (doc, actor, victim, permission, name) => {
        // Cut every path into the victim tenant: membership by id or by role, and platform roles.
        const members = Object.fromEntries(Object.entries(doc.members ?? {}).map(([id, ts]) => [id, id === actor.id ? ts.filter((x) => x !== victim) : ts]));
        const roles = Object.fromEntries(
          Object.entries(doc.roles).map(([n, r]) => [n, actor.roles.includes(n) ? { ...r, crossTenant: false, memberOf: (r.memberOf ?? []).filter((x) => x !== victim) } : r]),
        );
        const policy = new Policy({ roles, members });
        return !policy.authorize({ actor }, victim, permission, name).allowed && !policy.authorize({ actor }, victim, permission).allowed;
      }),
      { numRuns: runs.isolation },
    );
    t.pass(`${runs.isolation} cases`);
  });

  t.test('a policy written as YAML or JSON and parsed back decides like the model', async (t) => {
    fc.assert(
      fc.property(docArb, fc.boolean(), fc.array(fc.tuple(actorArb, queryArb), { minLength: 1, maxLength: 8 }), (doc, asYaml, cases) => {
        const policy = asYaml ? parsePolicy(toYaml(doc), 'yaml') : parsePolicy(JSON.stringify(doc, null, 2), 'json');
        return cases.every(([actor, q]) => sameAnswer(policy, doc, actor, q));
      }),
      { numRuns: runs.parsed },
    );
    t.pass(`${runs.parsed} policies`);
  });

  t.test('tenant ids and names are accepted exactly when the character-level model accepts them', async (t) => {
    const anyString = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 140 }),
      fc.string({ unit: fc.constantFrom(...NAME_CHARS, '/', '\\', '%', '\u0000', '\u202e', '\u0430', ' '), maxLength: 10 }),
      fc.string({ unit: fc.constantFrom(...LETTERS_DIGITS, '-', '.'), minLength: 60, maxLength: 130 }),
    );
    fc.assert(
      fc.property(anyString, (s) => {
        const tenantOk = modelIsTenantId(s);
        const nameOk = modelIsSecretName(s);
        if (isValidTenantId(s) !== tenantOk || isValidSecretName(s) !== nameOk) return false;
        let threw = false;
        try {
          validateTenantId(s);
        } catch {
          threw = true;
        }
        if (threw === tenantOk) return false;
        threw = false;
        try {
          validateSecretName(s);
        } catch {
          threw = true;
        }
        return threw !== nameOk;
      }),
      { numRuns: runs.names },
    );
    t.pass(`${runs.names} strings`);
  });
});
