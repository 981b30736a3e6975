// The values the runbook "mirror the images into ECR" tells on-call to write render the example chart with
// every init container pinned by digest to the registry it names (docs/runbooks/mirror-images-to-ecr.md).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exampleChartCopy, goTool, KUBE_VERSION, parseManifests, repoRoot, run, type Obj } from './helm.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const page = readFileSync(join(repoRoot, 'docs', 'runbooks', 'mirror-images-to-ecr.md'), 'utf8');
const section = page.slice(page.indexOf('## 4. Pin them in the values'), page.indexOf('## 5.'));
const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
const exampleChart = exampleChartCopy();

describe("the runbook's values pin every init container by digest", () => {
  it('has the per-step and the combined values', () => assert.equal(blocks.length, 2));
  for (const [i, values] of blocks.entries()) {
    it(`values block ${i + 1} renders, every init image ECR@sha256`, () => {
      const file = join(tempDir('runbook-values-'), 'values.yaml');
      writeFileSync(file, values);
      const result = run(goTool('helm'), ['template', 'demo', exampleChart(), '--kube-version', KUBE_VERSION, '--values', file]);
      assert.equal(result.status, 0, result.stderr);
      const pods = parseManifests(result.stdout).flatMap((o: Obj) =>
        o.kind === 'Deployment' ? [o.spec.template.spec] : o.kind === 'CronJob' ? [o.spec.jobTemplate.spec.template.spec] : [],
      );
      const images = pods.flatMap((pod: Obj) => (pod.initContainers ?? []).map((c: Obj) => c.image as string));
      assert.ok(images.length > 0);
      for (const image of images) assert.match(image, /^123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/init-toolkit\/[a-z-]+@sha256:[0-9a-f]{64}$/, image);
    });
  }
});
