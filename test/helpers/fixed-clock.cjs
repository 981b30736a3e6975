// Preloaded into a tool under test (NODE_OPTIONS=--require .../fixed-clock.cjs) with TEST_FIXED_NOW set to
// an ISO time: `new Date()` and `Date.now()` then give that time, so what the tool signs with the clock (an
// RDS IAM auth token) is known to the test in advance. Timers and deadlines run on the monotonic clock.
'use strict';
const fixed = Date.parse(process.env.TEST_FIXED_NOW ?? '');
if (Number.isNaN(fixed)) throw new Error('fixed-clock.cjs: TEST_FIXED_NOW is not an ISO time');
const RealDate = Date;
class FixedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(fixed);
    else super(...args);
  }
  static now() {
    return fixed;
  }
}
globalThis.Date = FixedDate;
