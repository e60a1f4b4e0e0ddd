import type { SourceSpec } from './config-schema.js'

/**
 * The `network` normalizer's table: each spelling of a DMR network met upstream (lower-cased) and the one
 * name it is stored as; '' stores null (no network).
 */
export const DMR_NETWORK_SPELLINGS: Readonly<Record<string, string>> = Object.freeze({
  bm: 'BrandMeister',
  brandmeister: 'BrandMeister',
  'brand meister': 'BrandMeister',
  'dmr-plus': 'DMR+',
  'dmr+': 'DMR+',
  dmrplus: 'DMR+',
  'dmr-marc': 'DMR-MARC',
  tgif: 'TGIF',
  freedmr: 'FreeDMR',
  none: '',
})

/**
 * The built-in configuration: the three DMR sources of the flagship data set, mapped to tables with
 * SQLite types. Upstream shapes drift (ids as strings, `trustee` string or array, `lat`/`lng` strings or
 * floats, the network spelled four ways); the column types and normalizers absorb that. The URLs are the real
 * endpoints; `--base-url` points them at a mirror or at `cachesync serve-demo`.
 */
export const DMR_SOURCES: readonly SourceSpec[] = Object.freeze([
  {
    name: 'rptrs',
    url: 'https://radioid.net/static/rptrs.json',
    recordsPath: 'rptrs',
    key: 'id',
    delete: 'hard',
    columns: {
      id: 'integer',
      locator: 'integer',
      callsign: { type: 'text', normalize: 'trim' },
      city: 'text',
      state: 'text',
      country: 'text',
      frequency: 'real',
      offset: 'text',
      color_code: 'integer',
      assigned: 'text',
      ts_linked: 'text',
      trustee: 'text',
      map_info: 'text',
      map: 'integer',
      network: { type: 'text', from: 'ipsc_network', normalize: 'network' },
      // The real dump holds a few coordinates such as "066-3308": the repeater is good, the position is not.
      lat: { type: 'real', invalid: 'null' },
      lng: { type: 'real', invalid: 'null' },
      status: 'text',
      talkgroups: 'json',
      last_update: { type: 'text', from: 'last_updated' },
    },
  },
  {
    name: 'users',
    url: 'https://radioid.net/static/users.json',
    recordsPath: 'users',
    key: 'radio_id',
    delete: 'hard',
    columns: {
      radio_id: 'integer',
      id: 'integer',
      callsign: { type: 'text', normalize: 'trim' },
      name: 'text',
      fname: 'text',
      surname: 'text',
      city: 'text',
      state: 'text',
      country: 'text',
      has_valid_callsign: 'boolean',
      has_valid_email: 'boolean',
      account_unvalidated: 'boolean',
      account_validation_status: 'text',
    },
  },
  {
    name: 'devices',
    url: 'https://api.brandmeister.network/v2/device',
    pagination: { style: 'offset', limitKey: 'limit', skipKey: 'offset', limitMax: 1000 },
    key: 'id',
    delete: 'soft',
    columns: {
      id: 'integer',
      callsign: { type: 'text', normalize: 'trim' },
      linkname: 'text',
      hardware: 'text',
      firmware: 'text',
      tx: 'real',
      rx: 'real',
      colorcode: 'integer',
      status: 'integer',
      last_known_master: { type: 'integer', from: 'lastKnownMaster' },
      lat: { type: 'real', invalid: 'null' },
      lng: { type: 'real', invalid: 'null' },
      city: 'text',
      website: 'text',
      priority_description: { type: 'text', from: 'priorityDescription' },
      description: 'text',
      status_text: { type: 'text', from: 'statusText' },
      last_seen: 'text',
      pep: 'integer',
    },
  },
] satisfies SourceSpec[])
