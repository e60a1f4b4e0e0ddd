import { readSourceMappings } from '../../src/ops/source-mappings.js'
import type { SchemaArgs } from '../definitions/schema.js'
import { EXIT } from '../exit-status.js'
import { loadConfig } from '../load-config.js'

/** `cachesync schema`: each source's mapping as configuration, to freeze into the file and edit. */
export async function run(args: SchemaArgs): Promise<number> {
  const config = loadConfig(args, { sink: args.sink })
  const names = (args.source ?? []).flatMap((s) => s.split(',')).filter((s) => s !== '')
  const mappings = await readSourceMappings(config, names)
  if (args.format === 'json') {
    process.stdout.write(`${JSON.stringify({ sources: mappings.map((m) => ({ ...m.source, from: m.from, untyped: m.untyped })) }, null, 2)}\n`)
    return EXIT.ok
  }
  const { Document } = await import('yaml')
  const doc = new Document({ sources: mappings.map((m) => m.source) })
  doc.commentBefore = [
    ' The mapping of each source, to paste under sources: in the configuration and edit.',
    " Columns listed are fixed there; add '*': auto to infer fields that appear later.",
    ...mappings.map((m) => ` ${m.name}: from the ${m.from}${m.untyped.length > 0 ? `; only nulls so far in ${m.untyped.join(', ')}` : ''}`),
  ].join('\n')
  process.stdout.write(doc.toString({ lineWidth: 0 }))
  return EXIT.ok
}
