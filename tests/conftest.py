"Shared test setup: absolute data/cache locations so notebooks (run with cwd nbs/) and subprocesses agree."
import atexit, os, shutil, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _setup_env():
    data = os.environ.get('MMBALANCE_DATA')
    if data: os.environ['MMBALANCE_DATA'] = str(Path(data).resolve())
    elif (ROOT.parent / 'shared' / 'data' / 'fsdd').exists(): os.environ['MMBALANCE_DATA'] = str((ROOT.parent / 'shared' / 'data').resolve())
    if not os.environ.get('MMBALANCE_CACHE'):
        os.environ['MMBALANCE_CACHE'] = cache = tempfile.mkdtemp(prefix='mmbalance-test-cache-')
        atexit.register(shutil.rmtree, cache, ignore_errors=True)   # a cache this run made is this run's to remove
    os.environ.setdefault('MPLBACKEND', 'Agg')

_setup_env()

def pytest_configure(config):
    config.addinivalue_line('markers', "slow: the SIGKILL-resume test of each per-step method of #1-#17 (CI and the README's command skip them "
                                       "with -m 'not slow'; run them with -m slow)")
