import { describe, expect, it } from 'vitest';
import { progressBar } from './output';

/** A stand-in for stderr that keeps what is written. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const stream = {
    isTTY,
    columns: 200,
    text: '',
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

describe('progressBar', () => {
  it("shows one ETA: the event's remaining seconds, the whole run's for training", () => {
    const stream = fakeStream(true);
    const bar = progressBar({}, stream);
    // Half of epoch 1 of 30 done: the epoch alone would say seconds; the run has 59.5 minutes left.
    bar({ stage: 'epoch 1/30', done: 50, total: 100, metrics: { loss: 2.5 }, remainingSeconds: 3570 });
    bar.finish();
    expect(stream.text).toContain('eta 59:30');
    expect(stream.text.match(/eta/g)).toHaveLength(1);
    expect(stream.text).toContain('loss=2.500');
  });

  it('estimates nothing itself: without remaining seconds the ETA is unknown', () => {
    const stream = fakeStream(true);
    const bar = progressBar({}, stream);
    bar({ stage: 'import', done: 5, total: 10 });
    bar.finish();
    expect(stream.text).toMatch(/ eta --:--/);
  });

  it('puts the ETA in the log lines off a terminal', () => {
    const stream = fakeStream(false);
    const bar = progressBar({}, stream);
    bar({ stage: 'train', done: 10, total: 100, remainingSeconds: 95 });
    expect(stream.text).toBe('train: 10/100 (10%) eta 1:35\n');
  });
});
