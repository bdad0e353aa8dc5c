import type { ManifestDocument, YamlPath } from './ManifestDocument';
import type { ManifestFinding } from './ManifestFinding';
import { toFinding, type FindingDraft } from './FindingDraft';
import { containersOf, isMap, podSpecsOf } from './podSpecs';

const SECCOMP_TYPES = ['RuntimeDefault', 'Localhost'];

/**
 * Check every container (init containers included) of every workload for a restricted securityContext: the
 * Kubernetes "restricted" Pod Security Standard (runAsNonRoot, no privilege escalation, all capabilities
 * dropped, a RuntimeDefault or Localhost seccomp profile, not privileged, no host namespaces) plus a read-only
 * root filesystem. Pod-level settings count where Kubernetes lets the pod set them for its containers.
 *
 * @example
 * ```ts
 * checkPodSecurity(docs).filter((f) => f.severity === 'error');
 * ```
 */
export function checkPodSecurity(docs: readonly ManifestDocument[]): ManifestFinding[] {
  const findings: ManifestFinding[] = [];
  for (const pod of podSpecsOf(docs.filter((d) => d.problems.length === 0))) {
    const drafts: FindingDraft[] = [];
    const podSc = isMap(pod.spec.securityContext) ? pod.spec.securityContext : {};
    const podScPath: YamlPath = [...pod.path, 'securityContext'];
    for (const key of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
      if (pod.spec[key] === true) drafts.push(err([...pod.path, key], `the pod sets ${key}: true, sharing the node's namespace.`, `Remove ${key}.`));
    }
    if (podSc.runAsUser === 0) drafts.push(err([...podScPath, 'runAsUser'], 'the pod runs as user 0 (root).', 'Set runAsUser to a non-zero uid (the image\'s user, e.g. 1000).'));
    for (const c of containersOf(pod)) {
      const sc = isMap(c.container.securityContext) ? c.container.securityContext : undefined;
      const scPath: YamlPath = [...c.path, 'securityContext'];
      const who = `${c.isInit ? 'init container' : 'container'} ${c.name}`;
      if (!sc) {
        drafts.push(err(scPath, `${who} has no securityContext.`, 'Add securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] }, seccompProfile: { type: RuntimeDefault } }.'));
        continue;
      }
      const effective = (key: string) => (sc[key] !== undefined ? sc[key] : podSc[key]);
      if (effective('runAsNonRoot') !== true) drafts.push(err([...scPath, 'runAsNonRoot'], `${who} may run as root: runAsNonRoot is not true (in the container or the pod).`, 'Set securityContext.runAsNonRoot: true (and a numeric non-root USER in the image).'));
      if (effective('runAsUser') === 0) drafts.push(err([...scPath, 'runAsUser'], `${who} runs as user 0 (root).`, 'Set runAsUser to a non-zero uid.'));
      if (sc.allowPrivilegeEscalation !== false) drafts.push(err([...scPath, 'allowPrivilegeEscalation'], `${who} allows privilege escalation (allowPrivilegeEscalation is not false).`, 'Set securityContext.allowPrivilegeEscalation: false.'));
      if (sc.readOnlyRootFilesystem !== true) drafts.push(err([...scPath, 'readOnlyRootFilesystem'], `${who} has a writable root filesystem (readOnlyRootFilesystem is not true).`, 'Set securityContext.readOnlyRootFilesystem: true; mount an emptyDir where the app must write (e.g. /tmp).'));
      if (sc.privileged === true) drafts.push(err([...scPath, 'privileged'], `${who} is privileged.`, 'Remove privileged: true.'));
      const caps = isMap(sc.capabilities) ? sc.capabilities : {};
      const drop = Array.isArray(caps.drop) ? caps.drop : [];
      if (!drop.includes('ALL')) drafts.push(err([...scPath, 'capabilities', 'drop'], `${who} does not drop all capabilities.`, 'Set securityContext.capabilities.drop: [ALL].'));
      const add = Array.isArray(caps.add) ? caps.add.filter((a) => a !== 'NET_BIND_SERVICE') : [];
      if (add.length > 0) drafts.push(err([...scPath, 'capabilities', 'add'], `${who} adds capabilities ${add.map(String).join(', ')}.`, 'Remove them (the restricted profile allows only NET_BIND_SERVICE); locking memory needs no capability under RLIMIT_MEMLOCK.'));
      const seccomp = isMap(sc.seccompProfile) ? sc.seccompProfile : isMap(podSc.seccompProfile) ? podSc.seccompProfile : undefined;
      if (!seccomp || !SECCOMP_TYPES.includes(String(seccomp.type))) {
        drafts.push(err([...scPath, 'seccompProfile', 'type'], `${who} has no seccomp profile (RuntimeDefault or Localhost) in the container or the pod.`, 'Set securityContext.seccompProfile.type: RuntimeDefault.'));
      }
    }
    findings.push(...drafts.map((d) => toFinding(pod.doc, d)));
  }
  return findings;
}

function err(path: YamlPath, message: string, fix: string): FindingDraft {
  return { severity: 'error', rule: 'pod-security', path, message, fix };
}
