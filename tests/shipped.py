"The methods the package itself ships, as a fresh interpreter sees them."
import functools, json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

@functools.cache
def shipped_methods() -> frozenset:
    """Every method registered by a module of the `mmbalance` package. Asked of a new process: test_notebooks runs the
    notebooks in this one, and their exported cells register every method again from `__main__`, after which the live
    registry no longer tells the package's methods from the notebooks' own (17_own_method's)."""
    code = ("import json; from mmbalance.core import METHODS; "
            "print(json.dumps([n for n in METHODS.names() if METHODS.get(n).__module__.split('.')[0] == 'mmbalance']))")
    p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    names = frozenset(json.loads(p.stdout.strip().splitlines()[-1]))
    assert {'joint', 'ogm_ge', 'aug'} <= names, names      # never an empty set that would make every check below it vacuous
    return names
