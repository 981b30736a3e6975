// k8s:// targets: which Kubernetes resource to wait for, parsed and validated before any waiting (a typo
// such as k8s://jobs/x is a usage error with the fix, not a 404 retried until the deadline). Imported by
// target.ts; the API client and the readiness rules are loaded only when a k8s:// target is used.

import { UsageError } from '../../../core/errors.ts';

export type ResourceKind = 'job' | 'deployment' | 'service' | 'pods';

export interface KubernetesResource {
  kind: ResourceKind;
  /** The Job, Deployment or Service name; undefined for pods. */
  name: string | undefined;
  /** The label selector of pods, as written (validated); undefined for the other kinds. */
  selector: string | undefined;
  /** ?namespace=, or undefined for the default one (the pod's own, or the kubeconfig context's). */
  namespace: string | undefined;
}

/** What is written instead of a kind, and the form to write. */
const KIND_FIXES: Record<string, string> = {
  jobs: 'k8s://job/NAME',
  'jobs.batch': 'k8s://job/NAME',
  deployments: 'k8s://deployment/NAME',
  deploy: 'k8s://deployment/NAME',
  services: 'k8s://service/NAME',
  svc: 'k8s://service/NAME',
  pod: 'k8s://pods?selector=LABEL%3DVALUE (pods are chosen by label)',
  po: 'k8s://pods?selector=LABEL%3DVALUE',
  endpointslices: 'k8s://service/NAME (its EndpointSlices are what is checked)',
  endpoints: 'k8s://service/NAME (its EndpointSlices are what is checked)',
};
const FORMS = 'k8s://job/NAME, k8s://deployment/NAME, k8s://service/NAME or k8s://pods?selector=app%3Ddb, each with an optional ?namespace=NS';

/** DNS-1123 subdomain: the names of Jobs and Deployments. */
const SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** DNS-1035 label: the names of Services. */
const SERVICE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** DNS-1123 label: the names of namespaces. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function parseKubernetesTarget(url: URL, display: string): KubernetesResource {
  const bad = (problem: string): UsageError => new UsageError(`invalid target "${display}": ${problem}`);
  if (url.username || url.password || url.port)
    throw bad(
      `a k8s:// target has no user, password or port: write ${FORMS}; the API server and its credentials come from the pod's ServiceAccount or the kubeconfig`,
    );
  const kind = url.hostname;
  if (!['job', 'deployment', 'service', 'pods'].includes(kind)) {
    const fix = KIND_FIXES[kind.toLowerCase()];
    throw bad(fix ? `write ${fix} instead of "${kind}"` : `unknown resource kind "${kind}"; write ${FORMS}`);
  }
  const params = parameters(url, kind as ResourceKind, bad);
  const namespace = params.get('namespace');
  if (namespace !== undefined && !NAMESPACE.test(namespace))
    throw bad(`namespace "${namespace}" is not a namespace name (lowercase letters, digits and "-", at most 63)`);
  if (kind === 'pods') {
    if (url.pathname !== '') throw bad('pods are chosen by a label selector, not a name: write k8s://pods?selector=app%3Ddb');
    const selector = params.get('selector');
    if (selector === undefined) throw bad('k8s://pods needs ?selector=, e.g. k8s://pods?selector=app%3Ddb (every pod it matches must be Ready)');
    const problem = selectorProblem(selector);
    if (problem) throw bad(`selector "${selector}": ${problem}`);
    return { kind, name: undefined, selector, namespace };
  }
  const name = decodeName(url.pathname.slice(1), bad);
  if (name === '') throw bad(`the ${kind} has no name: write k8s://${kind}/NAME`);
  const valid = kind === 'service' ? SERVICE_NAME : SUBDOMAIN;
  if (!valid.test(name)) {
    throw bad(
      `"${name}" is not a ${kind} name (${kind === 'service' ? 'a lowercase letter, then lowercase letters, digits and "-", at most 63' : 'lowercase letters, digits, "-" and ".", at most 253'})`,
    );
  }
  return { kind: kind as Exclude<ResourceKind, 'pods'>, name, selector: undefined, namespace };
}

/** The query parameters, each at most once: namespace, and selector for pods. */
function parameters(url: URL, kind: ResourceKind, bad: (problem: string) => UsageError): Map<string, string> {
  const allowed = kind === 'pods' ? ['namespace', 'selector'] : ['namespace'];
  const params = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    if (!allowed.includes(name)) throw bad(`unsupported parameter "${name}"; a k8s://${kind} target takes ${allowed.join(' and ')}`);
    if (params.has(name)) throw bad(`the parameter "${name}" is given twice`);
    params.set(name, value);
  }
  if (url.hash) throw bad('a k8s:// target has no "#" part');
  return params;
}

function decodeName(path: string, bad: (problem: string) => UsageError): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw bad('the name has a "%" that does not start an escape');
  }
}

/** A label key: an optional DNS subdomain prefix and "/", then a name of at most 63 characters. */
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** One requirement of a set-based selector: "key in (a,b)", "key notin (a)". */
const SET_REQUIREMENT = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^()]*)\)$/;
/** One equality or existence requirement: "key=v", "key==v", "key!=v", "key", "!key". */
const EQUALITY_REQUIREMENT = /^(!?)\s*([^\s!=(),]+)\s*(?:(==|=|!=)\s*([^\s!=(),]*))?$/;

/**
 * Why a label selector would be refused by the API server (HTTP 400 on every attempt), or undefined when
 * it is valid: requirements separated by ",", in the grammar of Kubernetes' label selectors.
 */
export function selectorProblem(selector: string): string | undefined {
  if (selector.trim() === '') return 'it is empty; write LABEL=VALUE, e.g. app=db';
  for (const requirement of splitRequirements(selector)) {
    const set = SET_REQUIREMENT.exec(requirement);
    if (set) {
      const values = set[3]!.split(',').map((v) => v.trim());
      const keyProblem = labelKeyProblem(set[1]!);
      if (keyProblem) return keyProblem;
      const badValue = values.find((v) => v === '' || !LABEL_VALUE.test(v));
      if (badValue !== undefined) return `"${requirement}": "${badValue}" is not a label value (up to 63 letters, digits, "-", "_", ".")`;
      continue;
    }
    const equality = EQUALITY_REQUIREMENT.exec(requirement);
    if (!equality || (equality[1] && equality[3])) {
      return `"${requirement}" is not a requirement; write LABEL=VALUE, LABEL!=VALUE, LABEL, !LABEL or LABEL in (A,B), separated by ","`;
    }
    const keyProblem = labelKeyProblem(equality[2]!);
    if (keyProblem) return keyProblem;
    if (equality[3] && !LABEL_VALUE.test(equality[4]!))
      return `"${requirement}": "${equality[4]}" is not a label value (up to 63 letters, digits, "-", "_", ".")`;
  }
  return undefined;
}

/** The requirements of a selector: split at the commas outside "( )". */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    if (selector[i] === '(') depth++;
    else if (selector[i] === ')') depth--;
    else if (selector[i] === ',' && depth === 0) {
      parts.push(selector.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(selector.slice(start).trim());
  return parts;
}

function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && !SUBDOMAIN.test(prefix)) return `"${key}": the prefix "${prefix}" is not a DNS subdomain (e.g. app.kubernetes.io)`;
  if (!LABEL_NAME.test(name)) return `"${key}" is not a label key (up to 63 letters, digits, "-", "_", ".", starting and ending with a letter or digit)`;
  return undefined;
}
