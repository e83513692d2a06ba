import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../common/progress';
import { throttleProgress } from './throttle';

describe('throttleProgress', () => {
  it('passes the first event, stage changes and completions, and at most one per interval otherwise', () => {
    let t = 0;
    const got: ProgressEvent[] = [];
    const sink = throttleProgress((e) => got.push(e), 100, () => t);
    for (let i = 1; i <= 50; i++) {
      t = i * 10; // 10 ms apart: 500 ms in all
      sink({ stage: 'a', done: i, total: 50 });
    }
    sink({ stage: 'b', done: 0 });
    sink({ stage: 'b', done: 1 });
    sink.flush();
    const a = got.filter((e) => e.stage === 'a').map((e) => e.done);
    expect(a[0]).toBe(1);
    expect(a.at(-1)).toBe(50);
    expect(a.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < a.length - 1; i++) expect(a[i]! - a[i - 1]!).toBeGreaterThanOrEqual(10);
    expect(got.filter((e) => e.stage === 'b').map((e) => e.done)).toEqual([0, 1]);
  });

  it('flush sends only an event that was held back', () => {
    let t = 0;
    const got: number[] = [];
    const sink = throttleProgress((e) => got.push(e.done), 100, () => t);
    sink({ stage: 's', done: 1 });
    sink.flush();
    expect(got).toEqual([1]);
    t = 5;
    sink({ stage: 's', done: 2 });
    sink({ stage: 's', done: 3 });
    expect(got).toEqual([1]);
    sink.flush();
    expect(got).toEqual([1, 3]);
  });
});
