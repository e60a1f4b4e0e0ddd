import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../../helpers/paths.js'

describe('the CLI logger', () => {
  it('redacts secret fields by path, however a caller nests them', () => {
    const script = `
      import { createLogger } from './dist/src/util/logger.js'
      const log = createLogger({ level: 'info' })
      log.info({ headers: { authorization: 'Bearer s1', 'x-api-key': 's2' }, auth: { value: 's3' }, source: { token: 's4', password: 's5' }, apiKey: 's6' }, 'x')
    `
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' })
    expect(child.status, child.stderr).toBe(0)
    const line = JSON.parse(child.stderr)
    expect(line.headers).toEqual({ authorization: '[redacted]', 'x-api-key': '[redacted]' })
    expect(line.auth.value).toBe('[redacted]')
    expect(line.source).toEqual({ token: '[redacted]', password: '[redacted]' })
    for (const secret of ['s1', 's2', 's3', 's4', 's5', 's6']) expect(child.stderr).not.toContain(`"${secret}`)
  })
})
