"`pip install mmbalance` as users get it: a wheel built with `python -m build`, installed (not editable) in a fresh venv."
import os, subprocess, sys, zipfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

def sh(*args, cwd=None, env=None):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=900)
    assert p.returncode == 0, f"{args}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p.stdout

def test_wheel_installs_and_runs(tmp_path):
    # --no-isolation: the build backend (setuptools) is already installed and CI has no network beyond the package index
    sh(sys.executable, '-m', 'build', '--wheel', '--no-isolation', '--outdir', tmp_path / 'dist', ROOT, cwd=ROOT)
    wheel = next((tmp_path / 'dist').glob('mmbalance-*.whl'))
    names = zipfile.ZipFile(wheel).namelist()
    assert 'mmbalance/assets/fsdd_manifest.tsv' in names and 'mmbalance/cli.py' in names
    venv = tmp_path / 'venv'
    sh(sys.executable, '-m', 'venv', venv)
    py = venv / 'bin' / 'python'
    # The heavy dependencies (torch & co.) are borrowed from this environment through a .pth path entry (they would be
    # reinstalled from the index otherwise, gigabytes); mmbalance itself comes only from the wheel.
    site = Path(sh(py, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])').strip())
    deps = [p for p in sys.path if p.endswith('site-packages')]
    (site / '_deps_from_test_env.pth').write_text('\n'.join(deps) + '\n')
    sh(py, '-m', 'pip', 'install', '--no-deps', '--no-index', wheel)
    # every requirement the wheel declares is satisfied in the new environment
    sh(py, '-c', "import importlib.metadata as md; from packaging.requirements import Requirement as R; "
       "bad=[r for r in md.requires('mmbalance') if 'extra ==' not in r and md.version(R(r).name) not in R(r).specifier]; assert not bad, bad")
    where = sh(py, '-c', 'import mmbalance; print(mmbalance.__file__)', cwd=tmp_path)
    assert str(venv) in where, where
    mm = venv / 'bin' / 'mmbalance'
    out = sh(mm, 'list', cwd=tmp_path)
    assert 'ogm' in out or 'joint' in out
    if not (Path(os.environ.get('MMBALANCE_DATA', '/nonexistent')) / 'fsdd' / 'recordings').exists(): pytest.skip('FSDD not available')
    out = sh(mm, 'train', '--dataset', 'avdigits', '--method', 'joint', '--epochs', 2, '--out', tmp_path / 'run', '--no-progress', cwd=tmp_path)
    assert (tmp_path / 'run' / 'summary.json').exists(), out
