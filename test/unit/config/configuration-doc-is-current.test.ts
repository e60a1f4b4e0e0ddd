import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { z } from 'zod'
import { CONFIGURATION_EXAMPLE, CONFIGURATION_PAGE, renderConfigurationReference } from '../../../src/config/config-reference.js'
import { columnObjectSchema, configFileSchema, PAGINATION_FORMS, validate } from '../../../src/config/config-schema.js'
import { ENV_KEYS, WARM_ENV_KEYS } from '../../../src/config/resolve-config.js'

interface Node {
  description?: string
  properties?: Record<string, Node>
  items?: Node
}

/** Every key path of the schema without a `description` in its meta. */
function undescribed(node: Node, path: string): string[] {
  const own = path !== '' && node.description === undefined ? [path] : []
  const children = Object.entries(node.properties ?? {}).flatMap(([key, child]) => undescribed(child, path === '' ? key : `${path}.${key}`))
  const items = node.items === undefined ? [] : undescribed({ ...node.items, description: '' }, `${path}[]`)
  return [...own, ...children, ...items]
}

describe(`${CONFIGURATION_PAGE} is generated from the configuration schema`, () => {
  it('is current: run `npm run docs:config` after changing the schema or a default', async () => {
    await expect(renderConfigurationReference()).toMatchFileSnapshot(`../../../${CONFIGURATION_PAGE}`)
  })

  it('describes every key of the schema, the column and pagination forms included', () => {
    const forms: [string, z.ZodType][] = [
      ['', configFileSchema],
      ['columns.*', columnObjectSchema],
    ]
    for (const [style, form] of Object.entries(PAGINATION_FORMS)) forms.push([`pagination(${style})`, form])
    const missing = forms.flatMap(([path, schema]) =>
      undescribed({ ...(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Node), description: '' }, path),
    )
    // `style` is the literal that picks the form: the page names it in each form's heading.
    expect(missing.filter((path) => !path.endsWith('.style'))).toEqual([])
  })

  it('names every environment variable that the configuration reads', () => {
    const page = renderConfigurationReference()
    for (const name of [...Object.values(ENV_KEYS), ...Object.values(WARM_ENV_KEYS)]) expect(page).toContain(`\`${name}\``)
  })

  it('shows an example that validates', () => {
    expect(validate(configFileSchema, parse(CONFIGURATION_EXAMPLE))).toMatchObject({ ok: true })
  })
})
