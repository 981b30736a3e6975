// When a Kubernetes resource counts as ready, from the API object alone (pure functions: the unit tests
// feed them API objects as the API server returns them).

import { CheckFailure, type CheckResult } from '../../outcome.ts';

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}
interface ObjectMeta {
  name?: string;
  generation?: number;
  deletionTimestamp?: string;
}

export interface Job {
  status?: { conditions?: Condition[]; active?: number; succeeded?: number; failed?: number };
}

export interface Deployment {
  metadata?: ObjectMeta;
  spec?: { replicas?: number; paused?: boolean };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number; conditions?: Condition[] };
}

export interface Pod {
  metadata?: ObjectMeta;
  status?: { phase?: string; conditions?: Condition[] };
}

export interface EndpointSlice {
  endpoints?: Array<{ conditions?: { ready?: boolean | null } }> | null;
}

export interface List<T> {
  items?: T[] | null;
}

function trueCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type && c.status === 'True');
}

/**
 * Complete=True is ready; Failed=True (or FailureTarget=True, which Kubernetes 1.31+ sets first, while
 * the pods terminate) fails fast: a failed Job does not run again by itself.
 */
export function jobReadiness(job: Job, what: string): CheckResult {
  const conditions = job.status?.conditions;
  const failed = trueCondition(conditions, 'Failed') ?? trueCondition(conditions, 'FailureTarget');
  if (failed) {
    const why = [failed.reason, failed.message].filter(Boolean).join(': ') || 'no reason given';
    throw new CheckFailure('job-failed', `${what} failed (${why}); waiting cannot fix this: see kubectl describe job and the logs of its pods`, false);
  }
  const counts = `${job.status?.active ?? 0} active, ${job.status?.succeeded ?? 0} succeeded, ${job.status?.failed ?? 0} failed`;
  if (trueCondition(conditions, 'Complete')) return { ready: true, detail: `${what} completed (${counts})` };
  if (trueCondition(conditions, 'Suspended')) return { ready: false, detail: `${what} is suspended` };
  return { ready: false, detail: `${what} has not completed yet (${counts})` };
}

/**
 * What `kubectl rollout status` waits for: the controller has seen the latest spec (observedGeneration),
 * every replica runs the new template (updatedReplicas), no old replica is left (replicas), and the
 * new ones are available; plus Available=True. A Progressing condition of ProgressDeadlineExceeded, on
 * which kubectl gives up, is shown but waited through: the controller keeps trying, and --timeout bounds
 * the wait.
 */
export function deploymentReadiness(deployment: Deployment, what: string): CheckResult {
  const { metadata, spec, status } = deployment;
  const notReady = (why: string): CheckResult => {
    const progressing = status?.conditions?.find((c) => c.type === 'Progressing');
    const stuck = progressing?.reason === 'ProgressDeadlineExceeded' ? ' (its progress deadline is exceeded)' : '';
    return { ready: false, detail: `${what}: ${why}${stuck}` };
  };
  if ((status?.observedGeneration ?? 0) < (metadata?.generation ?? 0)) return notReady('the controller has not seen its latest spec yet');
  // An unset spec.replicas defaults to 1 on the API server; it is always set in what the API returns.
  const wanted = spec?.replicas ?? 1;
  const updated = status?.updatedReplicas ?? 0;
  const available = status?.availableReplicas ?? 0;
  const total = status?.replicas ?? 0;
  if (spec?.paused) return notReady('its rollout is paused');
  if (updated < wanted) return notReady(`${updated} of ${wanted} new replicas updated`);
  if (total > updated) return notReady(`${total - updated} old replicas pending termination`);
  if (available < updated || available < wanted) return notReady(`${available} of ${wanted} replicas available`);
  if (!trueCondition(status?.conditions, 'Available')) return notReady('its condition Available is not True');
  return { ready: true, detail: `${what} rolled out (${available} of ${wanted} replicas available)` };
}

/** At most this many not-ready pods are named in a detail line. */
const NAMED_PODS = 3;

/**
 * At least one pod matches, and every matching pod has Ready=True. Pods being deleted are left out: a
 * rolling update's old pods are on their way out and not what the selector is meant to wait for.
 */
export function podsReadiness(list: List<Pod>, what: string): CheckResult {
  const pods = (list.items ?? []).filter((pod) => !pod.metadata?.deletionTimestamp);
  if (pods.length === 0) return { ready: false, detail: `no pod matches ${what} (yet)` };
  const notReady = pods.filter((pod) => !trueCondition(pod.status?.conditions, 'Ready'));
  if (notReady.length === 0) return { ready: true, detail: `${pods.length} of ${pods.length} pods matching ${what} ready` };
  const named = notReady.slice(0, NAMED_PODS).map((pod) => {
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
    return `${pod.metadata?.name ?? '?'} (${ready?.reason ?? pod.status?.phase ?? 'no status yet'})`;
  });
  const more = notReady.length > NAMED_PODS ? ` and ${notReady.length - NAMED_PODS} more` : '';
  return { ready: false, detail: `${pods.length - notReady.length} of ${pods.length} pods matching ${what} ready; not ready: ${named.join(', ')}${more}` };
}

/**
 * At least one ready endpoint in the Service's EndpointSlices. An unset `ready` counts as ready, as the
 * EndpointSlice API defines it (and kube-proxy reads it); terminating endpoints have ready=false.
 */
export function serviceReadiness(list: List<EndpointSlice>, what: string): CheckResult {
  const slices = list.items ?? [];
  if (slices.length === 0) return { ready: false, detail: `${what} has no EndpointSlice (yet): does the Service exist, with a selector?` };
  const endpoints = slices.flatMap((slice) => slice.endpoints ?? []);
  const ready = endpoints.filter((endpoint) => endpoint.conditions?.ready !== false).length;
  if (ready === 0) return { ready: false, detail: `${what} has no ready endpoint (${endpoints.length} not ready)` };
  return { ready: true, detail: `${what} has ${ready} ready endpoint${ready === 1 ? '' : 's'}` };
}
