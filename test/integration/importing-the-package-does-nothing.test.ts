import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/paths.js'

/**
 * Runs in a fresh process: spies on every way to compile WebAssembly and on V8's flag setter, imports
 * the package, then reports what the import did. The controls after it do what the import must not, to
 * show that each probe sees it when it happens.
 */
const PROBE = `
  import { syncBuiltinESMExports } from 'node:module'
  import v8 from 'node:v8'
  import vm from 'node:vm'

  const wasm = []
  for (const name of ['compile', 'compileStreaming', 'instantiate', 'instantiateStreaming', 'validate']) {
    const real = WebAssembly[name]
    WebAssembly[name] = function (...args) {
      wasm.push(name)
      return real.apply(this, args)
    }
  }
  WebAssembly.Module = new Proxy(WebAssembly.Module, {
    construct(target, args, newTarget) {
      wasm.push('Module')
      return Reflect.construct(target, args, newTarget)
    },
  })
  const flags = []
  const setFlagsFromString = v8.setFlagsFromString
  v8.setFlagsFromString = (flag) => {
    flags.push(flag)
    setFlagsFromString(flag)
  }
  syncBuiltinESMExports()
  const listeners = () => Object.fromEntries(process.eventNames().map((name) => [String(name), process.listenerCount(name)]))
  const gc = () => vm.runInNewContext('typeof gc')

  const before = { listeners: listeners(), resources: process.getActiveResourcesInfo() }
  const entry = await import('./dist/src/index.js')
  await new Promise((resolve) => setImmediate(resolve))
  const imported = {
    exports: Object.keys(entry).length,
    wasm: [...wasm],
    flags: [...flags],
    gc: gc(),
    listeners: listeners(),
    resources: process.getActiveResourcesInfo(),
  }

  const { loadRowHash } = await import('./dist/src/util/row-hash.js')
  await loadRowHash()
  const { fullCollection } = await import('./dist/src/engine/heap-collector.js')
  fullCollection()
  console.log(JSON.stringify({ before, imported, controls: { wasm, flags, gc: gc() } }))
`

describe('importing the package', () => {
  it('compiles no WebAssembly, sets no V8 flag, adds no listener and opens nothing', () => {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], { cwd: repoRoot, encoding: 'utf8' })
    expect(child.status, child.stderr).toBe(0)
    const { before, imported, controls } = JSON.parse(child.stdout)
    expect(imported.exports).toBeGreaterThan(0)
    expect(imported.wasm).toEqual([])
    expect(imported.flags).toEqual([])
    expect(imported.gc).toBe('undefined')
    expect(imported.listeners).toEqual(before.listeners)
    expect(imported.resources).toEqual(before.resources)
    // The probes work: the row hash compiles WebAssembly, a full collection sets --expose-gc.
    expect(controls.wasm.length).toBeGreaterThan(0)
    expect(controls.flags).toEqual(['--expose-gc'])
    expect(controls.gc).toBe('function')
  })
})
