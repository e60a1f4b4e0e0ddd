/** An element of a parsed XML document: enough to check an SVG's structure. */
export interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: XmlElement[]
  text: string
}

const ENTITY = /&(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/y

/**
 * A small strict XML parser for tests: elements, attributes in double quotes, text, comments and an XML
 * declaration. Throws on anything not well-formed (unclosed or mismatched tags, a bare `&` or `<`, a
 * duplicate attribute, content after the root).
 */
export function parseXml(text: string): XmlElement {
  let at = 0
  const fail = (why: string): never => {
    throw new Error(`not well-formed XML at ${at}: ${why} (near ${JSON.stringify(text.slice(at, at + 40))})`)
  }
  const skipSpace = (): void => {
    while (at < text.length && /\s/.test(text[at] as string)) at++
  }
  const readText = (): string => {
    let out = ''
    while (at < text.length && text[at] !== '<') {
      if (text[at] === '&') {
        ENTITY.lastIndex = at
        const match = ENTITY.exec(text)
        if (match === null) fail('bare &')
        out += (match as RegExpExecArray)[0]
        at += (match as RegExpExecArray)[0].length
      } else out += text[at++]
    }
    return out
  }
  const readElement = (): XmlElement => {
    if (text[at] !== '<') fail('expected <')
    at++
    const name = /^[A-Za-z_][\w.:-]*/.exec(text.slice(at))?.[0] ?? fail('bad element name')
    at += name.length
    const element: XmlElement = { name, attributes: {}, children: [], text: '' }
    for (;;) {
      skipSpace()
      if (text.startsWith('/>', at)) {
        at += 2
        return element
      }
      if (text[at] === '>') {
        at++
        break
      }
      const attr = /^([A-Za-z_][\w.:-]*)="([^"<]*)"/.exec(text.slice(at)) ?? fail('bad attribute')
      const [whole, key, value] = attr as RegExpExecArray
      if ((key as string) in element.attributes) fail(`duplicate attribute ${key}`)
      if (/&(?!(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(value as string)) fail('bare & in attribute')
      element.attributes[key as string] = value as string
      at += whole.length
    }
    for (;;) {
      element.text += readText()
      if (at >= text.length) fail(`unclosed <${name}>`)
      if (text.startsWith('<!--', at)) {
        const end = text.indexOf('-->', at)
        if (end < 0) fail('unclosed comment')
        at = end + 3
      } else if (text.startsWith('</', at)) {
        const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(at)) ?? fail('bad closing tag')
        if ((close as RegExpExecArray)[1] !== name) fail(`</${(close as RegExpExecArray)[1]}> closes <${name}>`)
        at += (close as RegExpExecArray)[0].length
        return element
      } else element.children.push(readElement())
    }
  }
  skipSpace()
  if (text.startsWith('<?xml', at)) at = text.indexOf('?>', at) + 2
  skipSpace()
  const root = readElement()
  skipSpace()
  if (at !== text.length) fail('content after the root element')
  return root
}

/** Every element under `root` (itself included), depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(allElements)]
}
