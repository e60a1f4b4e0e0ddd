import { it } from 'vitest'

type TestFn = (name: string, fn: () => unknown) => void

export interface MaybeFailingIt extends TestFn {
  /** One test per case; `%s` in the name is replaced by the case. */
  each<T extends string | number>(cases: readonly T[]): (name: string, fn: (value: T) => unknown) => void
}

/**
 * `it`, or `it.fails` when `bug` names a known product bug that makes this very test fail. The bug is
 * put in the test's name, so the run says what is broken; once the bug is fixed the `it.fails` test
 * fails, which is the cue to drop the entry.
 */
export function itUnless(bug: string | undefined): MaybeFailingIt {
  // CACHESYNC_TEST_SHOW_BUGS=1 runs them as plain tests, to see how exactly each one fails.
  const show = process.env.CACHESYNC_TEST_SHOW_BUGS === '1'
  const run: TestFn = bug === undefined ? (name, fn) => it(name, fn) : (name, fn) => (show ? it : it.fails)(`${name} [KNOWN BUG: ${bug}]`, fn)
  return Object.assign(run, {
    each<T extends string | number>(cases: readonly T[]) {
      return (name: string, fn: (value: T) => unknown) => {
        for (const value of cases) run(name.replace('%s', String(value)), () => fn(value))
      }
    },
  })
}
