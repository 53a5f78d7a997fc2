"""Compare a freshly run benchmark's leaderboard.csv with a committed one (accuracy columns; timings are ignored).

    python tools/compare_leaderboards.py nbs/results/avdigits NEW_DIR [--tol 0.015]

Exits 1 (naming method and column) if a method is missing or a mean accuracy differs by more than `--tol` (a fraction):
the README's table must be what the benchmark produces, not typed or stale. The tolerance only absorbs float-rounding
differences between machines (CPU kernels, thread counts); on the same kind of machine the numbers are identical.
"""
import csv, sys
from pathlib import Path

def rows(d):
    with open(Path(d) / 'leaderboard.csv') as f: return {r['method']: r for r in csv.DictReader(f)}

def main(argv):
    old_dir, new_dir = argv[0], argv[1]
    tol = float(argv[argv.index('--tol') + 1]) if '--tol' in argv else 0.015
    old, new = rows(old_dir), rows(new_dir)
    cols = [c for c in next(iter(old.values())) if c.endswith('_mean') and any(k in c for k in ('test_acc', 'macro_f1', 'probe', 'gap', 'own_', 'val_acc'))]
    problems, worst = [], 0.
    for m, r in old.items():
        if m not in new: problems.append(f'{m}: missing from the new run'); continue
        for c in cols:
            a, b = r.get(c) or '', new[m].get(c) or ''
            if (a == '') != (b == ''): problems.append(f'{m} {c}: {a!r} committed, {b!r} now'); continue
            if a == '': continue
            d = abs(float(a) - float(b)); worst = max(worst, d)
            if d > tol: problems.append(f'{m} {c}: {float(a):.4f} committed, {float(b):.4f} now')
    print(f'compared {len(old)} methods x {len(cols)} columns; largest difference {worst:.4f} (tolerance {tol})')
    for p in problems: print('MISMATCH', p)
    return 1 if problems else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
