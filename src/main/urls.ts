/** The app's own origin and page policy, and the test of whether a URL belongs to the app (pure, tested without Electron). */
import { contentSecurityPolicy } from '../api/csp';

/** The page's origin in a packaged or built app. */
export const APP_ORIGIN = 'cadenza://app';

/** The Content-Security-Policy the page runs under (also sent as a header by the app protocol). */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** True when `url` belongs to the app's own page (the built app, or the dev server in development). */
export function isAppUrl(url: string, devServerUrl: string | undefined): boolean {
  try {
    const u = new URL(url);
    if (u.origin === APP_ORIGIN || `${u.protocol}//${u.host}` === APP_ORIGIN) return true;
    return !!devServerUrl && u.origin === new URL(devServerUrl).origin;
  } catch {
    return false;
  }
}

