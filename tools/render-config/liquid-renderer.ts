// How render-config renders its liquid templates: one at a time on the main thread, each with a heap budget
// (liquid-memory.ts); a template that outgrows it renders again on the worker thread (liquid-worker.ts),
// whose hard heap limit gives the verdict. Most runs never start the thread, which costs 30-45 ms.

import type { liquidSession, LiquidRender, LiquidSetup } from './liquid.ts';
import { startWorkerRenderer, type LiquidRenderer } from './liquid-worker.ts';

export type { LiquidRenderer };

export function startLiquidRenderer(setup: LiquidSetup, signal: AbortSignal): LiquidRenderer {
  const worker = startWorkerRenderer(setup, signal);
  let main: ReturnType<typeof liquidSession> | undefined;
  let previous: Promise<unknown> = Promise.resolve();
  const renderOne = async (source: string, file: string): Promise<LiquidRender> => {
    if (main === undefined) {
      // Loaded once per run, and only when a template uses this syntax.
      main = (await import('./liquid.ts')).liquidSession(setup);
    }
    return (await main.renderWithinBudget(source, file, signal)) ?? worker.render(source, file);
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
