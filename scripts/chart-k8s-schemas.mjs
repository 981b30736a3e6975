#!/usr/bin/env node
// Derives strict, standalone JSON schemas for kubeconform from the OpenAPI (swagger 2.0) document
// of a pinned Kubernetes release, offline: the Go module proxy serves k8s.io/kubernetes as source,
// and the source carries api/openapi-spec/swagger.json. Output layout is kubeconform's
// `{{ .NormalizedKubernetesVersion }}-standalone-strict/{{ .ResourceKind }}{{ .KindSuffix }}.json`.
//
// Usage: node scripts/chart-k8s-schemas.mjs   (prints the schema directory; cached, idempotent)
//
// Strict means: every object that lists its properties gets `additionalProperties: false`, so an
// unknown or misspelled field fails validation, as it does on a real API server with strict field
// validation.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KUBERNETES_VERSION = '1.35.4';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheRoot = join(root, '.cache', 'k8s-schemas');
const outDir = join(cacheRoot, `v${KUBERNETES_VERSION}-standalone-strict`);
const stamp = join(outDir, '.complete');

/** The kubeconform schema-location template that resolves to the directory written here. */
export const SCHEMA_LOCATION = join(cacheRoot, '{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}', '{{ .ResourceKind }}{{ .KindSuffix }}.json');

function downloadSwagger() {
  const gopath = join(root, '.cache', 'go');
  let info;
  try {
    const out = execFileSync('go', ['mod', 'download', '-json', `k8s.io/kubernetes@v${KUBERNETES_VERSION}`], {
      cwd: cacheRoot,
      env: { ...process.env, GOPATH: gopath, GOFLAGS: '-modcacherw', GO111MODULE: 'on' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    info = JSON.parse(out.toString());
  } catch (error) {
    throw new Error(
      `chart-k8s-schemas: cannot download k8s.io/kubernetes@v${KUBERNETES_VERSION} through the Go module proxy (is 'go' installed and GOPROXY reachable?)`,
      { cause: error },
    );
  }
  if (info.Error) throw new Error(`chart-k8s-schemas: go mod download: ${info.Error}`);
  return JSON.parse(readFileSync(join(info.Dir, 'api', 'openapi-spec', 'swagger.json'), 'utf8'));
}

/** kubeconform's file name: kind, then the first label of the group (if any), then the version. */
function fileName(gvk) {
  const group = gvk.group ? `-${gvk.group.split('.')[0]}` : '';
  return `${gvk.kind.toLowerCase()}${group}-${gvk.version}.json`.toLowerCase();
}

const INT_OR_STRING = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
// resource.Quantity is a string on the wire, but YAML users write `cpu: 1`; the API server accepts both.
const QUANTITY = { anyOf: [{ type: 'string' }, { type: 'number' }] };

/** Inlines every $ref (standalone schema) and makes described objects strict. Recursion is cut at a cycle. */
function convert(schema, definitions, stack) {
  if (Array.isArray(schema)) return schema.map((s) => convert(s, definitions, stack));
  if (schema === null || typeof schema !== 'object') return schema;
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/definitions/', '');
    if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') return { ...QUANTITY, description: schema.description };
    if (stack.includes(name)) return {}; // a recursive type (JSONSchemaProps): accept anything below the cycle
    const target = definitions[name];
    if (!target) throw new Error(`chart-k8s-schemas: unresolved $ref ${schema.$ref}`);
    return convert(target, definitions, [...stack, name]);
  }
  if (schema.format === 'int-or-string') return { ...INT_OR_STRING, description: schema.description };
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value).map(([p, s]) => [p, convert(s, definitions, stack)]));
    } else if (key === 'items' || key === 'additionalProperties' || key === 'allOf' || key === 'anyOf' || key === 'oneOf') {
      out[key] = convert(value, definitions, stack);
    } else if (!key.startsWith('x-')) {
      out[key] = value;
    }
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function build() {
  mkdirSync(cacheRoot, { recursive: true });
  const swagger = downloadSwagger();
  const definitions = swagger.definitions;
  const staging = `${outDir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  let count = 0;
  for (const [name, definition] of Object.entries(definitions)) {
    const gvks = definition['x-kubernetes-group-version-kind'];
    if (!gvks || !definition.properties?.kind) continue;
    const schema = convert(definition, definitions, [name]);
    for (const gvk of gvks) {
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      const specific = structuredClone(schema);
      specific.properties.apiVersion = { ...specific.properties.apiVersion, enum: [apiVersion] };
      specific.properties.kind = { ...specific.properties.kind, enum: [gvk.kind] };
      specific.$schema = 'http://json-schema.org/draft-07/schema#';
      writeFileSync(join(staging, fileName(gvk)), JSON.stringify(specific));
      count++;
    }
  }
  writeFileSync(join(staging, '.complete'), `${count} schemas from k8s.io/kubernetes@v${KUBERNETES_VERSION}\n`);
  rmSync(outDir, { recursive: true, force: true });
  renameSync(staging, outDir);
  return count;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!existsSync(stamp)) {
    const count = build();
    process.stderr.write(`chart-k8s-schemas: wrote ${count} strict schemas for Kubernetes v${KUBERNETES_VERSION}\n`);
  }
  process.stdout.write(`${outDir}\n`);
}
