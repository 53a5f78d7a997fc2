"""Re-render the leaderboard (`leaderboard.md`, `leaderboard.csv`) of committed benchmark folders from their finished runs,
training nothing: run it after the table's format changes.  Usage: python tools/render_leaderboards.py nbs/results/avdigits ...
A folder without bench.json is searched for benchmark folders below it (e.g. nbs/results/dimml_budget)."""
import sys
from pathlib import Path
from mmbalance.bench import render_leaderboard
from mmbalance.core import write_text_atomic

for top in map(Path, sys.argv[1:] or ['nbs/results']):
    folders = [top] if (top / 'bench.json').exists() else sorted(p.parent for p in top.glob('**/bench.json'))
    if not folders: sys.exit(f"{top}: no benchmark folder (bench.json) in it or below it")
    for d in folders:
        render_leaderboard(d); print('rendered', d)
    subs = sorted(p.parent for p in top.glob('*/bench.json'))
    if subs and (top / 'leaderboard.md').exists() and not (top / 'bench.json').exists():   # a group keeps its tables together
        write_text_atomic(top / 'leaderboard.md', '\n'.join((s / 'leaderboard.md').read_text() for s in subs)); print('joined', top)
