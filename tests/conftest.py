"Shared test setup: absolute data/cache locations so notebooks (run with cwd nbs/) and subprocesses agree."
import os, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _setup_env():
    data = os.environ.get('MMBALANCE_DATA')
    if data: os.environ['MMBALANCE_DATA'] = str(Path(data).resolve())
    elif (ROOT.parent / 'shared' / 'data' / 'fsdd').exists(): os.environ['MMBALANCE_DATA'] = str((ROOT.parent / 'shared' / 'data').resolve())
    if not os.environ.get('MMBALANCE_CACHE'):
        os.environ['MMBALANCE_CACHE'] = tempfile.mkdtemp(prefix='mmbalance-test-cache-')
    os.environ.setdefault('MPLBACKEND', 'Agg')

_setup_env()
