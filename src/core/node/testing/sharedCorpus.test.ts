import { afterEach, describe, expect, it, vi } from 'vitest';
import { availableSharedCorpusDir } from '../paths';
import { sharedCorpusOrSkip } from './sharedCorpus';

describe('CADENZA_NO_SHARED (a run as a user\'s clone would see it)', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('treats ../shared as absent, even in CI, with a message instead of a failure', () => {
    vi.stubEnv('CADENZA_NO_SHARED', '1');
    vi.stubEnv('CI', 'true');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(sharedCorpusOrSkip()).toBeNull();
    expect(availableSharedCorpusDir()).toBeNull();
    expect(warn.mock.calls.flat().join(' ')).toContain('CADENZA_NO_SHARED=1');
    warn.mockRestore();
  });
});
