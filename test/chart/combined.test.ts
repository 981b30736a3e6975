// `combined`: all of a workload's steps in one init container (run-steps). What each step sees must be
// what its own container sees without `combined` (the same variables, Secret refs included; only the
// paths of its own templates and config file move under a directory of its name), the mounts must serve
// every step, and what one container cannot honour per step fails the render with the way out.
import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exampleChartCopy, find, goTool, KUBE_VERSION, parseManifests, podSpec, render, run, template, type Obj } from './helm.ts';

const exampleChart = exampleChartCopy();

const ON = 'initToolkit.combined.enabled=true';
const cronPod = (objects: readonly Obj[]): Obj => find(objects, 'CronJob').spec.jobTemplate.spec.template.spec;

/** What run-steps gives step n (from 1): the container's env without STEP<k>_ and RUN_STEPS_ vars, plus its own. */
function stepView(container: Obj, n: number): Obj[] {
  const env: Obj[] = container.env ?? [];
  const shared = env.filter((e) => !/^(STEP\d+_|RUN_STEPS_)/.test(e.name));
  const own = env.filter((e) => e.name.startsWith(`STEP${n}_`)).map((e) => ({ ...e, name: e.name.slice(`STEP${n}_`.length) }));
  return [...shared, ...own];
}

const byName = (env: readonly Obj[]): Record<string, Obj> => Object.fromEntries(env.map(({ name, ...rest }) => [name, rest]));

