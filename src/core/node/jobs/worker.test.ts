import { describe, expect, it } from 'vitest';
import { throwIfCancelled } from '../../common/errors';
import { cancellableByFlag } from './worker';

describe('cancellableByFlag', () => {
  it('aborts its signal, firing abort listeners once, when the shared flag is set and someone asks', () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const controller = cancellableByFlag(flag);
    let fired = 0;
    controller.signal.addEventListener('abort', () => fired++);
    expect(controller.signal.aborted).toBe(false);
    expect(() => throwIfCancelled(controller.signal)).not.toThrow();
    Atomics.store(flag, 0, 1);
    expect(() => throwIfCancelled(controller.signal)).toThrow(/cancelled/);
    expect(controller.signal.aborted).toBe(true);
    expect(fired).toBe(1);
  });

  it('still aborts through the controller itself', () => {
    const controller = cancellableByFlag(new Int32Array(new SharedArrayBuffer(4)));
    controller.abort();
    expect(controller.signal.aborted).toBe(true);
  });
});
