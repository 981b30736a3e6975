// Renders the example chart (and through it the library) with several values files and asserts on
// the manifests, the way a reviewer reads `helm template` output.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartsCopy, envOf, find, goTool, KUBE_VERSION, type Obj, parseManifests, podSpec, render, repoRoot, run, template } from './helm.ts';

/** The toolkit release: the default tag of the step images. */
const VERSION = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

let charts: { dir: string; cleanup: () => void };
let chart: string;
before(() => {
  charts = chartsCopy();
  chart = join(charts.dir, 'example-app');
});
after(() => charts.cleanup());

const names = (containers: readonly Obj[] | undefined): string[] => (containers ?? []).map((c) => c.name);
const mountsOf = (container: Obj): Record<string, { path: string; readOnly: boolean }> =>
  Object.fromEntries((container.volumeMounts ?? []).map((m: Obj) => [m.name, { path: m.mountPath, readOnly: m.readOnly === true }]));
const container = (spec: Obj, name: string): Obj => {
  const found = [...(spec.initContainers ?? []), ...spec.containers].find((c: Obj) => c.name === name);
  assert.ok(found, `no container ${name}`);
  return found;
};
const cronPod = (objects: readonly Obj[]): Obj => find(objects, 'CronJob').spec.jobTemplate.spec.template.spec;
const checksum = (objects: readonly Obj[]): string => find(objects, 'Deployment').spec.template.metadata.annotations['checksum/init-toolkit'];