describe('combined: one init container for all steps', () => {
  for (const values of [[], ['combined.yaml']]) {
    it(`every step sees exactly what its own container sees without combined (${values.join(', ') || 'the defaults'})`, () => {
      const separate = podSpec(parseManifests(render(exampleChart(), values, ['initToolkit.combined.enabled=false'])));
      const combined = podSpec(parseManifests(render(exampleChart(), values, [ON])));
      assert.equal(combined.initContainers.length, 1);
      const one = combined.initContainers[0];
      assert.equal(one.name, 'init-toolkit');
      assert.match(one.image, /^init-toolkit\/run-steps:/);
      const list = byName(one.env).RUN_STEPS_STEPS?.value as string;
      assert.deepEqual(
        list.split(','),
        separate.initContainers.map((c: Obj) => `${c.name}=${c.image.replace(/^init-toolkit\/([^:@]+).*$/, '$1')}`),
        'the steps in the same order',
      );
      for (const [i, container] of separate.initContainers.entries()) {
        const expected = byName(container.env);
        const seen = byName(stepView(one, i + 1));
        // A step's own templates and config file are mounted under a directory of its name.
        for (const [name, value] of Object.entries(expected)) {
          if (/_(TEMPLATES|CONFIG)$/.test(name)) expected[name] = { value: value.value.replace(/^(\/templates|\/etc\/init-toolkit)/, `$1/${container.name}`) };
        }
        assert.deepEqual(seen, expected, container.name);
      }
      assert.deepEqual(one.securityContext, separate.initContainers[0].securityContext);
      assert.equal(one.terminationMessagePolicy, 'FallbackToLogsOnError');
    });
  }

  it('mounts each shared volume once, read-write when a step writes it, and each step its own files at the paths its env names', () => {
    const one = podSpec(parseManifests(render(exampleChart(), ['combined.yaml']))).initContainers[0];
    const mounts = Object.fromEntries(one.volumeMounts.map((m: Obj) => [m.mountPath, m]));
    for (const path of ['/secrets', '/data', '/config']) assert.equal(mounts[path]?.readOnly, false, path);
    assert.equal(mounts['/etc/rds']?.name, 'rds-ca', "a step's own volumeMounts");
    const env = byName(one.env);
    for (const [name, { value }] of Object.entries(env)) {
      if (!/_(TEMPLATES|CONFIG)$/.test(name)) continue;
      const dir = /_CONFIG$/.test(name) ? (value as string).replace(/\/[^/]+$/, '') : (value as string);
      assert.ok(mounts[dir]?.readOnly === true, `${name}=${value} has no read-only mount at ${dir}`);
    }
    assert.equal(new Set(one.volumeMounts.map((m: Obj) => m.mountPath)).size, one.volumeMounts.length, 'two mounts at one path');
  });

  it('is chosen per workload: the CronJob alone, or all but the CronJob', () => {
    const cronOnly = parseManifests(render(exampleChart(), [], ['initToolkit.workloads.export.combined.enabled=true']));
    assert.deepEqual(
      podSpec(cronOnly).initContainers.map((c: Obj) => c.name),
      ['wait-cache', 'wait-db', 'secrets', 'data', 'config'],
    );
    assert.deepEqual(
      cronPod(cronOnly).initContainers.map((c: Obj) => c.name),
      ['init-toolkit'],
    );
    const allButCron = parseManifests(render(exampleChart(), [], [ON, 'initToolkit.workloads.export.combined.enabled=false']));
    assert.deepEqual(
      podSpec(allButCron).initContainers.map((c: Obj) => c.name),
      ['init-toolkit'],
    );
    assert.deepEqual(
      cronPod(allButCron).initContainers.map((c: Obj) => c.name),
      ['data'],
    );
  });

  it('takes its name, image, pull policy, resources and securityContext from `combined`', () => {
    const one = podSpec(
      parseManifests(
        render(
          exampleChart(),
          [],
          [
            ON,
            'initToolkit.combined.name=init',
            'initToolkit.combined.image.registry=r.example.com',
            'initToolkit.combined.image.tag=1.2.3',
            'initToolkit.combined.pullPolicy=Always',
            'initToolkit.combined.resources.limits.memory=300Mi',
            'initToolkit.combined.securityContext.runAsUser=1000',
          ],
        ),
      ),
    ).initContainers[0];
    assert.equal(one.name, 'init');
    assert.equal(one.image, 'r.example.com/init-toolkit/run-steps:1.2.3');
    assert.equal(one.imagePullPolicy, 'Always');
    assert.equal(one.resources.limits.memory, '300Mi');
    assert.equal(one.securityContext.runAsUser, 1000);
    assert.equal(one.securityContext.readOnlyRootFilesystem, true, 'merged over securityContext');
  });

  it('refuses what one container cannot honour per step, and names the way out', () => {
    const cases: [string[], RegExp][] = [
      [
        ['initToolkit.steps.wait-db.image.tag=x'],
        /steps\.wait-db sets `image`, but combined\.enabled runs every step in one container: set it on combined, or turn combined off/,
      ],
      [['initToolkit.steps.data.resources.limits.memory=1Gi'], /steps\.data sets `resources`/],
      [['initToolkit.steps.config.securityContext.runAsUser=1'], /steps\.config sets `securityContext`/],
      [['initToolkit.steps.secrets.pullPolicy=Always'], /steps\.secrets sets `pullPolicy`/],
      [['initToolkit.steps.secrets.args[0]=--x'], /steps\.secrets sets `args`/],
      [['initToolkit.steps.secrets.envFrom[0].secretRef.name=s'], /steps\.secrets sets `envFrom`/],
      [
        ['initToolkit.steps.data.env[0].name=NODE_EXTRA_CA_CERTS', 'initToolkit.steps.data.env[0].value=/etc/ca/ca.pem'],
        /steps\.data sets env NODE_EXTRA_CA_CERTS, which Node\.js reads once for the whole process: with combined\.enabled set it in `env` \(all steps\), or turn combined off/,
      ],
      [
        ['initToolkit.steps.wait-db.env[0].name=NODE_OPTIONS', 'initToolkit.steps.wait-db.env[0].value=--max-old-space-size=64'],
        /steps\.wait-db sets env NODE_OPTIONS, which Node\.js reads once/,
      ],
      [
        ['initToolkit.env[0].name=STEP1_X', 'initToolkit.env[0].value=one'],
        /env STEP1_X would be read by run-steps as a step's own setting \(combined is on\): rename it/,
      ],
      [
        ['initToolkit.workloads.export.steps.data.image.tag=x', 'initToolkit.workloads.export.combined.enabled=true'],
        /workloads\.export\.steps\.data sets `image`, but workloads\.export\.combined\.enabled/,
      ],
      [
        [
          'initToolkit.steps.wait-db.env[0].name=A',
          'initToolkit.steps.wait-db.env[0].value=x',
          'initToolkit.steps.wait-db.env[1].name=B',
          'initToolkit.steps.wait-db.env[1].value=pre-$(A)',
        ],
        /steps\.wait-db: env B refers to \$\(A\), a variable of the step itself: in one combined container it is STEP2_A, so Kubernetes would not expand it/,
      ],
      [
        [
          'initToolkit.steps.wait-db.volumeMounts[0].name=a',
          'initToolkit.steps.wait-db.volumeMounts[0].mountPath=/x',
          'initToolkit.steps.data.volumeMounts[0].name=b',
          'initToolkit.steps.data.volumeMounts[0].mountPath=/x',
        ],
        /two different mounts at \/x in the combined init container \(volumes a and b\)/,
      ],
    ];
    for (const [set, message] of cases) {
      const result = template(exampleChart(), [], [ON, ...set]);
      assert.notEqual(result.status, 0, set.join(' '));
      assert.match(result.stderr, message, set.join(' '));
    }
  });

  it('keeps one copy of a volumeMount two steps both declare', () => {
    const mount = (step: string): string[] => [
      `initToolkit.steps.${step}.volumeMounts[0].name=ca`,
      `initToolkit.steps.${step}.volumeMounts[0].mountPath=/etc/ca`,
      `initToolkit.steps.${step}.volumeMounts[0].readOnly=true`,
    ];
    const one = podSpec(parseManifests(render(exampleChart(), [], [ON, ...mount('wait-db'), ...mount('data')]))).initContainers[0];
    assert.equal(one.volumeMounts.filter((m: Obj) => m.mountPath === '/etc/ca').length, 1);
  });

  it('a shared variable in $(VAR) is still expanded by Kubernetes: it keeps its name', () => {
    const one = podSpec(
      parseManifests(
        render(
          exampleChart(),
          [],
          [
            ON,
            'initToolkit.env[0].name=A',
            'initToolkit.env[0].value=x',
            'initToolkit.steps.wait-db.env[0].name=B',
            'initToolkit.steps.wait-db.env[0].value=pre-$(A)',
          ],
        ),
      ),
    ).initContainers[0];
    assert.deepEqual(
      one.env.find((e: Obj) => e.name === 'STEP2_B'),
      { name: 'STEP2_B', value: 'pre-$(A)' },
    );
    assert.ok(one.env.findIndex((e: Obj) => e.name === 'A') < one.env.findIndex((e: Obj) => e.name === 'STEP2_B'), 'defined before its use');
  });

  it("the example's NOTES name the one init container to read the logs of", (t) => {
    // helm template leaves NOTES.txt out: rendered under another name in the chart copy.
    const templates = join(exampleChart(), 'templates');
    copyFileSync(join(templates, 'NOTES.txt'), join(templates, 'notes-rendered.txt'));
    t.after(() => rmSync(join(templates, 'notes-rendered.txt')));
    const notes = (set: string[]): string => {
      const result = run(goTool('helm'), [
        'template',
        'demo',
        exampleChart(),
        '--kube-version',
        KUBE_VERSION,
        '--show-only',
        'templates/notes-rendered.txt',
        ...set.flatMap((pair) => ['--set', pair]),
      ]);
      assert.equal(result.status, 0, result.stderr);
      return result.stdout;
    };
    const combined = notes([ON]);
    assert.match(
      combined,
      /Its init steps run in one init container, init-toolkit, in this order:\n  1\. wait-cache\n  2\. wait-db\n  3\. secrets\n  4\. data\n  5\. config\n/,
    );
    assert.match(combined, /logs deploy\/demo-example-app -c init-toolkit\n/);
    const separate = notes([]);
    assert.match(separate, /Its init containers run in this order:/);
    assert.match(separate, /-c <init container>\n/);
  });
});
