import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetadataLookup, metadataFromNames, parseCsv, tidyName, UNKNOWN_COMPOSER } from './metadata';

describe('parseCsv', () => {
  it('reads quoted fields, doubled quotes, commas and newlines inside quotes, CRLF and a BOM', () => {
    const text =
      '\ufeffcomposer,title,midi\r\n"Bach, J. S.","The ""Well"" Tempered\nClavier",a.mid\r\nChopin,,b.mid\n\n';
    expect(parseCsv(text)).toEqual([
      ['composer', 'title', 'midi'],
      ['Bach, J. S.', 'The "Well" Tempered\nClavier', 'a.mid'],
      ['Chopin', '', 'b.mid'],
    ]);
  });

  it('keeps a last row without a newline', () => {
    expect(parseCsv('a,b\n1,2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });
});

describe('names', () => {
  it('tidies underscores and spacing and capitalises', () => {
    expect(tidyName('Espana_Opus_165__Prelude ')).toBe('Espana Opus 165 Prelude');
    expect(tidyName('chpn-p1')).toBe('Chpn-p1');
  });

  it('takes the composer from the folder and the title from the file name', () => {
    expect(metadataFromNames('/music/Erik_Satie/gymnopedie_1.MIDI')).toEqual({
      composer: 'Erik Satie',
      title: 'Gymnopedie 1',
    });
  });
});

describe('MetadataLookup', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-meta-'));
    await fs.mkdir(path.join(dir, 'lib', 'Chopin', 'Nocturnes'), { recursive: true });
    await fs.mkdir(path.join(dir, 'lib', 'Other'), { recursive: true });
    await fs.writeFile(
      path.join(dir, 'lib', 'metadata.csv'),
      'composer,title,year,midi,duration\nChopin,Nocturne_Opus_9_No_2,1832,Chopin/Nocturnes/n92.mid,250\n',
    );
    await fs.writeFile(path.join(dir, 'lib', 'Other', 'metadata.csv'), 'name,file\nx,y.mid\n');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('finds a file listed in a csv in a parent folder', async () => {
    const lookup = new MetadataLookup();
    const meta = await lookup.find(path.join(dir, 'lib', 'Chopin', 'Nocturnes', 'n92.mid'));
    expect(meta).toEqual({ composer: 'Chopin', title: 'Nocturne Opus 9 No 2', year: 1832 });
  });

  it('matches csv paths written with backslashes or in another case', async () => {
    await fs.writeFile(
      path.join(dir, 'lib', 'Other', 'metadata.csv'),
      'Composer,Title,MIDI\r\nRavel,Jeux_d_eau,Sub\\JEUX.mid\r\n',
    );
    const lookup = new MetadataLookup();
    expect(await lookup.find(path.join(dir, 'lib', 'Other', 'Sub', 'jeux.mid'))).toEqual({
      composer: 'Ravel',
      title: 'Jeux d eau',
    });
    expect(lookup.warnings).toEqual([]);
  });

  it('falls back to names for files the csv does not list', async () => {
    const lookup = new MetadataLookup();
    const meta = await lookup.find(path.join(dir, 'lib', 'Chopin', 'Nocturnes', 'op48_no1.mid'));
    expect(meta).toEqual({ composer: 'Nocturnes', title: 'Op48 no1' });
  });

  it('warns about a csv without a midi column and still names the file', async () => {
    const lookup = new MetadataLookup();
    const meta = await lookup.find(path.join(dir, 'lib', 'Other', 'y.mid'));
    expect(meta).toEqual({ composer: 'Other', title: 'Y' });
    expect(lookup.warnings).toHaveLength(1);
    expect(lookup.warnings[0]).toMatch(/Other\/metadata\.csv has no "midi" column/);
  });

  it('takes the file’s own credits over folder and file names, and the csv over both', async () => {
    const lookup = new MetadataLookup();
    const credits = { composer: 'Frederic Chopin', title: 'Nocturne Op. 48, No. 1' };
    expect(await lookup.find(path.join(dir, 'lib', 'Chopin', 'Nocturnes', 'op48_no1.mid'), credits)).toEqual(credits);
    expect(await lookup.find(path.join(dir, 'lib', 'Chopin', 'Nocturnes', 'op48_no1.mid'), { title: 'Nocturne' })).toEqual({ composer: 'Nocturnes', title: 'Nocturne' });
    expect(await lookup.find(path.join(dir, 'lib', 'Chopin', 'Nocturnes', 'n92.mid'), credits)).toEqual({ composer: 'Chopin', title: 'Nocturne Opus 9 No 2', year: 1832 });
  });

  it('takes no composer from a folder that names nothing, but does from a folder inside it', async () => {
    const uploads = path.join(dir, 'uploads');
    const lookup = new MetadataLookup([uploads]);
    expect(await lookup.find(path.join(uploads, 'gymnopedie_1.mid'))).toEqual({ composer: UNKNOWN_COMPOSER, title: 'Gymnopedie 1' });
    expect(await lookup.find(path.join(uploads, 'Mozart', 'kv545.mid'))).toEqual({ composer: 'Mozart', title: 'Kv545' });
  });
});
