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

/**
 * Edits to bundled packages' sources, each for a reason a figure gives. A package release that no
 * longer has the text fails the build, so an edit never silently stops applying.
 */
const PATCHES = [
  {
    // yargs finds its locale files from its own module URL (`../../../locales`), which inside a chunk
    // of dist/cli/ points nowhere: a user's LANG would be ignored and every message left as its English
    // key. The locales are copied beside the chunks (below) and the shim is pointed at them. (The shim's
    // other path, where to look for a package.json, only serves yargs' guess of a version; the CLI gives
    // its own.)
    file: /[/\\]node_modules[/\\]yargs[/\\]lib[/\\]platform-shims[/\\]esm\.mjs$/,
    from: "directory: resolve(__dirname, '../../../locales')",
    to: "directory: fileURLToPath(new URL('./locales/', import.meta.url))",
  },
  {
    // string-width (three copies under yargs, cliui and wrap-ansi) makes an Intl.Segmenter when it is
    // loaded, and the first one loads ICU's break-iterator data: ~36 ms of every start, `--version` and
    // a cron sync included, though only help text is ever measured. Made on first use instead.
    file: /[/\\]node_modules[/\\](.+[/\\])?string-width[/\\]index\.js$/,
    from: 'const segmenter = new Intl.Segmenter();',
    to: 'let intlSegmenter; const segmenter = { segment: (text) => (intlSegmenter ??= new Intl.Segmenter()).segment(text) };',
  },
  {
    // The same for yargs' own copy's emoji pattern, which loads ICU's emoji data: 5 to 10 ms a start.
    file: /[/\\]node_modules[/\\]yargs[/\\]node_modules[/\\]string-width[/\\]index\.js$/,
    from: 'const rgiEmojiRegex = /^\\p{RGI_Emoji}$/v;',
    to: 'let rgiEmojiPattern; const rgiEmojiRegex = { test: (text) => (rgiEmojiPattern ??= /^\\p{RGI_Emoji}$/v).test(text) };',
  },
]

/** @type {import('esbuild').Plugin} */
const patchSources = {
  name: 'patch-sources',
  setup(b) {
    const applied = new Set()
    b.onLoad({ filter: new RegExp(PATCHES.map((patch) => patch.file.source).join('|')) }, (args) => {
      let source = readFileSync(args.path, 'utf8')
      for (const patch of PATCHES.filter((p) => p.file.test(args.path))) {
        if (!source.includes(patch.from)) throw new Error(`${args.path} no longer has \`${patch.from}\`: see PATCHES in bundle-cli.mjs`)
        source = source.replace(patch.from, patch.to)
        applied.add(patch)
      }
      return { contents: source, loader: 'js' }
    })
    b.onEnd((result) => {
      const missed = PATCHES.filter((patch) => !applied.has(patch))
      if (result.errors.length === 0 && missed.length > 0) throw new Error(`No bundled file matched ${missed.map((p) => p.file).join(', ')}`)
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
  plugins: [patchSources],
  logLevel: 'warning',
})

const yargsRoot = dirname(createRequire(import.meta.url).resolve('yargs/package.json'))
cpSync(join(yargsRoot, 'locales'), join(outdir, 'locales'), { recursive: true })
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile))
