import { Command, Help } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { buildProgram, main, registrations, requestedCommand } from './main';

describe('the command table', () => {
  it('lists exactly the commands each module registers, with their terms and descriptions', async () => {
    const help = new Help();
    for (const module of registrations) {
      const program = new Command('cadenza');
      (await module.load())(program);
      const registered = program.commands.map((cmd) => ({
        name: cmd.name(),
        term: help.subcommandTerm(cmd),
        description: cmd.description(),
      }));
      expect(registered).toEqual(module.commands);
    }
  }, 60_000);

  it('names every command once', () => {
    const names = registrations.flatMap((m) => m.commands.map((c) => c.name));
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('requestedCommand', () => {
  it('finds the command after the program options, and the one `help` asks about', () => {
    expect(requestedCommand(['generate', '--count', '2'])).toBe('generate');
    expect(requestedCommand(['--help'])).toBeUndefined();
    expect(requestedCommand(['-h', 'corpus', 'list'])).toBe('corpus');
    expect(requestedCommand(['help', 'refine'])).toBe('refine');
    expect(requestedCommand(['help'])).toBeUndefined();
  });
});

describe('buildProgram', () => {
  it('registers only the requested module, and every listing when none is named', async () => {
    const one = await buildProgram(['node', 'cadenza', 'preprocess', '--help']);
    expect(one.commands.map((c) => c.name()).sort()).toEqual(['preprocess', 'tokenize']);
    // The real module: its options are there, not just a listing.
    expect(
      one.commands.find((c) => c.name() === 'preprocess')!.options.some((o) => o.long === '--input_path'),
    ).toBe(true);
    const all = await buildProgram(['node', 'cadenza', '--help']);
    expect(all.commands.map((c) => c.name())).toEqual(
      registrations.flatMap((m) => m.commands.map((c) => c.name)),
    );
    expect(all.commands.every((c) => c.options.length === 0)).toBe(true);
  });
});

describe('main', () => {
  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    try {
      return { code: await main(['node', 'cadenza', ...args]), out, err };
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  }

  it('lists every command in --help with its usage term, and exits 0', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(0);
    for (const c of registrations.flatMap((m) => m.commands)) expect(out).toContain(`  ${c.term} `);
  });

  it('answers a mistyped command with a suggestion and exit 2', async () => {
    const { code, err } = await run('generat');
    expect(code).toBe(2);
    expect(err).toContain("unknown command 'generat'");
    expect(err).toContain('generate');
  });

  it('answers an unknown option of a real command with exit 2, naming the option', async () => {
    const { code, err } = await run('corpus', 'list', '--bogus');
    expect(code).toBe(2);
    expect(err).toContain("'--bogus'");
  });

  it('prints a usage error from the flag parser as one JSON document on stdout with --json', async () => {
    const { code, out, err } = await run('corpus', 'list', '--json', '--bogus');
    expect(code).toBe(2);
    expect(err).toContain("'--bogus'");
    const { error } = JSON.parse(out) as { error: { code: string; message: string } };
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe("unknown option '--bogus'.");
  });
});
