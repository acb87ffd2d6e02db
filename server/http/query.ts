// Query strings arrive as text, but their schemas say `integer` or `boolean`. The app's
// validator does not coerce types (a JSON body's `"name": 42` must be refused, not turned
// into "42"), so this preValidation hook converts exactly the query parameters whose schema
// asks for an integer or a boolean, when their text is one. Anything else is left for the
// validator to refuse.

import type { FastifyRequest } from 'fastify';

interface PropSchema { type?: string | readonly string[] }

const INTEGER = /^-?\d{1,15}$/;

function wants(prop: PropSchema, type: string): boolean {
  return prop.type === type || (Array.isArray(prop.type) && prop.type.includes(type));
}

export async function coerceQuery(request: FastifyRequest): Promise<void> {
  const schema = request.routeOptions.schema?.querystring as { properties?: Record<string, PropSchema> } | undefined;
  const props = schema?.properties;
  if (!props) return;
  const query = request.query as Record<string, unknown>;
  for (const [name, prop] of Object.entries(props)) {
    const value = query[name];
    if (typeof value !== 'string') continue;
    if (wants(prop, 'integer') && INTEGER.test(value)) query[name] = Number(value);
    else if (wants(prop, 'boolean') && (value === 'true' || value === 'false')) query[name] = value === 'true';
  }
}
