/**
 * The bench's own child processes, so that each competitor's time and peak RSS are its own:
 *   node bench-child.js naive '{"db":…,"inputs":[{file,table,key}]}'   → {"rows"}
 *   node bench-child.js ceiling '{"source":…,"target":…,"tables":[…]}' → {"ms","rows"}
 */
import { type NaiveInput, naiveLoad } from './naive-loader.js'
import { copyTables } from './write-ceiling.js'

const [task, json] = process.argv.slice(2)
const input = JSON.parse(json ?? '{}') as { db: string; inputs: NaiveInput[]; source: string; target: string; tables: string[] }
if (task === 'naive') process.stdout.write(`${JSON.stringify({ rows: naiveLoad(input.db, input.inputs) })}\n`)
else if (task === 'ceiling') process.stdout.write(`${JSON.stringify(copyTables(input.source, input.target, input.tables))}\n`)
else {
  process.stderr.write(`bench-child: unknown task ${String(task)}\n`)
  process.exitCode = 2
}
