"""Step cost of every method before and after a change, measured side by side in one run.

    python tools/compare_step_cost.py OLD_REV [NEW_REV] [--rounds 15] [--repeats 2]

Checks out OLD_REV (and NEW_REV, default: the working tree) into temporary git worktrees, then times one training step
of joint and of every method with `mmbalance.bench.step_times`, on the avdigits model (64 samples) and on the ResNet-18
model of the CREMA-D configuration (`cremad_shape_batch`), alternating the two versions `--repeats` times in fresh
processes so that both see the same machine load. Prints the joint step (ms) and each method's ratio to joint, per
version (medians over the repeats). Needs $MMBALANCE_DATA for avdigits.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
METHODS = ['joint', 'dropout', 'ogm_ge', 'ogm', 'opm', 'cggm', 'dimml:duc_start=0', 'lfm', 'mie']
PROBE = r'''
import json, sys, torch
import mmbalance, mmbalance.bench as B
from mmbalance.data.core import load_dataset
from mmbalance.models import build_model
torch.set_num_threads(int(sys.argv[2]))
assert mmbalance.__file__.startswith(sys.argv[1]), (mmbalance.__file__, sys.argv[1])
methods, rounds = json.loads(sys.argv[3]), int(sys.argv[4])
av = load_dataset('avdigits', seed=0)
small = {k: v[:64] for k, v in av.splits['train'].items()}
res = {'avdigits': B.step_times(lambda: build_model(av), small, methods, rounds=rounds, warmup=3, n_classes=10, quiet=True)}
big, stub = B.cremad_shape_batch()
res['resnet18'] = B.step_times(lambda: build_model(stub, encoder='resnet18'), big, methods, rounds=max(3, rounds // 3), warmup=2, n_classes=6, quiet=True)
print('RESULT ' + json.dumps({k: {r['method']: r['median_s'] for r in rows} for k, rows in res.items()}))
'''

def worktree(rev, tmp):
    d = Path(tmp) / rev.replace('/', '_')
    subprocess.run(['git', '-C', ROOT, 'worktree', 'add', '--detach', d, rev], check=True, capture_output=True)
    return d

def measure(src, methods, rounds, threads):
    env = {**os.environ, 'PYTHONPATH': str(src)}
    out = subprocess.run([sys.executable, '-c', PROBE, str(src), str(threads), json.dumps(methods), str(rounds)], capture_output=True, text=True, env=env, cwd=src)   # cwd first on sys.path: that version's package
    if out.returncode: raise SystemExit(f'{src}: {out.stderr[-2000:]}')
    return json.loads(next(l for l in out.stdout.splitlines() if l.startswith('RESULT '))[7:])

def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('old'); p.add_argument('new', nargs='?', default=None)
    p.add_argument('--rounds', type=int, default=15); p.add_argument('--repeats', type=int, default=2)
    p.add_argument('--threads', type=int, default=os.cpu_count() or 1)
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        versions = {a.old: worktree(a.old, tmp), (a.new or 'working tree'): worktree(a.new, tmp) if a.new else ROOT}
        runs = {v: [] for v in versions}
        try:
            for _ in range(a.repeats):
                for v, src in versions.items(): runs[v].append(measure(src, METHODS, a.rounds, a.threads))
        finally:
            for v, src in versions.items():
                if src != ROOT: subprocess.run(['git', '-C', ROOT, 'worktree', 'remove', '--force', src], capture_output=True)
    raw = Path(tempfile.gettempdir()) / 'compare_step_cost.json'
    raw.write_text(json.dumps(runs)); print(f'raw medians (s) in {raw}')
    for model in ('avdigits', 'resnet18'):
        print(f'\n{model}: joint step (ms) and step ratio to joint, median of {a.repeats} alternating runs')
        print('| method | ' + ' | '.join(versions) + ' |\n|---|' + '---|' * len(versions))
        for m in runs[next(iter(versions))][0][model]:          # the labels step_times reports (e.g. dimml(duc_start=0))
            cells = []
            for v in versions:
                ts = [r[model][m] / (1 if m == 'joint' else r[model]['joint']) for r in runs[v]]
                cells.append(f'{1000 * statistics.median(ts):.2f} ms' if m == 'joint' else f'{statistics.median(ts):.2f}x')
            print(f'| {m} | ' + ' | '.join(cells) + ' |')

if __name__ == '__main__': main(sys.argv[1:])
