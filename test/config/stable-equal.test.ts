// stableEqual answers exactly what comparing two stableKey strings answers (duplicate job
// names across workflows are settled by it), without building the strings.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stableEqual, stableKey } from '../../src/config/util.ts';

const same = (a: unknown, b: unknown) => stableKey(a) === stableKey(b);

describe('stableEqual', () => {
  it.each([
    [{ a: 1, b: [1, 'x'] }, { b: [1, 'x'], a: 1 }],
    [{ a: 1 }, { a: 1, b: 2 }],
    [[1, 2], [2, 1]],
    [NaN, null],
    [Infinity, null],
    [-0, 0],
    [1, '1'],
    [undefined, undefined],
    [undefined, null],
    [[], {}],
    [{ a: { b: NaN } }, { a: { b: null } }],
    [Object.assign(Object.create(null) as object, { a: 1 }), { a: 1 }],
    ['<<', '<<'],
    [true, 'true'],
  ])('%j vs %j as stableKey compares', (a, b) => {
    expect(stableEqual(a, b)).toBe(same(a, b));
    expect(stableEqual(b, a)).toBe(same(b, a));
  });

  it('agrees with stableKey on generated values', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(null, 0, -0, 1, NaN, Infinity, '', 'a', 'b', true, false),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('v'), { maxKeys: 3 }),
      ),
    })).v;
    fc.assert(fc.property(value, value, (a, b) => stableEqual(a, b) === same(a, b)));
    // Equal values built in another key order.
    fc.assert(fc.property(value, (a) => stableEqual(a, JSON.parse(JSON.stringify(a)) as unknown) === same(a, JSON.parse(JSON.stringify(a)) as unknown)));
  });
});
