import { pipeline, type Readable } from 'node:stream'
import Parser from 'stream-json/Parser.js'
import { JsonAssembler } from '../cache/json-assembler.js'
import { CachesyncError } from '../util/errors.js'
import { stringifyJson } from '../util/json-limits.js'

/** Where records go: the cache file writer, or anything with its three members. */
export interface RecordSink {
  writeLine(json: string): void
  readonly full: boolean
  flush(): Promise<void>
}

export interface ExtractOptions {
  /** Path of the records array; empty for a top-level array. */
  readonly recordsPath: readonly string[]
  /** A scalar elsewhere in the body to capture (a cursor, a next link). */
  readonly capturePath?: readonly string[] | undefined
  readonly sink: RecordSink
}

export interface Extracted {
  readonly records: number
  /** The scalar at `capturePath`; undefined when absent. */
  readonly captured: unknown
}

interface Frame {
  readonly array: boolean
  /** The key of the value being read (objects) or its index (arrays), as text. */
  position: string | undefined
  index: number
}

interface Token {
  name: string
  value?: string
}

/**
 * Stream-parses a JSON body and hands each element of its records array to the sink as one line of compact
 * JSON, so that a body of any size is never held in memory: only one record is, while it is assembled. The
 * stream-json tokenizer reads the bytes; its Assembler builds each record.
 */
export function extractRecords(body: Readable, options: ExtractOptions): Promise<Extracted> {
  const target = options.recordsPath
  const capture = options.capturePath
  const sink = options.sink
  const stack: Frame[] = []
  const assembler = new JsonAssembler()
  let inRecord = false
  let recordsDepth = -1
  let found = false
  let records = 0
  let captured: unknown
  let topLevel: string | undefined

  const valuePathIs = (path: readonly string[]): boolean => {
    if (path.length !== stack.length) return false
    for (let i = 0; i < path.length; i++) if ((stack[i] as Frame).position !== path[i]) return false
    return true
  }
  const valueDone = (): void => {
    const top = stack[stack.length - 1]
    if (top === undefined) return
    if (top.array) top.position = String(++top.index)
    else top.position = undefined
  }

  return new Promise((resolve, reject) => {
    const tokens = pipeline(body, new Parser({ streamValues: false }), () => {}) as Readable
    const fail = (err: unknown): void => {
      tokens.destroy()
      body.destroy()
      reject(err)
    }
    const onToken = (token: Token): void => {
      if (inRecord) {
        ;(assembler as unknown as Record<string, (value?: string) => void>)[token.name]?.(token.value)
        if (assembler.done) {
          inRecord = false
          emit(assembler.current)
        }
        return
      }
      const name = token.name
      topLevel ??= name
      if (name === 'keyValue') {
        ;(stack[stack.length - 1] as Frame).position = token.value
        return
      }
      if (name === 'endObject' || name === 'endArray') {
        if (stack.length === recordsDepth) recordsDepth = -1
        stack.pop()
        valueDone()
        return
      }
      // A value starts here.
      if (recordsDepth >= 0 && stack.length === recordsDepth) {
        if (name === 'startObject' || name === 'startArray') {
          inRecord = true
          ;(assembler as unknown as Record<string, () => void>)[name]?.()
        } else emit(scalar(token))
        return
      }
      if (name === 'startObject' || name === 'startArray') {
        const isRecords = name === 'startArray' && !found && valuePathIs(target)
        stack.push({ array: name === 'startArray', position: name === 'startArray' ? '0' : undefined, index: 0 })
        if (isRecords) {
          found = true
          recordsDepth = stack.length
        }
        return
      }
      if (capture !== undefined && valuePathIs(capture)) captured = scalar(token)
      valueDone()
    }
    const emit = (record: unknown): void => {
      // A record too deep for JSON.stringify is still written: the sync rejects it, and only it.
      sink.writeLine(stringifyJson(record))
      records++
      // The array element is complete: the records frame moves to the next index.
      valueDone()
      if (sink.full) {
        tokens.pause()
        sink.flush().then(() => tokens.resume(), fail)
      }
    }
    tokens.on('data', (token: Token) => {
      try {
        onToken(token)
      } catch (err) {
        fail(err)
      }
    })
    let received = 0
    body.on('data', (chunk: Buffer) => {
      received += chunk.length
    })
    tokens.on('error', (err) => fail(received === 0 && isParserError(err) ? new CachesyncError('ERR_PARSE', 'the body is empty') : toParseError(err)))
    tokens.on('end', () => {
      if (!found) {
        const where = target.length === 0 ? 'a top-level array' : `an array at "${target.join('.')}"`
        const saw = topLevel === undefined ? 'an empty body' : topLevel === 'startObject' ? 'an object' : topLevel === 'startArray' ? 'an array' : 'a scalar'
        fail(
          new CachesyncError(
            'ERR_PARSE',
            `the body holds no records: expected ${where}, found ${saw}${target.length === 0 && topLevel === 'startObject' ? ' (set recordsPath)' : ''}`,
          ),
        )
        return
      }
      sink.flush().then(() => resolve({ records, captured }), fail)
    })
  })
}

function scalar(token: Token): unknown {
  switch (token.name) {
    case 'stringValue':
      return token.value
    case 'numberValue':
      return Number(token.value)
    case 'trueValue':
      return true
    case 'falseValue':
      return false
    default:
      return null
  }
}

function isParserError(err: unknown): boolean {
  return (err as { code?: unknown })?.code === undefined && /^Parser (cannot parse input|has expected)/.test((err as Error)?.message ?? '')
}

/** stream-json's own errors mean the body is not JSON; transport errors (a cut connection) pass as they are. */
function toParseError(err: unknown): unknown {
  return isParserError(err) ? new CachesyncError('ERR_PARSE', `the body is not valid JSON: ${(err as Error).message}`, { cause: err }) : err
}
