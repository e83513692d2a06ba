import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../core/node/paths';
import { contentSecurityPolicy } from '../api/csp';

describe('Content-Security-Policy', () => {
  it('is sent as a header only: index.html carries no second, older policy (both would apply at once)', () => {
    const html = readFileSync(path.join(projectRoot(), 'src', 'renderer', 'index.html'), 'utf8');
    expect(html).not.toMatch(/http-equiv=["']?Content-Security-Policy/i);
  });

  it('allows the WebAssembly the page runs and nothing from elsewhere', () => {
    const csp = contentSecurityPolicy(['ws://127.0.0.1:5170']);
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:5170");
    expect(csp).toContain("frame-ancestors 'none'");
  });
});