describe('the example: named steps', () => {
  it('runs its five steps as init containers named after them, by order then name, dependencies first', () => {
    const spec = podSpec(parseManifests(render(chart)));
    assert.deepEqual(names(spec.initContainers), ['wait-cache', 'wait-db', 'secrets', 'data', 'config']);
    assert.deepEqual(names(spec.containers), ['app']);
    assert.equal(container(spec, 'wait-db').image, `init-toolkit/wait-for-db:${VERSION}`, 'two steps of one tool');
    assert.equal(container(spec, 'wait-cache').image, `init-toolkit/wait-for-db:${VERSION}`);
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

  it('mounts each shared volume only where it is used, read-write only for its writer', () => {
    const spec = podSpec(parseManifests(render(chart)));
    assert.deepEqual(mountsOf(container(spec, 'wait-db')), {});
    assert.deepEqual(mountsOf(container(spec, 'secrets')), { 'init-secrets': { path: '/secrets', readOnly: false } });
    assert.deepEqual(mountsOf(container(spec, 'data')), { 'init-data': { path: '/data', readOnly: false } });
    assert.deepEqual(mountsOf(container(spec, 'config')), {
      'init-config': { path: '/config', readOnly: false },
      'init-data': { path: '/data', readOnly: true },
      'init-secrets': { path: '/secrets', readOnly: true },
      'init-templates-config': { path: '/templates', readOnly: true },
    });
    const app = mountsOf(container(spec, 'app'));
    for (const [volume, path] of [
      ['init-secrets', '/secrets'],
      ['init-data', '/data'],
      ['init-config', '/config'],
    ]) {
      assert.deepEqual(app[volume!], { path, readOnly: true }, volume);
    }
  });

  it('passes each mount path to the flag that needs it, and settings as env vars', () => {
    const spec = podSpec(parseManifests(render(chart)));
    const env = (name: string): Record<string, string> => envOf(container(spec, name));
    assert.equal(env('secrets').COPY_SECRETS_OUT, '/secrets');
    assert.equal(env('data').FETCH_AND_CONVERT_DATA_OUT, '/data');
    assert.equal(env('config').RENDER_CONFIG_OUT, '/config');
    assert.equal(env('config').RENDER_CONFIG_SECRETS_DIR, '/secrets');
    assert.equal(env('config').RENDER_CONFIG_TEMPLATES, '/templates');
    assert.equal(env('wait-db').WAIT_FOR_DB_TIMEOUT, '2m');
    assert.equal(env('wait-db').WAIT_FOR_DB_TARGETS, 'db=postgres://app@postgres:5432/app');
    assert.equal(env('wait-db').WAIT_FOR_DB_PASSWORD_ENV, 'db=DB_PASSWORD');
    assert.equal(env('wait-cache').WAIT_FOR_DB_TARGETS, 'cache=redis://redis:6379/0');
    assert.equal(env('secrets').COPY_SECRETS_SECRETS, 'example-app/db?as=db.json\nexample-app/api-key?as=api_key');
  });

  it('writes secrets readable by the pod fsGroup (0440) by default: the app may run as another user of that group', () => {
    const spec = podSpec(parseManifests(render(chart)));
    assert.equal(envOf(container(spec, 'secrets')).COPY_SECRETS_MODE, '0440');
    assert.equal(spec.securityContext.fsGroup, 65532);
    const changed = podSpec(parseManifests(render(chart, [], ['initToolkit.steps.secrets.settings.mode=0400'])));
    assert.equal(envOf(container(changed, 'secrets')).COPY_SECRETS_MODE, '0400');
  });

  it('keeps secrets in memory and limits every shared volume', () => {
    const volumes = Object.fromEntries(podSpec(parseManifests(render(chart))).volumes.map((v: Obj) => [v.name, v]));
    assert.deepEqual(volumes['init-secrets'].emptyDir, { medium: 'Memory', sizeLimit: '16Mi' });
    assert.deepEqual(volumes['init-data'].emptyDir, { sizeLimit: '1Gi' });
    assert.deepEqual(volumes['init-config'].emptyDir, { sizeLimit: '16Mi' });
    assert.equal(volumes['init-templates-config'].configMap.name, 'demo-example-app-config-templates');
    assert.equal(
      Object.keys(volumes).some((name) => name.startsWith('init-tool-config')),
      false,
      'no step config volume without config',
    );
  });

  it('renders the templates ConfigMap and a helm test hook pod', () => {
    const objects = parseManifests(render(chart));
    assert.equal(typeof find(objects, 'ConfigMap', '-config-templates').data['app.json'], 'string');
    const test = find(objects, 'Pod', '-test');
    assert.equal(test.metadata.annotations['helm.sh/hook'], 'test');
    assert.equal(test.spec.restartPolicy, 'Never');
  });
});

describe('a second workload in the same chart (the CronJob)', () => {
  it('runs only its own steps, mounts only the volume they use, and has its own ConfigMaps and checksum', () => {
    const objects = parseManifests(render(chart, [], ['initToolkit.workloads.export.steps.data.config.jobs[0].source=s3://b/k.csv']));
    const pod = cronPod(objects);
    assert.deepEqual(names(pod.initContainers), ['data']);
    assert.deepEqual(
      pod.volumes.map((v: Obj) => v.name),
      ['init-data', 'init-step-config-data', 'app-code'],
    );
    assert.deepEqual(mountsOf(container(pod, 'report')), { 'init-data': { path: '/data', readOnly: true }, 'app-code': { path: '/example', readOnly: true } });
    assert.equal(pod.volumes.find((v: Obj) => v.name === 'init-step-config-data').configMap.name, 'demo-example-app-export-step-config');
    assert.ok(find(objects, 'ConfigMap', '-export-step-config').data['data.yaml'].includes('s3://b/k.csv'));
    assert.equal(
      objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'demo-example-app-step-config').length,
      0,
      'the Deployment has no step config',
    );
    assert.notEqual(find(objects, 'CronJob').spec.jobTemplate.spec.template.metadata.annotations['checksum/init-toolkit'], checksum(objects));
  });
});

describe('full production-like values', () => {
  const objects = (): Obj[] => parseManifests(render(chart, ['full.yaml']));

  it('pins a digest (it wins over the tag) and prefixes the registry; a step sets its own pull policy', () => {
    const spec = podSpec(objects());
    assert.equal(
      container(spec, 'wait-db').image,
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/init-toolkit/wait-for-db@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
    assert.equal(container(spec, 'secrets').image, '123456789012.dkr.ecr.eu-west-1.amazonaws.com/init-toolkit/copy-secrets:0.2.0-rc.1');
    assert.equal(container(spec, 'wait-cache').imagePullPolicy, 'Always');
    assert.equal(container(spec, 'wait-db').imagePullPolicy, 'IfNotPresent');
  });

  it('maps settings to env vars, lists joined by newlines, whole numbers without an exponent, and keeps valueFrom env', () => {
    const spec = podSpec(objects());
    const env = envOf(container(spec, 'wait-db'));
    assert.equal(env.WAIT_FOR_DB_ATTEMPT_TIMEOUT, '3s');
    assert.equal(env.LOG_LEVEL, 'debug');
    assert.equal(env.AWS_REGION, undefined, 'wait-for-db does not call AWS');
    assert.deepEqual(container(spec, 'wait-db').env.find((e: Obj) => e.name === 'DB_PASSWORD').valueFrom, {
      secretKeyRef: { name: 'app-db', key: 'password' },
    });
    const secretsEnv = envOf(container(spec, 'secrets'));
    assert.equal(secretsEnv.COPY_SECRETS_STRIP_PREFIX, 'true');
    assert.equal(secretsEnv.COPY_SECRETS_TAG, 'team=payments\nenv=prod');
    assert.equal(secretsEnv.AWS_REGION, 'eu-west-1');
    assert.equal(envOf(container(spec, 'data')).FETCH_AND_CONVERT_DATA_MAX_SOURCE_BYTES, '1073741824');
  });

  it('mounts a volume of the consumer into the step that names it (a CA bundle for verify-full)', () => {
    const spec = podSpec(objects());
    assert.deepEqual(mountsOf(container(spec, 'wait-db')), { 'rds-ca': { path: '/etc/rds', readOnly: true } });
    assert.equal(envOf(container(spec, 'wait-db')).WAIT_FOR_DB_CA_FILE, '/etc/rds/global-bundle.pem');
    assert.ok(spec.volumes.some((v: Obj) => v.name === 'rds-ca'));
  });

  it('writes a step config into a ConfigMap file passed with <TOOL>_CONFIG, each step seeing only its own', () => {
    const all = objects();
    const spec = podSpec(all);
    const data = container(spec, 'data');
    assert.equal(envOf(data).FETCH_AND_CONVERT_DATA_CONFIG, '/etc/init-toolkit/data.yaml');
    assert.deepEqual(mountsOf(data)['init-step-config-data'], { path: '/etc/init-toolkit', readOnly: true });
    const volume = spec.volumes.find((v: Obj) => v.name === 'init-step-config-data');
    assert.deepEqual(volume.configMap.items, [{ key: 'data.yaml', path: 'data.yaml' }]);
    const configMap = find(all, 'ConfigMap', 'app-step-config');
    assert.deepEqual(Object.keys(configMap.data).sort(), ['data.yaml', 'secrets.yaml']);
    assert.match(configMap.data['data.yaml'], /convert: csv:ndjson/);
    assert.equal(data.resources.limits.memory, '256Mi');
  });

  it('drops a default setting set to null', () => {
    const env = envOf(container(podSpec(objects()), 'data'));
    assert.equal('FETCH_AND_CONVERT_DATA_SOURCE' in env, false);
    assert.equal('FETCH_AND_CONVERT_DATA_NAME' in env, false);
  });

  it('lists the pull secrets, given as names or {name}, global ones first, once each', () => {
    const spec = podSpec(parseManifests(render(chart, ['full.yaml'], ['global.imagePullSecrets[0].name=org-pull', 'global.imagePullSecrets[1]=ecr-pull'])));
    assert.deepEqual(spec.imagePullSecrets, [{ name: 'org-pull' }, { name: 'ecr-pull' }, { name: 'mirror-pull' }]);
  });

  it('takes global.imageRegistry over the library registry, for the steps and the app', () => {
    const spec = podSpec(parseManifests(render(chart, ['full.yaml'], ['global.imageRegistry=mirror.example.com'])));
    assert.equal(container(spec, 'secrets').image, 'mirror.example.com/init-toolkit/copy-secrets:0.2.0-rc.1');
    assert.equal(container(spec, 'app').image, 'mirror.example.com/init-toolkit/render-config:0.2.0-rc.1');
  });

  it('labels and annotates the generated ConfigMaps (common labels, sync wave)', () => {
    const configMap = find(objects(), 'ConfigMap', 'app-step-config');
    assert.equal(configMap.metadata.labels.team, 'payments');
    assert.equal(configMap.metadata.labels['app.kubernetes.io/name'], 'example-app');
    assert.deepEqual(configMap.metadata.annotations, { 'argocd.argoproj.io/sync-wave': '-1', owner: 'platform' });
    assert.equal(find(objects(), 'Deployment').metadata.labels.team, 'payments');
  });

  it('annotates the service account for IRSA', () => {
    const account = find(objects(), 'ServiceAccount');
    assert.equal(account.metadata.annotations['eks.amazonaws.com/role-arn'], 'arn:aws:iam::123456789012:role/example-app-init');
  });

  it('changes the pod checksum when a step config or template changes, and only then', () => {
    const before = checksum(objects());
    assert.notEqual(checksum(parseManifests(render(chart, ['full.yaml'], ['initToolkit.steps.secrets.config.secrets[0]=app/prod/other']))), before);
    assert.notEqual(checksum(parseManifests(render(chart, ['full.yaml'], ['initToolkit.steps.config.templates.files.app\\.json=x']))), before);
    assert.equal(checksum(parseManifests(render(chart, ['full.yaml'], ['initToolkit.commonLabels.team=other', 'initToolkit.log.level=info']))), before);
    const copy = chartsCopy();
    try {
      const chartYaml = join(copy.dir, 'example-app', 'Chart.yaml');
      writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace(/^version: .*$/m, 'version: 9.9.9'));
      assert.equal(checksum(parseManifests(render(join(copy.dir, 'example-app'), ['full.yaml']))), before, 'a chart version bump alone rolls no pod');
    } finally {
      copy.cleanup();
    }
  });
});

describe('order and selection', () => {
  it('follows order, but never before a dependency', () => {
    const spec = podSpec(parseManifests(render(chart, ['reordered.yaml'])));
    assert.deepEqual(names(spec.initContainers), ['secrets', 'config', 'wait-cache', 'wait-db']);
  });

  it('uses an existing templates ConfigMap and creates none; its name is in the checksum', () => {
    const objects = parseManifests(render(chart, ['existing-templates.yaml']));
    const spec = podSpec(objects);
    assert.deepEqual(names(spec.initContainers), ['wait-cache', 'wait-db', 'config']);
    assert.equal(spec.volumes.find((v: Obj) => v.name === 'init-templates-config').configMap.name, 'shared-templates');
    assert.equal(objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-templates')).length, 0);
    const renamed = parseManifests(render(chart, ['existing-templates.yaml'], ['initToolkit.steps.config.templates.existingConfigMap=shared-templates-v2']));
    assert.notEqual(checksum(renamed), checksum(objects));
  });

  it('renders one step alone: only the volumes it uses, no templates, service or test hook', () => {
    const objects = parseManifests(render(chart, ['minimal.yaml']));
    const spec = podSpec(objects);
    assert.deepEqual(names(spec.initContainers), ['wait-db']);
    assert.deepEqual(
      spec.volumes.map((v: Obj) => v.name),
      ['app-code'],
    );
    assert.deepEqual(mountsOf(container(spec, 'app')), { 'app-code': { path: '/example', readOnly: true } });
    assert.equal(spec.serviceAccountName, 'default');
    assert.deepEqual(objects.map((o) => o.kind).sort(), ['ConfigMap', 'Deployment']);
  });

  it('renders a valid pod when no step is declared: no init containers, no shared volume', () => {
    const objects = parseManifests(render(chart, ['no-steps.yaml']));
    const spec = podSpec(objects);
    assert.equal('initContainers' in spec, false);
    assert.deepEqual(
      spec.volumes.map((v: Obj) => v.name),
      ['app-code'],
    );
    assert.equal('initContainers' in cronPod(objects), false);
  });

  it('runs several steps of one tool that write one volume into subdirectories', () => {
    const spec = podSpec(
      parseManifests(
        render(
          chart,
          [],
          [
            'initToolkit.steps.more-secrets.tool=copy-secrets',
            'initToolkit.steps.more-secrets.mounts.secrets.flag=out',
            'initToolkit.steps.more-secrets.mounts.secrets.write=true',
            'initToolkit.steps.more-secrets.mounts.secrets.path=more',
            'initToolkit.steps.more-secrets.settings.secrets[0]=app/more',
          ],
        ),
      ),
    );
    assert.equal(envOf(container(spec, 'more-secrets')).COPY_SECRETS_OUT, '/secrets/more');
    assert.deepEqual(mountsOf(container(spec, 'more-secrets')), { 'init-secrets': { path: '/secrets', readOnly: false } });
  });
});

describe('names and labels that must not meet', () => {
  it('two long step names that share their start get distinct volume names (a hash keeps them apart)', () => {
    const long = 'fetch-reference-tables-from-the-eu-west-1-bucket';
    const set = [`${long}-a`, `${long}-b`].flatMap((name, i) => [
      `initToolkit.steps.${name}.tool=fetch-and-convert-data`,
      `initToolkit.steps.${name}.config.jobs[0].source=s3://b/k${i}.csv`,
      `initToolkit.steps.${name}.mounts.data.flag=out`,
      `initToolkit.steps.${name}.mounts.data.write=true`,
      `initToolkit.steps.${name}.mounts.data.path=p${i}`,
    ]);
    const spec = podSpec(parseManifests(render(chart, [], set)));
    const names = spec.volumes.map((v: Obj) => v.name);
    assert.equal(new Set(names).size, names.length, `duplicate volume names: ${names.join(', ')}`);
    assert.ok(names.every((n: string) => n.length <= 63));
  });

  it('pull secret names render as strings, also when they look like numbers', () => {
    const spec = podSpec(parseManifests(render(chart, ['pull-secrets.yaml'])));
    assert.deepEqual(spec.imagePullSecrets, [{ name: '123' }, { name: 'true' }]);
  });

  it('commonLabels never replace a selector label of the pods', () => {
    const deployment = find(
      parseManifests(render(chart, [], ['initToolkit.commonLabels.app\\.kubernetes\\.io/name=other', 'initToolkit.commonLabels.team=payments'])),
      'Deployment',
    );
    assert.equal(deployment.spec.template.metadata.labels['app.kubernetes.io/name'], 'example-app');
    assert.equal(deployment.spec.template.metadata.labels.team, 'payments');
    assert.deepEqual(deployment.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'example-app', 'app.kubernetes.io/instance': 'demo' });
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
      const result = run(goTool('helm'), [
        'template',
        'demo',
        chartDir,
        '--kube-version',
        KUBE_VERSION,
        '--set',
        'init-toolkit.steps.wait-db.settings.timeout=7s',
      ]);
      assert.equal(result.status, 0, result.stderr);
      const spec = podSpec(parseManifests(result.stdout));
      assert.deepEqual(names(spec.initContainers), ['wait-cache', 'wait-db', 'secrets', 'data', 'config']);
      assert.equal(envOf(container(spec, 'wait-db')).WAIT_FOR_DB_TIMEOUT, '7s');
    } finally {
      copy.cleanup();
    }
  });
});

