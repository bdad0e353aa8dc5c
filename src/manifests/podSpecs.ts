import type { ManifestDocument, YamlPath } from './ManifestDocument';

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATHS: Readonly<Record<string, YamlPath>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Kinds whose pods run a service (as opposed to a run-to-completion job). */
const LONG_RUNNING = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController']);

/** A pod spec inside a workload manifest. */
export interface PodSpecRef {
  doc: ManifestDocument;
  kind: string;
  /** Path of the pod spec in the object. */
  path: YamlPath;
  spec: Record<string, unknown>;
  /** Deployment, StatefulSet, DaemonSet, Pod...: its containers serve, so they need the preload. */
  isLongRunning: boolean;
}

/** A container (or init container) of a pod spec. */
export interface ContainerRef {
  container: Record<string, unknown>;
  path: YamlPath;
  isInit: boolean;
  name: string;
}

/** The pod specs of every workload among `docs`. */
export function podSpecsOf(docs: readonly ManifestDocument[]): PodSpecRef[] {
  const out: PodSpecRef[] = [];
  for (const doc of docs) {
    if (doc.role !== 'resource' || !isMap(doc.object)) continue;
    const kind = doc.object.kind;
    if (typeof kind !== 'string') continue;
    const path = POD_SPEC_PATHS[kind];
    if (!path) continue;
    let node: unknown = doc.object;
    for (const seg of path) node = isMap(node) ? node[seg as string] : undefined;
    if (isMap(node)) out.push({ doc, kind, path, spec: node, isLongRunning: LONG_RUNNING.has(kind) });
  }
  return out;
}

/** Init containers first, then containers. */
export function containersOf(pod: PodSpecRef): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const [key, isInit] of [['initContainers', true], ['containers', false]] as const) {
    const list = pod.spec[key];
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      if (isMap(c)) out.push({ container: c, path: [...pod.path, key, i], isInit, name: typeof c.name === 'string' ? c.name : `#${i}` });
    });
  }
  return out;
}

export function isMap(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
