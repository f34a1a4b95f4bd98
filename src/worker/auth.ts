/**
 * Container tokens: HS256 JWTs carrying `{ townId, userId, scope: 'container' }`, valid 8 hours.
 * Verification uses `jsonwebtoken` (synchronous HMAC from node:crypto) with the time taken from the
 * clock port, never the real clock; WebCrypto-based libraries would complete on the thread pool.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';

export const CONTAINER_TOKEN_MAX_AGE_SECONDS = 8 * 60 * 60;

export const ContainerClaims = z.object({
  townId: z.string().min(1),
  userId: z.string().min(1),
  scope: z.literal('container'),
});
export type ContainerClaims = z.infer<typeof ContainerClaims>;

export type TokenCheck = { ok: true; claims: ContainerClaims } | { ok: false; status: 401 | 403; error: string };

export function signContainerToken(claims: { townId: string; userId: string }, secret: string, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  return jwt.sign({ ...claims, scope: 'container', iat, exp: iat + CONTAINER_TOKEN_MAX_AGE_SECONDS }, secret, { algorithm: 'HS256' });
}

/** The HMAC key, built once: building it on every request was the worker's top cost. */
export function containerTokenKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/** Checks an `Authorization` header for a container token of `townId`. */
export function checkContainerToken(header: string | undefined, townId: string, secret: string | KeyObject, nowMs: number): TokenCheck {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) return { ok: false, status: 401, error: 'missing bearer token' };
  let payload: unknown;
  try {
    payload = jwt.verify(match[1], secret, {
      algorithms: ['HS256'],
      clockTimestamp: Math.floor(nowMs / 1000),
      maxAge: CONTAINER_TOKEN_MAX_AGE_SECONDS,
    });
  } catch (error) {
    return { ok: false, status: 401, error: `invalid token: ${(error as Error).message}` };
  }
  const claims = ContainerClaims.safeParse(payload);
  if (!claims.success) return { ok: false, status: 401, error: 'token is not a container token' };
  if (claims.data.townId !== townId) return { ok: false, status: 403, error: 'token is for another town' };
  return { ok: true, claims: claims.data };
}