describe('render errors name the problem', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a dependency on a step that is not declared', ['initToolkit.steps.data=null'], /steps\.config\.dependsOn names "data", which is not a step here/],
    ['a dependency cycle', ['initToolkit.steps.secrets.dependsOn[0]=config'], /cycle among the steps config, secrets/],
    ['a setting that clashes with a mount', ['initToolkit.steps.secrets.settings.out=/tmp'], /steps\.secrets sets COPY_SECRETS_OUT twice/],
    ['render-config without templates', ['initToolkit.steps.config.templates=null'], /steps\.config \(render-config\) has no templates/],
    [
      'two steps writing one volume at one path',
      ['initToolkit.steps.more.tool=copy-secrets'],
      /steps more and secrets both write the secrets volume at "\/": give one of them mounts\.secrets\.path/,
    ],
    [
      'a ConfigMap name two workloads would share',
      [
        'initToolkit.steps.export-config.tool=render-config',
        'initToolkit.steps.export-config.templates.files.a=b',
        'initToolkit.workloads.export.steps.config.tool=render-config',
        'initToolkit.workloads.export.steps.config.templates.files.a=b',
      ],
      /steps and workloads\.export would both create the ConfigMap demo-example-app-export-config-templates/,
    ],
    ['a mount path that climbs out (..)', ['initToolkit.steps.secrets.mounts.secrets.path=..'], /mounts\/secrets\/path/],
    ['a label value the API refuses', ['initToolkit.commonLabels.team=a b'], /commonLabels\/team/],
    ['the values of 0.1 (tools.*)', ['initToolkit.tools.wait-for-db.enabled=true'], /initToolkit\.tools was replaced by initToolkit\.steps in 0\.2\.0/],
  ];
  for (const [what, set, message] of cases) {
    it(what, () => {
      const result = template(chart, [], set);
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, message);
    });
  }
});
