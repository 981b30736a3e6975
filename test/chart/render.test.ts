// Renders the example chart (and through it the library) with several values files and asserts on
// the manifests, the way a reviewer reads `helm template` output.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartsCopy, envOf, find, goTool, parseManifests, podSpec, render, run, template, type Obj } from './helm.ts';

let charts: { dir: string; cleanup: () => void };
let chart: string;
before(() => {
  charts = chartsCopy();
  chart = join(charts.dir, 'example-app');
});
after(() => charts.cleanup());

const names = (containers: readonly Obj[]): string[] => containers.map((c) => c.name);
const mountsOf = (container: Obj): Record<string, { path: string; readOnly: boolean }> =>
  Object.fromEntries((container.volumeMounts ?? []).map((m: Obj) => [m.name, { path: m.mountPath, readOnly: m.readOnly === true }]));

describe('defaults', () => {
  it('runs the four tools in the designed order, then the app', () => {
    const spec = podSpec(parseManifests(render(chart)));
    assert.deepEqual(names(spec.initContainers), ['wait-for-db', 'copy-secrets', 'fetch-and-convert-data', 'render-config']);
    assert.deepEqual(names(spec.containers), ['app']);
  });

  it('gives every init container the restricted security context and the termination message policy', () => {
    const spec = podSpec(parseManifests(render(chart)));
    for (const c of spec.initContainers) {
      assert.deepEqual(
        c.securityContext,
        {
          runAsNonRoot: true,
          runAsUser: 65532,
          runAsGroup: 65532,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
        c.name,
      );
      assert.equal(c.terminationMessagePolicy, 'FallbackToLogsOnError', c.name);
      assert.ok(c.resources?.limits?.memory, `${c.name} has a memory limit`);
    }
    assert.equal(spec.securityContext.runAsNonRoot, true);
    assert.deepEqual(spec.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  });

  it('tags images with the library appVersion', () => {
    const spec = podSpec(parseManifests(render(chart)));
    assert.equal(spec.initContainers[0].image, 'init-toolkit/wait-for-db:0.1.0');
  });

  it('mounts each shared volume only where it is used, read-write only for its writer', () => {
    const spec = podSpec(parseManifests(render(chart)));
    const [waitForDb, copySecrets, fetchData, renderConfig] = spec.initContainers as Obj[];
    assert.deepEqual(mountsOf(waitForDb!), {});
    assert.deepEqual(mountsOf(copySecrets!), { 'init-secrets': { path: '/secrets', readOnly: false } });
    assert.deepEqual(mountsOf(fetchData!), { 'init-data': { path: '/data', readOnly: false } });
    assert.deepEqual(mountsOf(renderConfig!), {
      'init-config': { path: '/config', readOnly: false },
      'init-data': { path: '/data', readOnly: true },
      'init-secrets': { path: '/secrets', readOnly: true },
      'init-templates': { path: '/templates', readOnly: true },
    });
    const app = mountsOf(spec.containers[0]);
    for (const [volume, path] of [['init-secrets', '/secrets'], ['init-data', '/data'], ['init-config', '/config']]) {
      assert.deepEqual(app[volume!], { path, readOnly: true }, volume);
    }
  });

  it('passes each mount path to the flag that needs it', () => {
    const spec = podSpec(parseManifests(render(chart)));
    const env = Object.fromEntries((spec.initContainers as Obj[]).map((c) => [c.name, envOf(c)]));
    assert.equal(env['copy-secrets']!.COPY_SECRETS_OUT, '/secrets');
    assert.equal(env['fetch-and-convert-data']!.FETCH_AND_CONVERT_DATA_OUT, '/data');
    assert.equal(env['render-config']!.RENDER_CONFIG_OUT, '/config');
    assert.equal(env['render-config']!.RENDER_CONFIG_SECRETS_DIR, '/secrets');
    assert.equal(env['render-config']!.RENDER_CONFIG_TEMPLATES, '/templates');
    assert.equal(env['wait-for-db']!.WAIT_FOR_DB_TIMEOUT, '2m');
    assert.equal(env['wait-for-db']!.WAIT_FOR_DB_TARGETS, 'postgres://app@postgres:5432/app\nredis://redis:6379/0');
    assert.equal(env['copy-secrets']!.COPY_SECRETS_SECRETS, 'example-app/db?as=db.json\nexample-app/api-key?as=api_key');
  });

  it('keeps secrets in memory and limits every shared volume', () => {
    const volumes = Object.fromEntries(podSpec(parseManifests(render(chart))).volumes.map((v: Obj) => [v.name, v]));
    assert.deepEqual(volumes['init-secrets'].emptyDir, { medium: 'Memory', sizeLimit: '16Mi' });
    assert.deepEqual(volumes['init-data'].emptyDir, { sizeLimit: '1Gi' });
    assert.deepEqual(volumes['init-config'].emptyDir, { sizeLimit: '16Mi' });
    assert.equal(volumes['init-templates'].configMap.name, 'demo-example-app-templates');
    assert.equal(Object.keys(volumes).some((name) => name.startsWith('init-tool-config')), false, 'no tool config volume without config');
  });

  it('renders the templates ConfigMap and a helm test hook pod', () => {
    const objects = parseManifests(render(chart));
    assert.equal(typeof find(objects, 'ConfigMap', '-templates').data['app.json'], 'string');
    const test = find(objects, 'Pod', '-test');
    assert.equal(test.metadata.annotations['helm.sh/hook'], 'test');
    assert.equal(test.spec.restartPolicy, 'Never');
  });
});

describe('full production-like values', () => {
  const objects = (): Obj[] => parseManifests(render(chart, ['full.yaml']));

  it('pins a digest (it wins over the tag) and prefixes the registry', () => {
    const [waitForDb, copySecrets] = podSpec(objects()).initContainers as Obj[];
    assert.equal(
      waitForDb!.image,
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/init-toolkit/wait-for-db@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
    assert.equal(copySecrets!.image, '123456789012.dkr.ecr.eu-west-1.amazonaws.com/init-toolkit/copy-secrets:0.1.0');
  });

  it('maps settings to env vars, lists joined by newlines, and keeps valueFrom env', () => {
    const [waitForDb, copySecrets] = podSpec(objects()).initContainers as Obj[];
    const env = envOf(waitForDb!);
    assert.equal(env.WAIT_FOR_DB_ATTEMPT_TIMEOUT, '3s');
    assert.equal(env.WAIT_FOR_DB_TARGETS, 'postgres://app@postgres.db.svc:5432/app\nredis://cache.db.svc:6379');
    assert.equal(env.LOG_LEVEL, 'debug');
    assert.equal(env.AWS_REGION, undefined, 'wait-for-db does not call AWS');
    assert.deepEqual(waitForDb!.env.find((e: Obj) => e.name === 'PGPASSWORD').valueFrom, { secretKeyRef: { name: 'app-db', key: 'password' } });
    const secretsEnv = envOf(copySecrets!);
    assert.equal(secretsEnv.COPY_SECRETS_STRIP_PREFIX, 'true');
    assert.equal(secretsEnv.COPY_SECRETS_TAG, 'team=payments\nenv=prod');
    assert.equal(secretsEnv.AWS_REGION, 'eu-west-1');
  });

  it('writes structured config into a ConfigMap file passed with <TOOL>_CONFIG', () => {
    const all = objects();
    const spec = podSpec(all);
    const fetchData = (spec.initContainers as Obj[]).find((c) => c.name === 'fetch-and-convert-data')!;
    assert.equal(envOf(fetchData).FETCH_AND_CONVERT_DATA_CONFIG, '/etc/init-toolkit/fetch-and-convert-data.yaml');
    assert.deepEqual(mountsOf(fetchData)['init-tool-config-fetch-and-convert-data'], { path: '/etc/init-toolkit', readOnly: true });
    const volume = spec.volumes.find((v: Obj) => v.name === 'init-tool-config-fetch-and-convert-data');
    assert.deepEqual(volume.configMap.items, [{ key: 'fetch-and-convert-data.yaml', path: 'fetch-and-convert-data.yaml' }], 'a tool sees only its own file');
    const configMap = find(all, 'ConfigMap', '-tool-config');
    assert.deepEqual(Object.keys(configMap.data).sort(), ['copy-secrets.yaml', 'fetch-and-convert-data.yaml']);
    assert.match(configMap.data['fetch-and-convert-data.yaml'], /convert: csv:ndjson/);
    const waitForDb = (spec.initContainers as Obj[])[0]!;
    assert.deepEqual(Object.keys(mountsOf(waitForDb)), [], 'a tool without config mounts no config file');
    assert.equal(fetchData.resources.limits.memory, '256Mi');
  });

  it('drops a default setting set to null', () => {
    const spec = podSpec(parseManifests(render(chart, [], ['initToolkit.tools.fetch-and-convert-data.settings.source=null'])));
    const env = envOf((spec.initContainers as Obj[]).find((c) => c.name === 'fetch-and-convert-data')!);
    assert.equal('FETCH_AND_CONVERT_DATA_SOURCE' in env, false);
    assert.equal(env.FETCH_AND_CONVERT_DATA_NAME, 'countries.ndjson');
  });

  it('lists the image pull secrets', () => {
    const spec = podSpec(parseManifests(render(chart, ['full.yaml'], ['initToolkit.imagePullSecrets[0]=ecr-pull'])));
    assert.deepEqual(spec.imagePullSecrets, [{ name: 'ecr-pull' }]);
  });

  it('annotates the service account for IRSA', () => {
    const account = find(objects(), 'ServiceAccount');
    assert.equal(account.metadata.annotations['eks.amazonaws.com/role-arn'], 'arn:aws:iam::123456789012:role/example-app-init');
  });

  it('changes the pod checksum when a tool config changes', () => {
    const before = find(objects(), 'Deployment').spec.template.metadata.annotations['checksum/init-toolkit'];
    const changed = parseManifests(render(chart, ['full.yaml'], ['initToolkit.tools.copy-secrets.config.secrets[0]=app/prod/other']));
    assert.notEqual(find(changed, 'Deployment').spec.template.metadata.annotations['checksum/init-toolkit'], before);
  });
});

describe('order and selection', () => {
  it('follows order, but never before a dependency', () => {
    const spec = podSpec(parseManifests(render(chart, ['reordered.yaml'])));
    assert.deepEqual(names(spec.initContainers), ['copy-secrets', 'render-config', 'wait-for-db']);
  });

  it('uses an existing templates ConfigMap and creates none', () => {
    const objects = parseManifests(render(chart, ['existing-templates.yaml']));
    const spec = podSpec(objects);
    assert.deepEqual(names(spec.initContainers), ['wait-for-db', 'render-config']);
    assert.equal(spec.volumes.find((v: Obj) => v.name === 'init-templates').configMap.name, 'shared-templates');
    assert.equal(objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-templates')).length, 0);
  });

  it('renders a single tool without the templates volume, service or test hook', () => {
    const objects = parseManifests(render(chart, ['minimal.yaml']));
    const spec = podSpec(objects);
    assert.deepEqual(names(spec.initContainers), ['wait-for-db']);
    assert.deepEqual(spec.volumes.map((v: Obj) => v.name), ['init-secrets', 'init-data', 'init-config', 'app-code']);
    assert.equal(spec.serviceAccountName, 'default');
    assert.deepEqual(objects.map((o) => o.kind).sort(), ['ConfigMap', 'Deployment']);
  });
});

describe('a consumer without the alias', () => {
  it('reads the library values under `init-toolkit:`', () => {
    const copy = chartsCopy();
    try {
      const chartDir = join(copy.dir, 'example-app');
      const chartYaml = join(chartDir, 'Chart.yaml');
      writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace(/^\s*alias: initToolkit\n/m, ''));
      const valuesYaml = join(chartDir, 'values.yaml');
      writeFileSync(valuesYaml, readFileSync(valuesYaml, 'utf8').replace(/^initToolkit:/m, 'init-toolkit:'));
      const schema = join(chartDir, 'values.schema.json');
      writeFileSync(schema, readFileSync(schema, 'utf8').replace('"initToolkit": { "type": "object" }', '"init-toolkit": { "type": "object" }'));
      const result = run(goTool('helm'), ['template', 'demo', chartDir, '--kube-version', '1.35.4', '--set', 'init-toolkit.tools.wait-for-db.settings.timeout=7s']);
      assert.equal(result.status, 0, result.stderr);
      const spec = podSpec(parseManifests(result.stdout));
      assert.deepEqual(names(spec.initContainers), ['wait-for-db', 'copy-secrets', 'fetch-and-convert-data', 'render-config']);
      assert.equal(envOf(spec.initContainers[0]).WAIT_FOR_DB_TIMEOUT, '7s');
      assert.equal(spec.initContainers[0].image, 'init-toolkit/wait-for-db:0.1.0');
    } finally {
      copy.cleanup();
    }
  });
});

describe('render errors name the problem', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a dependency on a disabled tool', ['initToolkit.tools.fetch-and-convert-data.enabled=false', 'initToolkit.tools.render-config.dependsOn[0]=fetch-and-convert-data'], /tools\.render-config\.dependsOn names "fetch-and-convert-data", which is not an enabled tool/],
    ['a dependency cycle', ['initToolkit.tools.copy-secrets.dependsOn[0]=render-config', 'initToolkit.tools.render-config.dependsOn[0]=copy-secrets'], /cycle among copy-secrets, render-config/],
    ['a mapping in settings (the schema: structured input goes under config)', ['initToolkit.tools.wait-for-db.settings.targets.a=b'], /\/tools\/wait-for-db\/settings\/targets': 'anyOf' failed/],
    ['a setting that clashes with a mount', ['initToolkit.tools.copy-secrets.settings.out=/tmp'], /copy-secrets sets COPY_SECRETS_OUT twice/],
    ['render-config without templates', ['initToolkit.templates.files=null'], /render-config is enabled but has no templates/],
  ];
  for (const [what, set, message] of cases) {
    it(what, () => {
      const result = template(chart, [], set);
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, message);
    });
  }
});
