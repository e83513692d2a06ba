/** The colour theme: light, dark, or following the system (the default); remembered in localStorage. */

/** What the user picked. */
export type ThemePreference = 'system' | 'light' | 'dark';

const STORAGE_KEY = 'cadenza.theme';

/** Theme state shared by the whole UI; `resolved` is what is on screen. */
export class ThemeState {
  /** The user's choice. */
  preference = $state<ThemePreference>('system');
  /** Whether the system currently prefers dark. */
  systemDark = $state(false);
  /** 'light' or 'dark', after applying the preference. */
  readonly resolved = $derived<'light' | 'dark'>(
    this.preference === 'system' ? (this.systemDark ? 'dark' : 'light') : this.preference,
  );

  constructor() {
    if (typeof window === 'undefined') return;
    const saved = window.localStorage?.getItem(STORAGE_KEY);
    if (saved === 'light' || saved === 'dark' || saved === 'system') this.preference = saved;
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    this.systemDark = query.matches;
    query.addEventListener('change', (e) => (this.systemDark = e.matches));
  }

  /** Picks a theme, applies it to the document and remembers it. */
  set(preference: ThemePreference): void {
    this.preference = preference;
    window.localStorage?.setItem(STORAGE_KEY, preference);
    this.apply();
  }

  /** Writes the preference onto <html data-theme>, which the CSS variables follow. */
  apply(): void {
    const root = document.documentElement;
    if (this.preference === 'system') root.removeAttribute('data-theme');
    else root.dataset.theme = this.preference;
  }
}

/** The app's one theme state. */
export const theme = new ThemeState();
