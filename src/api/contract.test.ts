import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Song } from '../core/common/song/song';
import { ApiError, CancelledError, MidiParseError, serializeError } from '../core/common/errors';
import { DEFAULT_SAMPLING, SAMPLING_LIMITS } from '../core/common/generate/sampling';
import { GENERATE_LIMITS } from '../core/common/generate/options';
import { DEFAULT_REFINE_TEMPERATURE, REFINE_LIMITS } from '../core/common/refine/options';
import { ENGINE_CHOICES, SAMPLE_RATES_HZ } from '../core/common/render/settings';
import {
  API_METHODS,
  contract,
  generateRequestSchema,
  operation,
  refineRequestSchema,
  synthesizeRequestSchema,
  type ApiHandlers,
} from './contract';
import { createDispatcher } from './dispatch';
import { createApiClient, unwrapEnvelope } from './client';
import { METHOD_NAMES } from './methods';
import type { ApiSong } from './schemas';

describe('the api contract', () => {
  it('lists the same methods as the preload’s name table', () => {
    const fromNames = Object.entries(METHOD_NAMES).flatMap(([ns, ms]) => ms.map((m) => `${ns}.${m}`));
    expect([...fromNames].sort()).toEqual([...API_METHODS].sort());
  });

  it('describes songs exactly as core’s Song type', () => {
    expectTypeOf<ApiSong>().toEqualTypeOf<Song>();
  });

  it('finds operations by name and never through the prototype', () => {
    expect(operation('corpus.list')).toBe(contract.corpus.list);
    expect(operation('corpus.toString')).toBeUndefined();
    expect(operation('__proto__.x')).toBeUndefined();
    expect(operation('corpus')).toBeUndefined();
  });
});

describe('dispatcher and client', () => {
  // A handler table where only a few methods do anything: enough to check validation both ways.
  const calls: unknown[] = [];
  const handlers = new Proxy(
    {},
    {
      get: (_t, ns: string) =>
        new Proxy(
          {},
          {
            get: (_t2, m: string) => async (input: unknown) => {
              calls.push([`${ns}.${m}`, input]);
              if (ns === 'jobs' && m === 'list') return { jobs: [] };
              if (ns === 'corpus' && m === 'list')
                return {
                  pieces: [{ id: 'bad id!', title: 'x', durationSeconds: 1, noteCount: 1 }],
                  total: 1,
                };
              if (ns === 'files' && m === 'readMidi')
                throw new MidiParseError('x.mid is not a MIDI file: no MThd header.', { path: 'x.mid' });
              return {};
            },
          },
        ),
    },
  ) as ApiHandlers;
  const dispatch = createDispatcher(handlers);
  const api = createApiClient({
    invoke: async (method, params) => {
      try {
        return unwrapEnvelope({ ok: true, value: await dispatch(method, params) });
      } catch (error) {
        return unwrapEnvelope({ ok: false, error: serializeError(error) });
      }
    },
    onEvent: () => () => {},
  });

  it('fills defaults and refuses unknown fields with one sentence naming the field', async () => {
    calls.length = 0;
    await api.jobs.list();
    expect(calls).toEqual([['jobs.list', { limit: 100 }]]);
    await expect(api.jobs.list({ limit: 5, extra: 1 } as never)).rejects.toThrow(
      'The request has a field this app does not know (extra).',
    );
    const err = await api.generate.start({ temperature: 99 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).field).toBe('temperature');
    expect((err as ApiError).message).toBe('The temperature must be at most 10.');
    // The app's words, never the method name or zod's own text.
    const count = await api.generate.start({ count: 0 }).catch((e: unknown) => e);
    expect((count as ApiError).message).toBe('The number of pieces must be at least 1.');
    expect((count as ApiError).field).toBe('count');
    const steps = await api.train.start({ maxSteps: 2.5 }).catch((e: unknown) => e);
    expect((steps as ApiError).message).toBe('The step limit must be a whole number.');
    const name = await api.train.start({ name: '' }).catch((e: unknown) => e);
    expect((name as ApiError).message).toBe('The name cannot be empty.');
  });

  it('rebuilds typed errors on the client side', async () => {
    const err = await api.files.readMidi({ path: 'x.mid' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MidiParseError);
    expect((err as MidiParseError).path).toBe('x.mid');
    expect(unwrapEnvelope.bind(null, { ok: false, error: serializeError(new CancelledError()) })).toThrow(
      CancelledError,
    );
  });

  it('refuses a backend answer that does not fit the contract', async () => {
    await expect(api.corpus.list()).rejects.toThrow(/does not fit the contract \(pieces\.0\.id/);
  });
});

describe("the schemas' defaults and limits are core's", () => {
  it('refine: the temperature core refines at, within core’s range', () => {
    expect(refineRequestSchema.parse({ path: 'a.mid' }).temperature).toBe(DEFAULT_REFINE_TEMPERATURE);
    const { min, max } = REFINE_LIMITS.temperature;
    expect(refineRequestSchema.safeParse({ path: 'a.mid', temperature: max }).success).toBe(true);
    expect(refineRequestSchema.safeParse({ path: 'a.mid', temperature: max + 0.01 }).success).toBe(false);
    expect(refineRequestSchema.safeParse({ path: 'a.mid', temperature: min - 0.01 }).success).toBe(false);
  });

  it('generate: no tempo unless one is asked for (core takes the primer’s, else 120), from 20 to 400', () => {
    const parsed = generateRequestSchema.parse({});
    expect(parsed.bpm).toBeUndefined();
    // Absent, as for the CLI: core picks the model's own temperature and top-p.
    expect(parsed.temperature).toBeUndefined();
    expect(parsed.topP).toBeUndefined();
    expect(parsed.topK).toBe(DEFAULT_SAMPLING.topK);
    const { min, max } = GENERATE_LIMITS.tempoBpm;
    expect([min, max]).toEqual([20, 400]);
    for (const [bpm, ok] of [
      [min, true],
      [max, true],
      [min - 1, false],
      [max + 1, false],
    ] as const)
      expect(generateRequestSchema.safeParse({ bpm }).success, `bpm ${bpm}`).toBe(ok);
    expect(generateRequestSchema.safeParse({ temperature: SAMPLING_LIMITS.temperature.max }).success).toBe(true);
    expect(generateRequestSchema.safeParse({ count: GENERATE_LIMITS.count.max + 1 }).success).toBe(false);
  });

  it('synthesize: the engines and sample rates core renders', () => {
    for (const engine of ENGINE_CHOICES) expect(synthesizeRequestSchema.safeParse({ paths: ['a.mid'], engine }).success).toBe(true);
    for (const sampleRateHz of SAMPLE_RATES_HZ)
      expect(synthesizeRequestSchema.safeParse({ paths: ['a.mid'], sampleRateHz }).success).toBe(true);
    expect(synthesizeRequestSchema.safeParse({ paths: ['a.mid'], sampleRateHz: 22050 }).success).toBe(false);
    expect(synthesizeRequestSchema.safeParse({ paths: ['a.mid'], engine: 'gpu' }).success).toBe(false);
  });
});
