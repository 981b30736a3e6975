// Preloaded (--require, or NODE_OPTIONS=--require) by tests of the embedded packages: writes to stderr a
// line for every package a bundle compiles (scripts/lazy-runtime.cjs) and what V8 did with its code cache:
// `lazy-compile NAME cache=accepted`, `cache=rejected`, or `cache=none` when none was given.
const vm = require('node:vm');
const { writeSync } = require('node:fs');
const Script = vm.Script;
vm.Script = class extends Script {
  constructor(source, options) {
    super(source, options);
    const name = options?.filename;
    if (typeof name !== 'string' || !name.startsWith('lazy:')) return;
    const cache = options.cachedData === undefined ? 'none' : this.cachedDataRejected ? 'rejected' : 'accepted';
    writeSync(2, `lazy-compile ${name.slice(5)} cache=${cache}\n`);
  }
};
