/**
 * Writes the reference profile shipped beside the bundled model (src/core/node/evaluate/profile.ts):
 *
 *   nice -n 19 npx tsx scripts/reference-profile.ts ../shared/corpora/piano-midi \
 *     resources/models/composer/reference-profile.json "piano-midi.de (Bernd Krueger, CC BY-SA 3.0 DE)"
 *
 * It measures every piece of the reference as `cadenza evaluate` does and keeps the statistics
 * (each piece's measures, and the reference pieces' copying figures), not the music.
 */
import { runEvaluation } from '../src/core/node/evaluate/evaluate';
import { profileOf, writeReferenceProfile } from '../src/core/node/evaluate/profile';

const [reference, out, what] = process.argv.slice(2);
if (!reference || !out || !what) {
  process.stderr.write(
    'usage: tsx scripts/reference-profile.ts <reference MIDI folder> <out.json> <description>\n',
  );
  process.exit(2);
}
const report = await runEvaluation({ reference });
const profile = profileOf(report, `${what}, ${report.sets[0]!.pieces.length} pieces`);
await writeReferenceProfile(out, profile);
process.stderr.write(`${out}: ${profile.pieces.length} pieces\n`);
