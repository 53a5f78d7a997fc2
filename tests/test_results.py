"""The README's leaderboard is the output of the committed avdigits benchmark (nbs/results/avdigits), not typed by hand,
and a rerun reproduces it: bit for bit where the float fingerprint matches the committed runs', within the seed-level
uncertainty where it does not (nbs/08_repro.ipynb)."""
import json, os, shutil, subprocess, sys
from pathlib import Path
import pytest
from mmbalance.core import write_json_atomic
from shipped import shipped_methods
from mmbalance.bench import leaderboard_rows, leaderboard_markdown, expand_methods
from mmbalance.repro import compare_runs, compare_benchmarks, load_benchmark, environment_line, environment, fingerprint_differences, KERNEL_VARS

ROOT = Path(__file__).resolve().parents[1]
RES = ROOT / 'nbs' / 'results' / 'avdigits'
FSDD = Path(os.environ.get('MMBALANCE_DATA', '/nonexistent')) / 'fsdd' / 'recordings'
needs_fsdd = pytest.mark.skipif(not FSDD.exists(), reason='FSDD not found: set MMBALANCE_DATA (../shared/data here)')

SYN = ROOT / 'nbs' / 'results' / 'synthetic'

def committed_runs(res=RES):
    cfg = json.loads((res / 'bench.json').read_text())
    first = next((res / 'runs').glob('joint/seed*/summary.json'))
    plan = expand_methods(cfg['methods'], json.loads(first.read_text())['modalities'])
    runs = {label: [json.loads((res / 'runs' / label / f'seed{s}' / 'summary.json').read_text()) for s in cfg['seeds']] for label, _, _ in plan}
    return cfg, plan, runs

@pytest.mark.parametrize('res', [RES, SYN], ids=['avdigits', 'synthetic'])
def test_committed_leaderboard_is_computed_from_the_committed_runs(res):
    "The committed leaderboards (README: avdigits and synthetic) are their runs' aggregation, every shipped method, at least 5 seeds."
    cfg, plan, runs = committed_runs(res)
    assert cfg['dataset'] == res.name and cfg['status'] == 'done' and cfg['failed_runs'] == 0 and len(cfg['seeds']) >= 5
    # the methods the package itself defines (notebooks run in this process register others, e.g. 17_own_method's gradnorm_eq)
    shipped = set(shipped_methods())
    assert shipped <= {name for _, name, _ in plan}                       # every method the package ships is in it
    md = (res / 'leaderboard.md').read_text()
    assert leaderboard_markdown(leaderboard_rows(runs)) in md
    for f in ('leaderboard.png', 'curves.png', 'imbalance.png'): assert (res / f).stat().st_size > 10_000

def test_committed_benchmark_names_its_environment():
    "The header names the CPU, its kernel capability and the versions the runs were produced with, as the runs record them."
    cfg, _, runs = committed_runs()
    envs = [s['environment'] for ss in runs.values() for s in ss]
    line = environment_line(envs)
    assert line.startswith('Produced on: CPU ') and f"kernels {envs[0]['cpu_capability']}" in line and envs[0]['torch_build'] in line
    assert line in (RES / 'leaderboard.md').read_text()
    assert fingerprint_differences(cfg['environment'], envs[0]) == []   # the grid's record is its runs' (2 threads, one process each)

def test_readme_shows_the_committed_leaderboards():
    "README.md shows the committed avdigits and synthetic leaderboards as they are, the avdigits plot, and the commands that made them."
    readme = (ROOT / 'README.md').read_text()
    for res in (RES, SYN):
        md = (res / 'leaderboard.md').read_text()
        table = [l for l in md.splitlines() if l.startswith('|')]
        assert len(table) >= 2 + 11 and '\n'.join(table) in readme, res
        assert next(l for l in md.splitlines() if l.startswith('Produced on')) in readme
    assert '](nbs/results/avdigits/leaderboard.png)' in readme
    assert 'mmbalance bench --dataset avdigits --seeds 0,1,2,3,4 --out nbs/results/avdigits' in readme
    assert 'mmbalance bench --dataset synthetic --seeds 0,1,2,3,4 --out nbs/results/synthetic' in readme

def test_readme_says_which_other_toolkits_have_each_method():
    "The README's toolkit table has one row per shipped balancing method, three toolkit cells each, and its sources are committed."
    readme = (ROOT / 'README.md').read_text()
    sec = readme.split('## The same methods in other toolkits', 1)[1].split('\n## ', 1)[0]
    rows = [l.split(' | ') for l in sec.splitlines() if l.startswith('| ') and not l.startswith('| method')]
    assert all(len(r) == 4 for r in rows), rows
    shipped = set(shipped_methods()) - {'joint', 'unimodal', 'dropout'}
    assert sorted(r[0][2:] for r in rows) == sorted(shipped)
    cov = (ROOT / 'nbs' / 'results' / 'toolkits' / 'coverage.md').read_text()
    assert all(f'| {m} |' in cov for m in shipped)

def _with_environment(folder, **change):
    for p in folder.glob('runs/*/seed*/summary.json'):
        s = json.loads(p.read_text()); s['environment'] = dict(s['environment'], **change); write_json_atomic(p, s)

