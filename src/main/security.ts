/**
 * The window's security rules, after Electron's checklist: the page comes only from the app's
 * own `cadenza://app/` protocol (or the dev server), every other request is cancelled, navigation,
 * new windows, webviews and permission requests are refused, and a strict CSP header is added.
 */
import { app, session, type WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY, isAppUrl } from './urls';

export { APP_ORIGIN, CONTENT_SECURITY_POLICY, isAppUrl } from './urls';

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
  // The app protocol sends the CSP itself; the dev server's pages get it here (Vite's HMR client
  // is a module script from 'self', so it runs under the same policy).
  if (devServerUrl)
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
