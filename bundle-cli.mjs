// Bundles the CLI that `tsc` built (dist/cmd/cachesync.js) into dist/cli/, which bin/cachesync.js runs.
//
// Why: Node's ESM loader costs time per file, and the unbundled CLI loads ~300 files before it does
// anything (zod alone is ~100). One bundle with one lazy chunk per command loads a few dozen.
// What stays outside: native and heavy packages, and what runs in worker threads or child processes.
// The workers and bench children run from dist/src/ (see src/util/package-root.ts), so the CLI, the
// library and the tests run the same worker code.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = dirname(fileURLToPath(import.meta.url))
const outdir = join(root, 'dist', 'cli')

/** Packages the bundle imports at run time from node_modules: native, large, or loaded only by some commands. */
const EXTERNAL = [
  'better-sqlite3',
  'piscina',
  'pg',
  'pg-copy-streams',
  'pino',
  'pino-pretty',
  'undici',
  'stream-json',
  'cli-progress',
  'yaml',
  '@duckdb/node-api',
]

// yargs finds its locale files from its own module URL (`../../../locales`), which inside a chunk of
// dist/cli/ points nowhere: a user's LANG would be ignored and every message left as its English key.
// The locales are copied beside the chunks and the shim is pointed at them. (The shim's other path,
// where to look for a package.json, only serves yargs' guess of a version; the CLI gives its own.)
const yargsShim = /[/\\]node_modules[/\\]yargs[/\\]lib[/\\]platform-shims[/\\]esm\.mjs$/
const LOCALES_FROM = "directory: resolve(__dirname, '../../../locales')"
const LOCALES_TO = "directory: fileURLToPath(new URL('./locales/', import.meta.url))"

/** @type {import('esbuild').Plugin} */
const yargsLocales = {
  name: 'yargs-locales',
  setup(b) {
    let patched = false
    b.onLoad({ filter: yargsShim }, (args) => {
      const source = readFileSync(args.path, 'utf8')
      if (!source.includes(LOCALES_FROM)) throw new Error(`${args.path}: yargs no longer sets its locale directory as \`${LOCALES_FROM}\``)
      patched = true
      return { contents: source.replace(LOCALES_FROM, LOCALES_TO), loader: 'js' }
    })
    b.onEnd((result) => {
      if (result.errors.length === 0 && !patched) throw new Error('yargs-locales: the yargs ESM shim was not bundled')
    })
  },
}

rmSync(outdir, { recursive: true, force: true })
const result = await build({
  entryPoints: { cachesync: join(root, 'dist', 'cmd', 'cachesync.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  metafile: true,
  legalComments: 'linked',
  external: EXTERNAL,
  plugins: [yargsLocales],
  logLevel: 'warning',
})

const yargsRoot = dirname(createRequire(import.meta.url).resolve('yargs/package.json'))
cpSync(join(yargsRoot, 'locales'), join(outdir, 'locales'), { recursive: true })
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile))
