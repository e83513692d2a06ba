/** The per-run access token of browser mode: random, compared in constant time. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh random token (32 bytes, URL-safe base64). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** True when `given` equals `expected`; takes the same time wherever they differ. */
export function tokenMatches(given: string | null | undefined, expected: string): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
  // Hashing first gives equal-length inputs, which timingSafeEqual needs, without leaking the length.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token a request carries: `?token=` in its URL, or the `cadenza_token` cookie the page got. */
export function tokenOf(url: URL, cookieHeader: string | undefined): string | null {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  for (const part of (cookieHeader ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === 'cadenza_token') return decodeURIComponent(v.join('='));
  }
  return null;
}
