import { relative } from 'node:path'
import type { Reporter, TestModule, Vitest } from 'vitest/node'

const tests = (n: number): string => `${n} test${n === 1 ? '' : 's'}`

/**
 * Beside the default reporter: a line for each file whose tests were skipped for a missing tool or
 * data (system-tools.ts), and at the end of the run how many were skipped, per reason.
 */
export default class SkipSummaryReporter implements Reporter {
  #vitest: Vitest | undefined
  #counts = new Map<string, number>()

  onInit(vitest: Vitest): void {
    this.#vitest = vitest
  }

  onTestRunStart(): void {
    this.#counts.clear()
  }

  onTestModuleEnd(module: TestModule): void {
    const here = new Map<string, number>()
    for (const test of module.children.allTests('skipped')) {
      const reason = test.meta().missing
      if (reason !== undefined) here.set(reason, (here.get(reason) ?? 0) + 1)
    }
    const file = relative(this.#vitest?.config.root ?? process.cwd(), module.moduleId)
    for (const [reason, count] of here) {
      this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + count)
      this.#log(` ↓ ${file}: ${tests(count)} skipped: ${reason}`)
    }
  }

  onTestRunEnd(): void {
    if (this.#counts.size === 0) return
    const total = [...this.#counts.values()].reduce((sum, n) => sum + n, 0)
    const width = String(Math.max(...this.#counts.values())).length
    this.#log(` Skipped ${tests(total)} for what this machine lacks (CACHESYNC_TEST_STRICT=1 fails those that need a tool):`)
    for (const [reason, count] of [...this.#counts].sort((a, b) => b[1] - a[1])) this.#log(`   ${String(count).padStart(width)}  ${reason}`)
    this.#log('')
  }

  #log(line: string): void {
    if (this.#vitest === undefined) console.log(line)
    else this.#vitest.logger.log(line)
  }
}
