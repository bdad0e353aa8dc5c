import type { ManifestDocument, YamlPath } from './ManifestDocument';
import type { ManifestFinding, ManifestRule } from './ManifestFinding';

/** A finding before it is tied to its document: the checks produce these, `toFinding` completes them. */
export interface FindingDraft {
  severity: 'error' | 'warning';
  rule: ManifestRule;
  path: YamlPath;
  /** Set when the line cannot come from `path` (YAML nested in a string). */
  line?: number;
  message: string;
  fix: string;
}

/** `a.b[0]["x/y"]` from path segments. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** `Kind/name` of a manifest object, when it has them. */
export function resourceOf(object: unknown): string | undefined {
  if (!object || typeof object !== 'object') return undefined;
  const o = object as { kind?: unknown; metadata?: { name?: unknown } };
  if (typeof o.kind !== 'string') return undefined;
  const name = o.metadata && typeof o.metadata === 'object' && typeof o.metadata.name === 'string' ? o.metadata.name : '?';
  return `${o.kind}/${name}`;
}

/** Tie a draft to its document: file, document number, line, resource. */
export function toFinding(doc: ManifestDocument, draft: FindingDraft): ManifestFinding {
  const line = draft.line ?? doc.lineOf(draft.path);
  const resource = resourceOf(doc.object);
  return {
    severity: draft.severity,
    rule: draft.rule,
    file: doc.file,
    document: doc.document,
    ...(line !== undefined ? { line } : {}),
    ...(resource !== undefined ? { resource } : {}),
    path: formatPath(draft.path),
    message: draft.message,
    fix: draft.fix,
  };
}