def test_comparison_switches_from_exact_to_statistical(tmp_path):
    "Same fingerprint: exact, and one test sample's difference fails; another CPU capability: statistical, within the seed spread."
    c = compare_benchmarks(RES, RES)
    assert (c.mode, c.ok) == ('exact', True) and c.checked > 5000, c.report()
    other = tmp_path / 'avdigits'; shutil.copytree(RES, other, ignore=shutil.ignore_patterns('*.png'))
    s0 = other / 'runs' / 'joint' / 'seed0' / 'summary.json'
    s = json.loads(s0.read_text()); s['test_acc'] += 1 / 300; write_json_atomic(s0, s)      # one more test sample right
    c = compare_benchmarks(RES, other)
    assert c.mode == 'exact' and not c.ok and c.problems == [f"joint seed 0 test_acc: {s['test_acc'] - 1/300!r} committed, {s['test_acc']!r} now"], c.report()
    cap = json.loads((RES / 'runs' / 'joint' / 'seed0' / 'summary.json').read_text())['environment']['cpu_capability']
    _with_environment(other, cpu_capability='AVX2' if cap != 'AVX2' else 'AVX512')          # as if produced on another CPU
    c = compare_benchmarks(RES, other)
    assert c.mode == 'statistical' and c.ok and any('cpu_capability' in r for r in c.reasons), c.report()
    assert 'statistical comparison' in c.report()
    for p in (other / 'runs' / 'opm').glob('seed*/summary.json'):                            # OPM loses 10 points on every seed
        s = json.loads(p.read_text()); s['test_acc'] -= 0.10; write_json_atomic(p, s)
    c = compare_benchmarks(RES, other)
    assert not c.ok and [p.split(':')[0] for p in c.problems] == ['opm test_acc'], c.report()
    _with_environment(other, cpu_capability=json.loads((RES / 'runs' / 'joint' / 'seed0' / 'summary.json').read_text())['environment']['cpu_capability'])
    assert compare_benchmarks(RES, other).mode == 'exact'                                    # back on the committed capability

def test_tool_says_which_comparison_it_made(tmp_path):
    out = subprocess.run([sys.executable, ROOT / 'tools' / 'compare_leaderboards.py', RES, RES], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith('exact comparison') and 'the same bit for bit' in out.stdout, out.stdout + out.stderr
    out = subprocess.run([sys.executable, ROOT / 'tools' / 'compare_leaderboards.py', RES, tmp_path], capture_output=True, text=True)
    assert out.returncode == 2 and 'no bench.json' in out.stderr

@needs_fsdd
def test_a_committed_run_reproduces(tmp_path):
    "Retrain joint, seed 0, at the committed thread count: bit for bit on the committed fingerprint, else within the seed spread."
    import torch
    from mmbalance.train import train
    from mmbalance.callbacks import ProbeCurve
    _, _, runs = committed_runs()
    ref = runs['joint'][0]
    torch.set_num_threads(ref['threads'])
    s = train('avdigits', 'joint', epochs=ref['config']['epochs'], seed=0, out=tmp_path, progress=False,
              callbacks=[ProbeCurve(every=1, kind='ridge')])                # as the benchmark trains (its probe curves)
    hist = lambda d: list(__import__('csv').DictReader(open(d / 'history.csv')))
    c = compare_runs(runs, {'joint': [json.loads((tmp_path / 'summary.json').read_text())]}, subset=True,
                     histories=lambda l, seed: (hist(RES / 'runs' / l / f'seed{seed}'), hist(tmp_path)))
    print(c.report())
    assert c.ok, c.report()
    assert c.mode == ('exact' if not fingerprint_differences(ref['environment'], s['environment']) else 'statistical')

@needs_fsdd
def test_a_rerun_on_other_cpu_kernels_is_statistically_equivalent(tmp_path):
    "Simulate another machine: rerun two methods with the CPU kernels forced to another family; the floats change, the check passes."
    native = environment()['cpu_capability']
    env = {k: v for k, v in os.environ.items() if k not in KERNEL_VARS}
    env['ATEN_CPU_CAPABILITY'] = 'avx2' if native.startswith('AVX512') else 'default'
    cmd = [sys.executable, '-m', 'mmbalance', 'bench', '--dataset', 'avdigits', '--methods', 'joint,ogm_ge', '--seeds', '0,1,2',
           '--probe-every', '0', '--no-plots', '--no-progress', '--out', tmp_path / 'b']
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    _, rb = load_benchmark(tmp_path / 'b')
    assert rb['joint'][0]['environment']['cpu_capability'] != native
    c = compare_benchmarks(RES, tmp_path / 'b', methods=['joint', 'ogm_ge'])
    print(c.report())
    assert c.mode == 'statistical' and c.ok, c.report()
    _, ra = load_benchmark(RES)
    loss = lambda folder, l: (folder / 'runs' / l / 'seed0' / 'history.csv').read_text().splitlines()[-1].split(',')[1]
    assert loss(RES, 'joint') != loss(tmp_path / 'b', 'joint')             # the kernels really changed the floats
