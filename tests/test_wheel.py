"""`pip install mmbalance` as users get it: the release check of tools/release_check.py (the one the release workflow and
.ci/run use): sdist and wheel built with `python -m build`, `twine check`, the wheel installed (not editable) in a fresh
venv, `mmbalance list` and a training run from a folder outside the repository."""
import os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def test_wheel_installs_and_runs(tmp_path):
    # --no-isolation: the build backend (setuptools) is already installed and CI has no network beyond the package index;
    # --borrow-deps: torch & co. come from this environment (gigabytes otherwise), mmbalance only from the wheel.
    args = ['--no-isolation', '--borrow-deps', '--workdir', tmp_path]
    # with FSDD at hand the run is avdigits (it reads the FSDD checksums shipped in the wheel's assets), else synthetic
    if (Path(os.environ.get('MMBALANCE_DATA', '/nonexistent')) / 'fsdd' / 'recordings').exists(): args += ['--dataset', 'avdigits', '--epochs', 2]
    p = subprocess.run([sys.executable, ROOT / 'tools' / 'release_check.py', *map(str, args)], capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, f'{p.stdout[-4000:]}\n{p.stderr[-4000:]}'
    assert p.stdout.splitlines()[-1].startswith('release check passed: mmbalance-'), p.stdout[-2000:]
    assert (tmp_path / 'run' / 'joint' / 'summary.json').exists()
