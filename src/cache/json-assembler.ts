import Assembler from 'stream-json/Assembler.js'

/** The method of stream-json's Assembler that stores a finished value in the object or array being built. */
const saveValue = (Assembler.prototype as unknown as { _saveValue(this: Assembler, value: unknown): void })._saveValue

/**
 * stream-json's Assembler, reading a `"__proto__"` key as JSON.parse does: as a key. The Assembler
 * assigns it, which sets the object's prototype instead, so the key would vanish from the record and
 * its fields would be read as the record's own.
 */
export class JsonAssembler extends Assembler {
  _saveValue(value: unknown): void {
    if (!this.done && this.key === '__proto__' && !Array.isArray(this.current)) {
      Object.defineProperty(this.current, '__proto__', { value, writable: true, enumerable: true, configurable: true })
      this.key = null
      return
    }
    saveValue.call(this, value)
  }

  /** The Assembler's `stringValue` is its own `_saveValue`, which would bypass the one above. */
  stringValue(value: string): void {
    this._saveValue(value)
  }
}
