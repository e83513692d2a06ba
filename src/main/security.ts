/**
 * The window's security rules, after Electron's checklist: the page comes only from the app's
 * own `cadenza://app/` protocol (or the dev server), every other request is cancelled, navigation,
 * new windows, webviews and permission requests are refused, and a strict CSP header is added.
 */
import { app, session, type WebContents } from 'electron';

/** The page's origin in a packaged or built app. */
export const APP_ORIGIN = 'cadenza://app';

/** The Content-Security-Policy the page runs under (also sent as a header by the app protocol). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

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

/** Applies the rules to the default session and to every web contents the app creates. */
export function hardenSessions(devServerUrl: string | undefined): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) => {
    const url = details.url;
    const local = url.startsWith('cadenza:') || url.startsWith('devtools:') || url.startsWith('data:') || url.startsWith('blob:');
    // No remote content: only the app protocol, inline data, and the dev server while developing.
    callback({ cancel: !(local || isAppUrl(url, devServerUrl) || (devServerUrl && url.startsWith(devServerUrl.replace(/^http/, 'ws')))) });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url, devServerUrl)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url, devServerUrl)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}
