import { describe, expect, it } from 'vitest'
import { proposeSource } from '../../../src/init/propose-source.js'
import { sourceNameFor } from '../../../src/init/source-name.js'

describe('proposeSource', () => {
  it('a unique id is the key, left to the engine; the columns are typed and named as sync makes them', () => {
    const proposal = proposeSource('items', [
      { id: 1, name: 'a', score: 1 },
      { id: 2, name: 'b', score: 1.5, 'odd name': null },
    ])
    expect(proposal).toMatchObject({ key: undefined, keyFound: true, keyReason: 'id: present and unique in all 2 records of the first page', flatten: 0 })
    expect(proposal.columns).toEqual([
      { name: 'id', path: ['id'], type: 'integer', key: true },
      { name: 'name', path: ['name'], type: 'text', key: false },
      { name: 'score', path: ['score'], type: 'real', key: false },
      { name: 'odd_name', path: ['odd name'], type: 'null', key: false },
    ])
  })

  it('without a unique id: a unique field named like an identifier, saying why and which others were unique', () => {
    const proposal = proposeSource('users', [
      { id: 1, callsign: 'K1', radio_id: 100 },
      { id: 1, callsign: 'K2', radio_id: 101 },
    ])
    expect(proposal.key).toBe('radio_id')
    expect(proposal.keyReason).toBe(
      'radio_id: id is not unique; radio_id is present and unique in all 2 records of the first page and named like an identifier (also unique: callsign)',
    )
    expect(proposal.columns.filter((c) => c.key).map((c) => c.name)).toEqual(['radio_id'])
  })

  it('else the first unique integer field, else the first unique field', () => {
    expect(
      proposeSource('s', [
        { name: 'a', seq: 1 },
        { name: 'b', seq: 2 },
      ]).key,
    ).toBe('seq')
    expect(proposeSource('s', [{ name: 'a' }, { name: 'b' }]).keyReason).toBe(
      'name: the records have no id; name is present and unique in all 2 records of the first page, the first such field',
    )
  })

  it('no unique field: no key, and says what to set', () => {
    const proposal = proposeSource('s', [{ id: 1, kind: 'x' }, { kind: 'x' }])
    expect(proposal).toMatchObject({ key: undefined, keyFound: false })
    expect(proposal.keyReason).toBe(
      'none: id is missing from 1 of the 2 records, and no other field is present and unique in all 2 records; set key: <field> (or a list of fields) in the source before cachesync sync',
    )
    expect(proposal.columns.map((c) => c.name)).toEqual(['id', 'kind'])
  })

  it('records holding objects: flatten 1, and their fields become parent__child columns', () => {
    const proposal = proposeSource('s', [{ id: 1, geo: { lat: 1.5, lng: 2.5 }, tags: ['a'], empty: {} }])
    expect(proposal.flatten).toBe(1)
    expect(proposal.flattenReason).toBe('1: geo holds objects, whose fields become geo__… columns')
    expect(proposal.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'integer'],
      ['geo__lat', 'real'],
      ['geo__lng', 'real'],
      ['tags', 'json'],
      ['empty', 'json'],
    ])
  })
})

describe('sourceNameFor', () => {
  it.each([
    ['https://api.example.org/v2/device', 'device'],
    ['https://radioid.net/static/users.json', 'users'],
    ['https://x.org/api/v1/stations/', 'stations'],
    ['https://x.org/users/42', 'users'],
    ['https://x.org/my%20list.json?page=1', 'my_list'],
    ['https://api.stations.org/', 'stations'],
    ['http://127.0.0.1:8080/', 'source'],
    ['https://x.org/9lives', 'source_9lives'],
    ['https://x.org/sync_log', 'source_sync_log'],
  ])('%s → %s', (url, name) => {
    expect(sourceNameFor(new URL(url))).toBe(name)
  })
})
