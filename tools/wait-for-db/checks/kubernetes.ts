// k8s:// targets: a Job completed, a Deployment rolled out, a Service with a ready endpoint, pods Ready.
// Each attempt is one GET to the API server (checks/kubernetes/client.ts), read by the rules of
// checks/kubernetes/readiness.ts. A resource that does not exist yet is not ready (Helm creates hook Jobs
// after the pods that wait for them may have started).

import { CheckFailure, type CheckResult } from '../outcome.ts';
import type { Probe } from '../probe.ts';
import type { Target } from '../target.ts';
import { ApiClient, type ApiRequest } from './kubernetes/client.ts';
import { loadApiConfig } from './kubernetes/config.ts';
import {
  deploymentReadiness,
  jobReadiness,
  podsReadiness,
  serviceReadiness,
  type Deployment,
  type EndpointSlice,
  type Job,
  type List,
  type Pod,
} from './kubernetes/readiness.ts';
import type { KubernetesResource } from './kubernetes/target.ts';

export async function kubernetesProbe(target: Target, env: NodeJS.ProcessEnv): Promise<Probe> {
  const config = await loadApiConfig(env);
  const resource = target.kubernetes as KubernetesResource;
  const request = apiRequest(resource, resource.namespace ?? config.namespace);
  const client = new ApiClient(config);
  return async (timeoutMs, signal) => {
    const answer = await client.get(request, timeoutMs, signal);
    if (!answer.found) return { ready: false, detail: `${request.what} not found (yet): ${answer.reason}` };
    try {
      return readiness(resource.kind, answer.body, request.what);
    } catch (error) {
      // The rules read the fields of a real API object; JSON of another shape (null, a string where a list
      // belongs) throws a TypeError there, which would be the whole failure line.
      if (!(error instanceof TypeError)) throw error;
      throw new CheckFailure(
        'protocol',
        `the answer of ${config.server.origin} to GET ${request.path} is not a ${request.resource} object as the Kubernetes API returns it: is it the API server?`,
        false,
      );
    }
  };
}

/** The one request per kind, with the verb and resource the ServiceAccount needs (the chart's Role grants exactly these). */
export function apiRequest(resource: KubernetesResource, namespace: string): ApiRequest {
  const ns = encodeURIComponent(namespace);
  const name = encodeURIComponent(resource.name ?? '');
  const where = `in namespace "${namespace}"`;
  switch (resource.kind) {
    case 'job':
      return { path: `/apis/batch/v1/namespaces/${ns}/jobs/${name}`, verb: 'get', resource: 'jobs.batch', namespace, what: `job "${resource.name}" ${where}` };
    case 'deployment':
      return {
        path: `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
        verb: 'get',
        resource: 'deployments.apps',
        namespace,
        what: `deployment "${resource.name}" ${where}`,
      };
    case 'service': {
      const selector = encodeURIComponent(`kubernetes.io/service-name=${resource.name}`);
      return {
        path: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=${selector}`,
        verb: 'list',
        resource: 'endpointslices.discovery.k8s.io',
        namespace,
        what: `service "${resource.name}" ${where}`,
      };
    }
    case 'pods':
      return {
        path: `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(resource.selector ?? '')}`,
        verb: 'list',
        resource: 'pods',
        namespace,
        what: `selector "${resource.selector}" ${where}`,
      };
  }
}

function readiness(kind: KubernetesResource['kind'], body: unknown, what: string): CheckResult {
  switch (kind) {
    case 'job':
      return jobReadiness(body as Job, what);
    case 'deployment':
      return deploymentReadiness(body as Deployment, what);
    case 'service':
      return serviceReadiness(body as List<EndpointSlice>, what);
    case 'pods':
      return podsReadiness(body as List<Pod>, what);
  }
}
