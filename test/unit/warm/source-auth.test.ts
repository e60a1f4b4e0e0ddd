import { describe, expect, it } from 'vitest'
import { maskSourceUrl, prepareAuth, scrubSecrets, userInfoAuth } from '../../../src/warm/source-auth.js'

describe('maskSourceUrl', () => {
  it('masks user info and the values of secret-looking and auth query parameters, keeping the rest', () => {
    expect(maskSourceUrl('https://bob:pw@h.example/p?limit=10&api_key=abc&token=t&x=1')).toBe('https://***@h.example/p?limit=10&api_key=***&token=***&x=1')
    expect(maskSourceUrl('https://h/p?k=abc&offset=0', ['k'])).toBe('https://h/p?k=***&offset=0')
    expect(maskSourceUrl('http://127.0.0.1:8080/static/users.json')).toBe('http://127.0.0.1:8080/static/users.json')
  })
})

describe('prepareAuth', () => {
  it('bearer: an Authorization header from the environment', () => {
    const auth = prepareAuth('devices', { type: 'bearer', env: 'BM_KEY' }, { BM_KEY: 's3cret' })
    expect(auth.headers).toEqual({ authorization: 'Bearer s3cret' })
    expect(auth.secrets).toContain('s3cret')
  })

  it('header and query parameter, from the configuration', () => {
    expect(prepareAuth('x', { type: 'header', name: 'X-Api-Key', value: 'v1' }, {}).headers).toEqual({ 'x-api-key': 'v1' })
    expect(prepareAuth('x', { type: 'query', name: 'key', value: 'v 2' }, {}).queryParam).toEqual({ name: 'key', value: 'v 2' })
  })

  it('a missing environment variable is a configuration error naming the source and the variable', () => {
    expect(() => prepareAuth('devices', { type: 'bearer', env: 'BM_KEY' }, {})).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG', message: 'Source devices: environment variable BM_KEY (its auth) is not set' }),
    )
  })
})

describe('scrubSecrets', () => {
  it('replaces every occurrence', () => {
    expect(scrubSecrets('a s3cret b s3cret', ['s3cret'])).toBe('a *** b ***')
  })
})

describe('userInfoAuth', () => {
  it('turns user:password in a URL into a Basic header, the password counted as a secret', () => {
    const auth = userInfoAuth(new URL('https://mirror%40x:p%40ss@h.example/dump.json'))
    expect(auth?.headers).toEqual({ authorization: `Basic ${Buffer.from('mirror@x:p@ss').toString('base64')}` })
    expect(auth?.secrets).toContain('p@ss')
    expect(userInfoAuth(new URL('https://h.example/'))).toBeUndefined()
  })
})
