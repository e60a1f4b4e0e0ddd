/**
 * Splits a JSON body into the records of one array without building tokens or values: a byte-level scanner
 * (a pushdown automaton over Buffers, resumable at any byte, so chunk boundaries fall anywhere) checks the
 * whole body against the JSON grammar and hands each element of the records array on as its own bytes.
 * A stream tokenizer reads such a body at 20–30 MB/s; this reads it near the speed of the wire.
 */

/** What the splitter reports; the caller writes records and keeps the captured scalar. */
export interface SplitterEvents {
  /**
   * One element of the records array: its bytes as they came, whitespace outside strings dropped. With
   * `lines`, only a record that began in an earlier chunk comes here.
   */
  record(bytes: Buffer): void
  /**
   * When given, the records of a chunk come here in one piece: `count` records as NDJSON lines (each as
   * `record` would give it, joined by newlines, no newline after the last), made by rewriting the chunk in
   * place. Per record, a copy and a Buffer for each cost more than scanning it; this is one copy a chunk.
   * The caller gives up the chunks it writes: their bytes are changed.
   */
  lines?(run: Buffer, count: number): void
  /** The scalar at the capture path, as JSON text. */
  captured(json: string): void
}

/** A body that is not JSON, or not all of it: where, and what was wrong. */
export class JsonSyntaxError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'JsonSyntaxError'
  }
}

// Scanner states.
const START = 0 // before the top-level value: a byte-order mark may come first
const VALUE = 1 // a value must come (after ':' or ',' in an array)
const ARRAY_FIRST = 2 // after '[': a value or ']'
const OBJECT_FIRST = 3 // after '{': a key or '}'
const KEY = 4 // after ',' in an object: a key
const COLON = 5
const AFTER = 6 // after a value in a container: ',' or its closing bracket
const STRING = 7
const ESCAPE = 8
const UNICODE = 9
const MINUS = 10 // '-' read: a digit must come
const ZERO = 11 // a leading 0: no more integer digits
const INTEGER = 12
const DOT = 13 // '.' read: a digit must come
const FRACTION = 14
const EXPONENT_MARK = 15 // 'e' read: a sign or a digit
const EXPONENT_SIGN = 16 // a digit must come
const EXPONENT = 17
const LITERAL = 18 // inside true, false or null
const END = 19 // the top-level value is complete: only whitespace may follow

const QUOTE = 0x22
const BACKSLASH = 0x5c
const LITERALS: Record<number, Buffer> = { 116: Buffer.from('true'), 102: Buffer.from('false'), 110: Buffer.from('null') }

const isSpace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39
const isHex = (b: number): boolean => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)

/**
 * Feed it the body with `push`, then call `end`. Throws {@link JsonSyntaxError} at the first byte that breaks
 * the grammar, and at `end` when the body stopped before its top-level value was complete.
 */
export class JsonSplitter {
  readonly #recordsPath: readonly string[]
  readonly #capturePath: readonly string[] | undefined
  readonly #events: SplitterEvents
  #state = START
  /** The open containers: 1 for an array, 0 for an object. */
  readonly #containers: number[] = []
  /** Per open container outside the records: the key or index of the value being read, as text. */
  readonly #positions: (string | undefined)[] = []
  readonly #indexes: number[] = []
  /** Depth of the records array while inside it, else -1. */
  #recordsDepth = -1
  #found = false
  #stringIsKey = false
  #unicodeLeft = 0
  #literal: Buffer = LITERALS[0x74] as Buffer
  #literalAt = 0
  /** What is collected: 0 nothing, 1 a record, 2 a key outside the records, 3 the captured scalar. */
  #collecting = 0
  #collectFrom = 0
  /** The collected value's bytes in the chunks before this one; emptied, never replaced, to keep its shape. */
  readonly #pieces: Buffer[] = []
  /** The record being collected had whitespace outside its strings. */
  #spaced = false
  /** The records of this chunk gathered at its start for `lines`: from, to, and how many. */
  #runStart = 0
  #runEnd = 0
  #runCount = 0
  /** Bytes of the body before the current chunk, for error positions. */
  #offset = 0
  #topLevel: 'object' | 'array' | 'scalar' | undefined

  constructor(recordsPath: readonly string[], capturePath: readonly string[] | undefined, events: SplitterEvents) {
    this.#recordsPath = recordsPath
    this.#capturePath = capturePath
    this.#events = events
  }

