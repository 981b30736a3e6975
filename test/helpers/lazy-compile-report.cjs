// Preloaded (NODE_OPTIONS=--require) by tests that check what a bundle compiles: appends the name of every
// embedded package the bundle compiles (scripts/build.mjs, filename lazy:NAME) to the file LAZY_COMPILE_REPORT.
const vm = require('node:vm');
const { appendFileSync } = require('node:fs');
const compileFunction = vm.compileFunction;
vm.compileFunction = function (source, params, options) {
  const name = options?.filename;
  if (typeof name === 'string' && name.startsWith('lazy:') && process.env.LAZY_COMPILE_REPORT)
    appendFileSync(process.env.LAZY_COMPILE_REPORT, `${name.slice(5)}\n`);
  return compileFunction.call(this, source, params, options);
};
