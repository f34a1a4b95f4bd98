/**
 * The JSON envelope every endpoint of the system answers with, and the Hono glue that keeps bad
 * input a 4xx: `{ success: true, data }` or `{ success: false, error }`.
 */
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ZodType } from 'zod';

export type Envelope<T> = { success: true; data: T } | { success: false; error: string };

/** Bodies larger than this are refused with 413: every accepted body here is tiny. */
export const MAX_BODY_BYTES = 64 * 1024;

export function ok<T>(c: Context, data: T, status: 200 | 201 | 202 = 200): Response {
  return c.json({ success: true, data } satisfies Envelope<T>, status);
}

export function fail(status: number, error: string): Response {
  return Response.json({ success: false, error } satisfies Envelope<never>, { status });
}

/** Parses and validates a JSON body; throws a 400 naming the zod path of what is wrong. */
export async function readJson<T>(c: Context, schema: ZodType<T>, options?: { optional?: boolean }): Promise<T> {
  const text = await c.req.text();
  let raw: unknown = {};
  if (text.trim() !== '') {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new HTTPException(400, { message: 'body is not valid JSON' });
    }
  } else if (!options?.optional) {
    throw new HTTPException(400, { message: 'body is required' });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(body)';
    throw new HTTPException(400, { message: `invalid body at ${path}: ${issue?.message ?? 'invalid'}` });
  }
  return parsed.data;
}

/**
 * Installs the envelope on an app: body size limit, 404 for unknown routes, and an error handler
 * that turns HTTP exceptions into their status and anything unexpected into a logged 500.
 */
export function useEnvelope(app: Hono<any>, onUnexpected: (error: unknown) => void): void {
  app.use('*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => fail(413, `body larger than ${MAX_BODY_BYTES} bytes`) }));
  app.notFound(() => fail(404, 'not found'));
  app.onError((error) => {
    if (error instanceof HTTPException) return fail(error.status, error.message);
    onUnexpected(error);
    return fail(500, 'internal error');
  });
}
