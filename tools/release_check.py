"""Build the release artifacts and check that they install and run: the check behind `pip install mmbalance`.

    python tools/release_check.py --borrow-deps               # local / .ci/run: no publishing, torch & co. not downloaded
    python tools/release_check.py --tag v0.1.0 --outdir dist  # the release workflow: full dependency install, keeps dist/

Steps, each one stopping the check with a message when it fails:

1. versions agree: `version` in settings.ini (set by `nbdev_bump_version`), `__version__` in mmbalance/__init__.py,
   the tag when one is given (`--tag`, else $GITHUB_REF_NAME when $GITHUB_REF_TYPE is `tag`) and a CHANGELOG.md
   section `## X.Y.Z`; with a tag that section must be dated, not `(unreleased)`;
2. `python -m build`, run on a copy of the source tree (the files git tracks or would track, so nothing is written
   into the checkout): the sdist, then the wheel built from the sdist (proves the sdist is complete enough to build);
3. the sdist holds settings.ini, README.md, setup.py and the package with its assets; the wheel holds every module of
   the package, `mmbalance/assets/fsdd_manifest.tsv` and the `mmbalance` command; `twine check --strict` passes;
4. a fresh venv gets the wheel (not editable): with `--borrow-deps` the dependencies come from this environment
   through a .pth file and the wheel is installed with `--no-deps` (torch is gigabytes), else `pip install WHEEL`
   installs them from the index; then, from a folder outside the repository, `mmbalance` is imported from that venv,
   `mmbalance list` lists the methods and datasets, and `mmbalance train --dataset synthetic --method joint --epochs 1`
   writes its summary.json.

Everything is written under one work folder (a new temporary one, removed at the end unless `--keep` or `--workdir`);
the artifacts are copied to `--outdir` when given. The last line printed is `release check passed: mmbalance-X.Y.Z ...`.
"""
import argparse, configparser, importlib.util, json, os, re, shutil, subprocess, sys, tarfile, tempfile, time, zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
T0 = time.time()

def log(msg): print(f'[{time.time()-T0:6.1f}s] {msg}', flush=True)

def fail(msg): sys.exit(f'release check FAILED: {msg}')

def sh(*args, cwd=None, env=None, echo=False):
    "Run a command; on failure print its output and stop."
    p = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"{' '.join(map(str, args))} exited with {p.returncode}\n--- stdout\n{p.stdout[-4000:]}\n--- stderr\n{p.stderr[-4000:]}")
    if echo: print(p.stdout.rstrip(), flush=True)
    return p.stdout

def versions(tag=None):
    "Check that settings.ini, the package, the tag and CHANGELOG.md agree; return the version."
    cfg = configparser.ConfigParser(delimiters=['=']); cfg.read(ROOT / 'settings.ini', encoding='utf-8')
    v, lib = cfg['DEFAULT']['version'], cfg['DEFAULT']['lib_name']
    m = re.search(r'''^__version__\s*=\s*['"]([^'"]+)['"]''', (ROOT / lib / '__init__.py').read_text(), re.M)
    if not m or m.group(1) != v:
        fail(f"{lib}/__init__.py has __version__ {m and m.group(1)!r}, settings.ini has version {v!r}: run nbdev_export")
    if tag is not None and tag.removeprefix('v') != v:
        fail(f"tag {tag!r} does not match version {v!r} in settings.ini (bump with nbdev_bump_version, or tag v{v})")
    changelog = ROOT / 'CHANGELOG.md'
    heads = re.findall(r'^##\s+v?(\S+)(.*)$', changelog.read_text(), re.M) if changelog.exists() else []
    head = next((rest.strip() for hv, rest in heads if hv == v), None)
    if head is None: fail(f"CHANGELOG.md has no section '## {v}': add one saying what this release changes")
    if tag is not None and 'unreleased' in head.lower():
        fail(f"CHANGELOG.md's section for {v} still says '{head}': put the release date there before tagging")
    return lib, v

