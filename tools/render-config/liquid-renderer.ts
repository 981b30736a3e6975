// How render-config renders its liquid templates: one at a time on the main thread, each with a heap budget
// (liquid-memory.ts); a template that outgrows it renders again on the worker thread (liquid-worker.ts),
// whose hard heap limit gives the verdict. Most runs never start the thread, which costs 30-45 ms.

import type { Liquid } from 'liquidjs';
import { startWorkerRenderer, type LiquidRender, type LiquidRenderer, type LiquidSetup } from './liquid-worker.ts';

export type { LiquidRenderer };

export function startLiquidRenderer(setup: LiquidSetup, signal: AbortSignal): LiquidRenderer {
  const worker = startWorkerRenderer(setup, signal);
  let main: { engine: Liquid; scope: object; module: typeof import('./liquid.ts') } | undefined;
  let usedSecret = false;
  let previous: Promise<unknown> = Promise.resolve();
  const renderOne = async (source: string, file: string): Promise<LiquidRender> => {
    if (main === undefined) {
      // Loaded once per run, and only when a template uses this syntax.
      const module = await import('./liquid.ts');
      const scope = module.scopeOf(setup.values, new Set(setup.secretNames), () => (usedSecret = true));
      main = { engine: module.createLiquid(setup.settings), scope, module };
    }
    usedSecret = false;
    const outcome = await main.module.renderLiquid(main.engine, source, file, main.scope, signal, { heapBudget: true });
    if (outcome !== main.module.OVER_HEAP_BUDGET) return { ...outcome, usedSecret };
    return worker.render(source, file);
  };
  return {
    render(source, file) {
      // One at a time: each render may hold up to its limits (32 doubling templates at once took 335 MB).
      const render = previous.then(() => renderOne(source, file));
      previous = render.catch(() => undefined);
      return render;
    },
    async close() {
      await previous;
      await worker.close();
    },
  };
}
