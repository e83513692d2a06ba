/** Estimates the time left of a job from its progress reports. */
import type { Seconds } from '../../../../core/common/units';

/**
 * Remaining-time estimate from (done, total) samples over time: the rate is a smoothed average of
 * recent samples, so one slow step does not make the estimate jump. Time comes from the caller, so
 * it is deterministic to test.
 */
export class EtaEstimator {
  private firstAt: number | undefined;
  private firstDone = 0;
  private lastAt = 0;
  private lastDone = 0;
  private ratePerSecond: number | undefined;

  /** Records that `done` units of `total` were finished at time `nowSeconds`. */
  update(done: number, nowSeconds: Seconds): void {
    if (this.firstAt === undefined || done < this.lastDone) {
      // A fresh start, or a stage that restarted its count: begin again.
      this.firstAt = nowSeconds;
      this.firstDone = done;
      this.lastAt = nowSeconds;
      this.lastDone = done;
      this.ratePerSecond = undefined;
      return;
    }
    const dt = nowSeconds - this.lastAt;
    if (dt <= 0 || done === this.lastDone) return;
    const instant = (done - this.lastDone) / dt;
    this.ratePerSecond = this.ratePerSecond === undefined ? instant : this.ratePerSecond * 0.7 + instant * 0.3;
    this.lastAt = nowSeconds;
    this.lastDone = done;
  }

  /** Seconds left to reach `total`, or undefined before two samples or without a total. */
  remainingSeconds(total: number | undefined): Seconds | undefined {
    if (total === undefined || this.ratePerSecond === undefined || this.ratePerSecond <= 0) return undefined;
    return Math.max(0, (total - this.lastDone) / this.ratePerSecond);
  }

  /** Average units per second since the first sample, or undefined. */
  averageRate(): number | undefined {
    if (this.firstAt === undefined || this.lastAt <= this.firstAt) return undefined;
    return (this.lastDone - this.firstDone) / (this.lastAt - this.firstAt);
  }
}