def source_copy(dst: Path):
    "Copy the files git tracks or would track (not ignored ones: no venvs, builds or caches) into dst."
    if not (shutil.which('git') and (ROOT / '.git').exists()):   # not a git checkout (e.g. an unpacked archive)
        shutil.copytree(ROOT, dst, ignore=shutil.ignore_patterns('.git', '.venv', 'venv', 'build', 'dist', '*.egg-info', '__pycache__'))
    else:
        files = sh('git', '-C', ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0')
        for f in filter(None, files):
            src = ROOT / f
            if src.is_file():                                   # skips files deleted in the work tree but not yet in git
                (dst / f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(src, dst / f)
    return dst

def check_contents(lib, v, sdist: Path, wheel: Path, src: Path):
    "The sdist and the wheel hold what an install needs."
    top = f'{lib}-{v}/'
    snames = {n.removeprefix(top) for n in tarfile.open(sdist).getnames()}
    need = ['settings.ini', 'README.md', 'CHANGELOG.md', 'setup.py', 'pyproject.toml', f'{lib}/__init__.py', f'{lib}/cli.py', f'{lib}/assets/fsdd_manifest.tsv']
    if missing := [n for n in need if n not in snames]: fail(f'{sdist.name} lacks {missing} (see MANIFEST.in)')
    wnames = set(zipfile.ZipFile(wheel).namelist())
    modules = sorted(str(p.relative_to(src)) for p in (src / lib).rglob('*') if p.is_file() and '__pycache__' not in p.parts)
    if missing := [n for n in modules if n not in wnames]: fail(f'{wheel.name} lacks {missing}')
    eps = zipfile.ZipFile(wheel).read(f'{lib}-{v}.dist-info/entry_points.txt').decode()
    if not re.search(rf'^{lib}\s*=\s*{lib}\.cli:main', eps, re.M): fail(f'{wheel.name} declares no `{lib}` command:\n{eps}')
    log(f'contents: sdist {len(snames)} entries, wheel {len(wnames)} entries, all {len(modules)} files of {lib}/ in the wheel')

def check_requirements(lib, py, env):
    "Every requirement the wheel declares is satisfied in the fresh venv (judged here: the venv may lack `packaging`)."
    from packaging.requirements import Requirement
    code = ("import importlib.metadata as md, json, re\n"
            f"reqs = md.requires('{lib}') or []\n"
            "def ver(r):\n"
            "    try: return md.version(re.match(r'[A-Za-z0-9._-]+', r).group(0))\n"
            "    except md.PackageNotFoundError: return None\n"
            "print(json.dumps({r: ver(r) for r in reqs}))")
    bad = []
    for r, v in json.loads(sh(py, '-c', code, env=env)).items():
        req = Requirement(r)
        if req.marker is not None and not req.marker.evaluate({'extra': ''}): continue   # dev extra, other platforms
        if v is None or not req.specifier.contains(v, prereleases=True): bad.append(f'{r} (installed: {v})')
    if bad: fail(f'the fresh venv does not satisfy these requirements of the wheel: {bad}')
    log('all requirements of the wheel satisfied in the fresh venv')

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--tag', default=os.environ.get('GITHUB_REF_NAME') if os.environ.get('GITHUB_REF_TYPE') == 'tag' else None,
                   help='release tag (vX.Y.Z) that must match the version; default $GITHUB_REF_NAME on a tag push')
    p.add_argument('--outdir', type=Path, help='copy the sdist and the wheel here (e.g. dist/ for publishing)')
    p.add_argument('--workdir', type=Path, help='work folder (kept); default a new temporary folder, removed at the end')
    p.add_argument('--keep', action='store_true', help='keep the temporary work folder')
    p.add_argument('--no-isolation', action='store_true', help="build with this environment's setuptools (offline)")
    p.add_argument('--borrow-deps', action='store_true',
                   help='the fresh venv borrows the dependencies from this environment; install the wheel with --no-deps')
    p.add_argument('--dataset', default='synthetic', help='dataset of the one training run (default synthetic)')
    p.add_argument('--epochs', type=int, default=1, help='epochs of the training run (default 1)')
    a = p.parse_args(argv)

    if missing := [m for m in ('build', 'twine') if importlib.util.find_spec(m) is None]:
        fail(f"this environment lacks {' and '.join(missing)}: pip install {' '.join(missing)} (both are in the dev requirements)")
    lib, v = versions(a.tag)
    log(f"{lib} {v}: settings.ini, {lib}/__init__.py, CHANGELOG.md{' and tag ' + a.tag if a.tag else ''} agree")
    if a.workdir and a.workdir.exists() and any(a.workdir.iterdir()): fail(f'--workdir {a.workdir} is not empty')
    work = a.workdir or Path(tempfile.mkdtemp(prefix='release-check-'))
    work.mkdir(parents=True, exist_ok=True)
    try:
        (work / 'tmp').mkdir(exist_ok=True)
        # subprocesses keep their temporary files and caches in the work folder, and never see the checkout's package
        env = {k: val for k, val in os.environ.items() if k not in ('PYTHONPATH', 'VIRTUAL_ENV', 'PYTHONHOME')}
        env.update(TMPDIR=str(work / 'tmp'), MMBALANCE_CACHE=str(work / 'cache'), MPLBACKEND='Agg')

        src = source_copy(work / 'src')
        dist = work / 'dist'
        log(f"python -m build{' --no-isolation' if a.no_isolation else ''}: sdist, then the wheel from the sdist")
        sh(sys.executable, '-m', 'build', *(['--no-isolation'] if a.no_isolation else []), '--outdir', dist, src, cwd=work, env=env)
        sdists, wheels = sorted(dist.glob('*.tar.gz')), sorted(dist.glob('*.whl'))
        if [s.name for s in sdists] != [f'{lib}-{v}.tar.gz'] or [w.name for w in wheels] != [f'{lib}-{v}-py3-none-any.whl']:
            fail(f'expected {lib}-{v}.tar.gz and {lib}-{v}-py3-none-any.whl, built {sorted(f.name for f in dist.iterdir())}')
        sdist, wheel = sdists[0], wheels[0]
        for f in (sdist, wheel): log(f'built {f.name} ({f.stat().st_size/1e3:.0f} kB)')
        check_contents(lib, v, sdist, wheel, src)
        out = sh(sys.executable, '-m', 'twine', '--no-color', 'check', '--strict', sdist, wheel, cwd=work, env=env)
        if out.count('PASSED') != 2: fail(f'twine check:\n{out}')
        log(f'twine check --strict: {sdist.name} and {wheel.name} PASSED')

        venv = work / 'venv'
        sh(sys.executable, '-m', 'venv', venv, env=env)
        py, exe = venv / 'bin' / 'python', venv / 'bin' / lib
        if a.borrow_deps:
            # torch & co. come from this environment through a .pth path entry (gigabytes otherwise); the package itself
            # comes only from the wheel (the venv's own site-packages is searched first)
            site = Path(sh(py, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])', env=env).strip())
            deps = [d for d in sys.path if d.endswith('site-packages')]
            (site / '_deps_from_release_check.pth').write_text('\n'.join(deps) + '\n')
            log(f'fresh venv, dependencies borrowed from {", ".join(deps)}; pip install --no-deps {wheel.name}')
            sh(py, '-m', 'pip', 'install', '-q', '--no-deps', '--no-index', wheel, env=env)
        else:
            log(f'fresh venv; pip install {wheel.name} (with its dependencies, from the index)')
            sh(py, '-m', 'pip', 'install', '-q', wheel, env=env)
        check_requirements(lib, py, env)
        run = work / 'run'; run.mkdir()
        where = sh(py, '-c', f'import {lib}; print({lib}.__version__, {lib}.__file__)', cwd=run, env=env).split()
        if where[0] != v or not os.path.realpath(where[1]).startswith(os.path.realpath(venv)): fail(f'`import {lib}` in the fresh venv gives {where}, not the wheel')
        log(f'import {lib}: {v} from {where[1]}')
        out = sh(exe, 'list', cwd=run, env=env)
        names = set(re.findall(r'^\s+(\w+)\s', out, re.M))
        if missing := {'joint', 'ogm_ge', 'opm', 'synthetic', 'avdigits'} - names: fail(f'`{lib} list` lacks {missing}:\n{out}')
        log(f'{lib} list: ' + ' '.join(sorted(names)))
        log(f'{lib} train --dataset {a.dataset} --method joint --epochs {a.epochs} (cwd {run})')
        out = sh(exe, 'train', '--dataset', a.dataset, '--method', 'joint', '--epochs', a.epochs, '--seed', 0,
                 '--out', run / 'joint', '--no-progress', cwd=run, env=env)
        summary = run / 'joint' / 'summary.json'
        if not summary.exists(): fail(f'no {summary}:\n{out}')
        s = json.loads(summary.read_text())
        log(f"summary.json: method {s.get('method')}, dataset {s.get('dataset')}, test accuracy {s.get('test_acc', float('nan')):.3f}")

        if a.outdir:
            a.outdir.mkdir(parents=True, exist_ok=True)
            for f in (sdist, wheel): shutil.copy2(f, a.outdir / f.name)
            log(f'artifacts copied to {a.outdir}')
    finally:
        if a.workdir is None and not a.keep: shutil.rmtree(work, ignore_errors=True)
        elif a.workdir is None: log(f'work folder kept: {work}')
    print(f"release check passed: {lib}-{v} (sdist + wheel){' for tag ' + a.tag if a.tag else ''} in {time.time()-T0:.0f}s", flush=True)

if __name__ == '__main__': main()
