"""Write mmbalance/assets/fsdd_manifest.tsv: one `filename<TAB>sha256` line per FSDD recording, sorted by name.

The manifest must describe the recordings of the FSDD commit that `mmbalance.data.avdigits.FSDD_URL` pins, so run this
on an untouched copy of that commit's `recordings/` folder:

    python tools/make_fsdd_manifest.py /path/to/fsdd/recordings
"""
import argparse, hashlib, sys
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parents[1]/'mmbalance'/'assets'/'fsdd_manifest.tsv'

def sha256_of(path:Path) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''): h.update(chunk)
    return h.hexdigest()

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('recordings', type=Path, help="FSDD's recordings/ folder")
    ap.add_argument('--out', type=Path, default=DEFAULT_OUT, help='manifest to write (default: %(default)s)')
    args = ap.parse_args(argv)
    wavs = sorted(p for p in args.recordings.iterdir() if p.suffix == '.wav')
    if not wavs: sys.exit(f'no .wav files in {args.recordings}')
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(''.join(f'{p.name}\t{sha256_of(p)}\n' for p in wavs))
    print(f'wrote {len(wavs)} entries to {args.out}')

if __name__ == '__main__': main()
