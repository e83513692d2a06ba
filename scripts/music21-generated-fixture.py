"""Random MIDI files and music21 9.3.0's seed tokens for them: the fixture
src/core/node/preprocess/fixtures/music21-generated.json.gz ({name: {midi: base64, tokens}}).

Run with music21 9.3.0 importable:  python3 scripts/music21-generated-fixture.py OUT.json.gz
The files mix what the seed rules have to get right: 1-4 tracks, chords and notes of one onset
with other releases (voices), onsets off the grid, thirds, long notes over barlines, grace notes
(zero-length notes), same-key overlaps, tempo, key, time-signature and program changes, track
names, a drum track. Variant 'g' is the base mix, 'h' denser with finer steps, 'i' longer with more
triplet lengths; the committed fixture holds the files named in PICK.
"""
import base64
import gzip
import json
import random
import struct
import sys
import tempfile

from music21 import chord, converter, instrument, note

PPQ = 480
TEMPO = b'\xff\x51\x03\x07\xa1\x20'
PICK = (['f86', 'f142'] + [f'g{k}' for k in range(1000, 1016)] + [f'h{k}' for k in range(2000, 2016)]
        + [f'i{k}' for k in range(3000, 3008)]
        + ['g1074', 'g1084', 'g1095', 'g1111', 'g1145', 'g1197', 'g1199', 'g1216', 'g1237',
           'h2160', 'h2201', 'h2209', 'h2213', 'h2233'])


def vlq(n):
    out = [n & 0x7f]
    n >>= 7
    while n:
        out.insert(0, (n & 0x7f) | 0x80)
        n >>= 7
    return bytes(out)


def track(events):
    data, last = b'', 0
    for t, b in sorted(events, key=lambda e: e[0]):  # stable: same-tick events keep their order
        data += vlq(t - last) + b
        last = t
    data += vlq(0) + b'\xff\x2f\x00'
    return b'MTrk' + struct.pack('>I', len(data)) + data


def midi_file(tracks):
    return b'MThd' + struct.pack('>IHHH', 6, 1, len(tracks), PPQ) + b''.join(track(t) for t in tracks)


def name(t, text):
    return (t, b'\xff\x03' + vlq(len(text.encode())) + text.encode())


def time_signature(t, num, den):
    return (t, bytes([0xff, 0x58, 4, num, {2: 1, 4: 2, 8: 3}[den], 24, 8]))


def generate(variant, k):
    r = random.Random(k)
    rich = variant != 'f'
    num, den = r.choice([(2, 4), (3, 4), (4, 4), (3, 8), (6, 8), (5, 4)])
    bar = num * 4 / den
    nbars = r.randint(4, 12) if variant == 'i' else r.randint(3, 8)
    end = nbars * bar
    cond = [time_signature(0, num, den)]
    if rich and r.random() < 0.4:
        num2, den2 = r.choice([(2, 4), (3, 4), (4, 4), (3, 8), (6, 8)])
        cond.append(time_signature(int(r.randint(1, nbars - 1) * bar * PPQ), num2, den2))
    if rich and r.random() < 0.3:
        cond.append((0, b'\xff\x59\x02\x01\x00'))
    for _ in range(r.randint(0, 4)):
        t = r.choice([r.uniform(0, end), r.randint(0, nbars) * bar])
        cond.append((int(t * PPQ), TEMPO))
    tracks = [cond]
    for _ in range(r.randint(1, 4) if rich else r.randint(1, 3)):
        ch = 9 if rich and r.random() < 0.08 else 0
        ev = []
        names = []
        if r.random() < 0.8:
            names.append(name(0, r.choice(['Piano right', 'Piano left', 'Spur 1', 'Rechte Hand', 'Piano',
                                           'Allegro', 'Violin I'])))
        if r.random() < 0.85:
            names.append((0, bytes([0xc0, r.choice([0, 0, 0, 1, 40])])))
        r.shuffle(names)
        ev += names
        t = 0.0
        steps = [0.25, 0.5, 1 / 3, 1, 0.75, 2 / 3, 1.5] + ([1 / 6, 0.125] if variant in 'hi' else [])
        sizes = [1, 2, 3, 4] if variant in 'hi' else [1, 1, 1, 2, 3]
        while t < end:
            step = r.choice(steps) * r.choice([1, 1, 1, 0.97, 1.03])
            size = r.choice(sizes)
            base = r.randint(40, 80)
            for c in range(size):
                p = base + c * r.choice([3, 4, 5, 7, 12])
                if variant == 'i':
                    ln = r.choice([step, r.choice([0.25, 0.5, 1, 2, 3, 4.5, 6, 9, 2 / 3, 4 / 3, 5 / 3]),
                                   r.choice([1 / 3, 2 / 3, 1 / 6]), 0.0 if r.random() < 0.05 else step * 0.9])
                else:
                    ln = r.choice([step, step, r.choice([0.25, 0.5, 1, 2, 3, 4.5, 6] + ([9] if rich else [])),
                                   0.0 if r.random() < 0.03 else step * 0.9])
                if rich and r.random() < 0.05:
                    p = base
                on = max(t + (r.uniform(-0.05, 0.05) if r.random() < 0.3 else 0), 0)
                ev.append((int(on * PPQ), bytes([0x90 | ch, p, 80])))
                ev.append((int((on + ln) * PPQ), bytes([0x80 | ch, p, 0])))
            t += step
        if r.random() < 0.3:
            ev.append((int(end * PPQ), TEMPO))
        if rich and r.random() < 0.15:
            ev.append((int(r.uniform(0, end) * PPQ), bytes([0xc0 | ch, r.choice([0, 1, 40])])))
        tracks.append(ev)
    return midi_file(tracks)


def seed_tokens(data):
    with tempfile.NamedTemporaryFile(suffix='.mid') as f:
        f.write(data)
        f.flush()
        score = converter.parse(f.name, forceSource=True)
    out = []
    for part in instrument.partitionByInstrument(score).parts:
        for el in part.recurse():
            if isinstance(el, note.Note):
                out.append(str(el.pitch))
            elif isinstance(el, chord.Chord):
                out.append('.'.join(str(n) for n in el.normalOrder))
    return out


if __name__ == '__main__':
    fixture = {}
    for key in sorted(set(PICK)):
        data = generate(key[0], int(key[1:]))
        fixture[key + '.mid'] = {'midi': base64.b64encode(data).decode(), 'tokens': seed_tokens(data)}
    with open(sys.argv[1], 'wb') as f:
        f.write(gzip.compress(json.dumps(fixture, separators=(',', ':'), sort_keys=True).encode(), 9))
