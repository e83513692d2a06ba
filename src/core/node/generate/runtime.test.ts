import { describe, expect, it } from 'vitest';
import { LSTM_PRESETS } from '../../common/models/lstm';
import { machineHasSpareCore } from '../onnx/session';
import { planOnnx } from './runtime';

const sized = (preset: keyof typeof LSTM_PRESETS) => ({ ...LSTM_PRESETS[preset].architecture, vocabSize: 512 });
/** The earlier default: two layers of 192. */
const twoLayers = { ...sized('default'), lstmUnits: [192, 192] };

describe('planOnnx', () => {
  it('runs incrementally where the first forward chain is a large share of the work, whole windows elsewhere', () => {
    expect(planOnnx(sized('small')).engine).toBe('incremental'); // one layer
    expect(planOnnx(sized('default')).engine).toBe('incremental'); // one layer
    expect(planOnnx(sized('seed')).engine).toBe('incremental'); // a first layer of 512 units
    expect(planOnnx(twoLayers).engine).toBe('window'); // two layers of 192
  });

  it('gives way to whole windows when the chains of many rows would pass 256 MB', () => {
    // seed: 40 x 40 x 512 floats = 3.3 MB per row.
    expect(planOnnx(sized('seed'), 64).engine).toBe('incremental');
    expect(planOnnx(sized('seed'), 128).engine).toBe('window');
  });

  it('uses a second thread only for recurrent weights past 1 MiB, and only when a core is spare', () => {
    expect(planOnnx(sized('small')).threads).toBe(1);
    expect(planOnnx(sized('tiny')).threads).toBe(1);
    expect(planOnnx(sized('seed')).threads).toBe(machineHasSpareCore() ? 2 : 1);
    expect(planOnnx(sized('default')).threads).toBe(machineHasSpareCore() ? 2 : 1);
    expect(planOnnx(twoLayers).threads).toBe(machineHasSpareCore() ? 2 : 1);
  });
});
