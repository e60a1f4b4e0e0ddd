import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { addSourceToConfig } from '../../../src/init/add-source-to-config.js'

const SOURCE = { name: 'items', url: 'https://example.org/items', recordsPath: 'data', pagination: { style: 'link-header' as const } }

describe('addSourceToConfig', () => {
  it('a new file: the source, with the comment above it', () => {
    expect(addSourceToConfig(undefined, 'c.yaml', SOURCE, ' Columns:\n   id  integer  key')).toBe(
      'sources:\n  # Columns:\n  #   id  integer  key\n  - name: items\n    url: https://example.org/items\n    recordsPath: data\n    pagination:\n      style: link-header\n',
    )
  })

  it('an existing file keeps its comments and settings; the source goes last, after a blank line', () => {
    const before = '# mine\ncacheDir: ./c # here\nsources:\n  - name: a # first\n    url: https://example.org/a\n'
    const text = addSourceToConfig(before, 'c.yaml', SOURCE, ' new')
    expect(text.startsWith(before)).toBe(true)
    expect(text.slice(before.length)).toBe(
      '\n  # new\n  - name: items\n    url: https://example.org/items\n    recordsPath: data\n    pagination:\n      style: link-header\n',
    )
  })

  it('a file without sources, or with an inline empty list, gets a block list', () => {
    expect(parse(addSourceToConfig('db: x.db\n', 'c.yaml', SOURCE, ''))).toEqual({ db: 'x.db', sources: [SOURCE] })
    const text = addSourceToConfig('sources: []\n', 'c.yaml', SOURCE, ' c')
    expect(text).toMatch(/^sources:\n {2}# c\n {2}- name: items\n/)
  })

  it('a JSON file stays JSON', () => {
    const text = addSourceToConfig('{"db": "x.db"}', 'c.json', SOURCE, ' dropped')
    expect(JSON.parse(text)).toEqual({ db: 'x.db', sources: [SOURCE] })
  })

  it.each([
    ['sources:\n  - name: items\n', 'ERR_USAGE', 'c.yaml already has a source named items: give another name with --name'],
    ['sources:\n  - name: other\n    table: items\n', 'ERR_USAGE', 'c.yaml: source other already writes table items: give another name with --name'],
    ['sources: [\n', 'ERR_CONFIG', /^Configuration file c\.yaml is not valid YAML: /],
    ['- a\n- b\n', 'ERR_CONFIG', 'Configuration file c.yaml does not hold a map of settings at its top level'],
    ['sources: {}\n', 'ERR_CONFIG', 'Configuration file c.yaml: sources is not a list'],
    ['mode: fastest\n', 'ERR_CONFIG', /^Configuration file c\.yaml would not be valid with the new source:\n {2}mode: /],
  ])('%j is refused', (before, code, message) => {
    expect(() => addSourceToConfig(before, 'c.yaml', SOURCE, '')).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }))
  })
})