  /** Whether the records array was met. */
  get found(): boolean {
    return this.#found
  }

  /** What the top-level value was; undefined while none began. */
  get topLevel(): 'object' | 'array' | 'scalar' | undefined {
    return this.#topLevel
  }

  /** Feeds the next bytes of the body. */
  write(chunk: Buffer): void {
    // A byte-order mark split across the first chunks: so small a first chunk is rare; join it to the next.
    if (this.#offset === 0 && this.#head.length + chunk.length < 3 && (this.#head.length > 0 || chunk[0] === 0xef)) {
      this.#head = Buffer.concat([this.#head, chunk])
      return
    }
    if (this.#head.length > 0) {
      chunk = Buffer.concat([this.#head, chunk])
      this.#head = Buffer.alloc(0)
    }
    this.#push(chunk)
  }

  #head = Buffer.alloc(0)

  #push(chunk: Buffer): void {
    const n = chunk.length
    let i = 0
    let state = this.#state
    while (i < n) {
      let b = chunk[i] as number
      switch (state) {
        case STRING: {
          // The hot loop: most bytes of a body are inside strings.
          while (b !== QUOTE && b !== BACKSLASH && b >= 0x20) {
            if (++i === n) break
            b = chunk[i] as number
          }
          if (i === n) break
          if (b === QUOTE) {
            i++
            if (this.#stringIsKey) {
              state = COLON
              if (this.#collecting === 2) this.#positions[this.#positions.length - 1] = JSON.parse(this.#collected(chunk, i).toString()) as string
            } else state = this.#valueEnd(chunk, i)
          } else if (b === BACKSLASH) {
            i++
            state = ESCAPE
          } else this.#fail(chunk, i, 'a control character inside a string')
          break
        }
        case ESCAPE:
          if (b === 0x75) {
            this.#unicodeLeft = 4
            state = UNICODE
          } else if (b === QUOTE || b === BACKSLASH || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74) state = STRING
          else this.#fail(chunk, i, 'an invalid escape in a string')
          i++
          break
        case UNICODE:
          if (!isHex(b)) this.#fail(chunk, i, 'an invalid \\u escape in a string')
          if (--this.#unicodeLeft === 0) state = STRING
          i++
          break
        case AFTER:
          if (b === 0x2c) {
            i++
            state = this.#containers[this.#containers.length - 1] === 1 ? VALUE : KEY
          } else if (b === 0x5d || b === 0x7d) state = this.#close(chunk, i++, b)
          else if (isSpace(b)) {
            if (this.#collecting === 1) this.#spaced = true
            i++
          } else this.#fail(chunk, i, "',' or a closing bracket")
          break
        case COLON:
          if (b === 0x3a) {
            i++
            state = VALUE
          } else if (isSpace(b)) {
            if (this.#collecting === 1) this.#spaced = true
            i++
          } else this.#fail(chunk, i, "':'")
          break
        case OBJECT_FIRST:
        case KEY:
          if (b === QUOTE) {
            this.#stringIsKey = true
            if (this.#recordsDepth < 0) this.#collect(2, i)
            i++
            state = STRING
          } else if (b === 0x7d && state === OBJECT_FIRST) state = this.#close(chunk, i++, b)
          else if (isSpace(b)) {
            if (this.#collecting === 1) this.#spaced = true
            i++
          } else this.#fail(chunk, i, state === KEY ? 'a key' : "a key or '}'")
          break
        case INTEGER:
        case FRACTION:
        case EXPONENT:
          while (isDigit(b)) {
            if (++i === n) break
            b = chunk[i] as number
          }
          if (i === n) break
          if (b === 0x2e && state === INTEGER) {
            i++
            state = DOT
          } else if ((b === 0x65 || b === 0x45) && state !== EXPONENT) {
            i++
            state = EXPONENT_MARK
          } else state = this.#valueEnd(chunk, i)
          break
        case ZERO:
          if (b === 0x2e) {
            i++
            state = DOT
          } else if (b === 0x65 || b === 0x45) {
            i++
            state = EXPONENT_MARK
          } else state = this.#valueEnd(chunk, i)
          break
        case MINUS:
          if (!isDigit(b)) this.#fail(chunk, i, 'a digit')
          state = b === 0x30 ? ZERO : INTEGER
          i++
          break
        case DOT:
          if (!isDigit(b)) this.#fail(chunk, i, 'a digit after the decimal point')
          state = FRACTION
          i++
          break
        case EXPONENT_MARK:
          if (b === 0x2b || b === 0x2d) state = EXPONENT_SIGN
          else if (isDigit(b)) state = EXPONENT
          else this.#fail(chunk, i, 'a digit in the exponent')
          i++
          break
        case EXPONENT_SIGN:
          if (!isDigit(b)) this.#fail(chunk, i, 'a digit in the exponent')
          state = EXPONENT
          i++
          break
        case LITERAL:
          if (b !== this.#literal[this.#literalAt]) this.#fail(chunk, i, `"${this.#literal.toString()}"`)
          i++
          if (++this.#literalAt === this.#literal.length) state = this.#valueEnd(chunk, i)
          break
        case END:
          if (!isSpace(b)) this.#fail(chunk, i, 'the end of the body')
          i++
          break
        default: {
          // START, VALUE, ARRAY_FIRST: a value begins here.
          if (isSpace(b)) {
            if (this.#collecting === 1) this.#spaced = true
            i++
            break
          }
          if (state === START && b === 0xef && this.#offset + i === 0 && chunk[i + 1] === 0xbb && chunk[i + 2] === 0xbf) {
            i += 3
            break
          }
          if (b === 0x5d && state === ARRAY_FIRST) {
            state = this.#close(chunk, i++, b)
            break
          }
          state = this.#valueStart(chunk, i, b)
          i++
        }
      }
    }
    this.#state = state
    if (this.#runCount > 0) this.#endRun(chunk)
    if (this.#collecting !== 0) {
      this.#pieces.push(chunk.subarray(this.#collectFrom))
      this.#collectFrom = 0
    }
    this.#offset += n
  }

  /** The body has ended: throws unless its top-level value was complete. */
  end(): void {
    if (this.#head.length > 0) {
      const head = this.#head
      this.#head = Buffer.alloc(0)
      this.#push(head)
    }
    let state = this.#state
    // A number at the very end of the body ends with it.
    if (this.#containers.length === 0 && (state === ZERO || state === INTEGER || state === FRACTION || state === EXPONENT)) {
      state = this.#valueEnd(Buffer.alloc(0), 0)
    }
    if (state === END) return
    if (this.#topLevel === undefined) throw new JsonSyntaxError('the body is empty')
    const where = this.#recordsDepth >= 0 ? ' inside the records array' : ''
    throw new JsonSyntaxError(`it ends at byte ${this.#offset}${where}, before its JSON is complete (cut short?)`)
  }

  /** A value begins at `chunk[i]` (byte `b`, not whitespace); returns the next state. */
  #valueStart(chunk: Buffer, i: number, b: number): number {
    const depth = this.#containers.length
    this.#topLevel ??= b === 0x7b ? 'object' : b === 0x5b ? 'array' : 'scalar'
    if (this.#recordsDepth >= 0) {
      if (depth === this.#recordsDepth) {
        this.#spaced = false
        this.#collect(1, i)
      }
    } else if (b === 0x5b && !this.#found && this.#pathIs(this.#recordsPath)) {
      this.#found = true
      this.#recordsDepth = depth + 1
    } else if (this.#capturePath !== undefined && b !== 0x5b && b !== 0x7b && this.#pathIs(this.#capturePath)) this.#collect(3, i)
    switch (b) {
      case 0x7b:
        this.#open(0)
        return OBJECT_FIRST
      case 0x5b:
        this.#open(1)
        return ARRAY_FIRST
      case QUOTE:
        this.#stringIsKey = false
        return STRING
      case 0x2d:
        return MINUS
      case 0x30:
        return ZERO
      default:
        if (isDigit(b)) return INTEGER
        if (LITERALS[b] !== undefined) {
          this.#literal = LITERALS[b] as Buffer
          this.#literalAt = 1
          return LITERAL
        }
        return this.#fail(chunk, i, 'a value')
    }
  }

  /** A value ended just before `chunk[end]`; returns the next state. */
  #valueEnd(chunk: Buffer, end: number): number {
    const depth = this.#containers.length
    if (this.#collecting === 1 && depth === this.#recordsDepth) {
      if (this.#events.lines !== undefined && this.#pieces.length === 0) this.#addToRun(chunk, end)
      else {
        const bytes = this.#collected(chunk, end)
        this.#events.record(this.#spaced ? compact(bytes) : bytes)
      }
    } else if (this.#collecting === 3) this.#events.captured(this.#collected(chunk, end).toString())
    if (this.#recordsDepth < 0 && depth > 0 && this.#containers[depth - 1] === 1) {
      const index = ++(this.#indexes[depth - 1] as number)
      this.#positions[depth - 1] = String(index)
    }
    return depth === 0 ? END : AFTER
  }

  #endRun(chunk: Buffer): void {
    const count = this.#runCount
    this.#runCount = 0
    this.#events.lines?.(chunk.subarray(this.#runStart, this.#runEnd), count)
  }

  /**
   * Moves the record that ends before `chunk[end]` to the end of the run, behind a newline. Only bytes already
   * scanned are written: the run ends at or before the previous record's end, and at least one byte (a comma)
   * separates records, so the newline and the record fit before `end`.
   */
  #addToRun(chunk: Buffer, end: number): void {
    const start = this.#collectFrom
    this.#collecting = 0
    let to = start
    if (this.#runCount++ > 0) {
      chunk[this.#runEnd] = 0x0a
      to = this.#runEnd + 1
    } else this.#runStart = start
    if (this.#spaced) this.#runEnd = compactInto(chunk, start, end, chunk, to)
    else {
      if (to !== start) chunk.copyWithin(to, start, end)
      this.#runEnd = to + end - start
    }
  }

  #open(kind: number): void {
    this.#containers.push(kind)
    // Paths are followed outside the records only; the records array's own frame is kept for its parents.
    if (this.#recordsDepth < 0 || this.#containers.length === this.#recordsDepth) {
      this.#positions.push(kind === 1 ? '0' : undefined)
      this.#indexes.push(0)
    }
  }

  /** Closes the container at `chunk[i]` (byte `b`); returns the next state. */
  #close(chunk: Buffer, i: number, b: number): number {
    const kind = this.#containers.pop()
    if (kind !== (b === 0x5d ? 1 : 0)) this.#fail(chunk, i, kind === 1 ? "',' or ']'" : "',' or '}'")
    const closed = this.#containers.length + 1
    if (this.#recordsDepth < 0 || closed === this.#recordsDepth) {
      this.#positions.pop()
      this.#indexes.pop()
      // The records array is complete: back to following paths.
      if (closed === this.#recordsDepth) this.#recordsDepth = -1
    }
    return this.#valueEnd(chunk, i + 1)
  }

  #pathIs(path: readonly string[]): boolean {
    const positions = this.#positions
    if (path.length !== positions.length) return false
    for (let k = 0; k < path.length; k++) if (positions[k] !== path[k]) return false
    return true
  }

  #collect(what: number, from: number): void {
    this.#collecting = what
    this.#collectFrom = from
    if (this.#pieces.length > 0) this.#pieces.length = 0
  }

  /** The bytes collected from the start of the value to `chunk[end]`, and collecting stops. */
  #collected(chunk: Buffer, end: number): Buffer {
    const last = chunk.subarray(this.#collectFrom, end)
    const bytes = this.#pieces.length === 0 ? last : Buffer.concat([...this.#pieces, last])
    this.#collecting = 0
    if (this.#pieces.length > 0) this.#pieces.length = 0
    return bytes
  }

  #fail(chunk: Buffer, i: number, expected: string): never {
    const b = chunk[i] as number
    const found = b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`
    throw new JsonSyntaxError(`expected ${expected} at byte ${this.#offset + i}, found ${found}`)
  }
}

/** A record's bytes without the whitespace outside its strings: a pretty-printed record on one line. */
export function compact(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length)
  return out.subarray(0, compactInto(bytes, 0, bytes.length, out, 0))
}

/**
 * Copies `source[start, end)` to `target` from `at` without the whitespace outside strings; returns where it
 * ended. In place when `target` is `source` and `at <= start`: it never writes ahead of what it has read.
 */
function compactInto(source: Buffer, start: number, end: number, target: Buffer, at: number): number {
  let used = at
  let inString = false
  for (let i = start; i < end; i++) {
    const b = source[i] as number
    if (inString) {
      if (b === BACKSLASH) {
        target[used++] = b
        target[used++] = source[++i] as number
        continue
      }
      if (b === QUOTE) inString = false
    } else if (b === QUOTE) inString = true
    else if (isSpace(b)) continue
    target[used++] = b
  }
  return used
}
