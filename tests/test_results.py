"The README's leaderboard is the output of the committed avdigits benchmark (nbs/results/avdigits), not typed by hand."
import json, os
from pathlib import Path
import pytest
from mmbalance.core import METHODS
from mmbalance.bench import leaderboard_rows, leaderboard_markdown, expand_methods

ROOT = Path(__file__).resolve().parents[1]
RES = ROOT / 'nbs' / 'results' / 'avdigits'
FSDD = Path(os.environ.get('MMBALANCE_DATA', '/nonexistent')) / 'fsdd' / 'recordings'

def committed_runs():
    cfg = json.loads((RES / 'bench.json').read_text())
    first = next((RES / 'runs').glob('joint/seed*/summary.json'))
    plan = expand_methods(cfg['methods'], json.loads(first.read_text())['modalities'])
    runs = {label: [json.loads((RES / 'runs' / label / f'seed{s}' / 'summary.json').read_text()) for s in cfg['seeds']] for label, _, _ in plan}
    return cfg, plan, runs

def test_committed_leaderboard_is_computed_from_the_committed_runs():
    cfg, plan, runs = committed_runs()
    assert cfg['dataset'] == 'avdigits' and cfg['status'] == 'done' and cfg['failed_runs'] == 0 and len(cfg['seeds']) >= 3
    shipped = {n for n in METHODS.names() if not n.startswith('test_')}    # (other tests register test_* methods in this process)
    assert shipped <= {name for _, name, _ in plan}                       # every method the package ships is in it
    assert leaderboard_markdown(leaderboard_rows(runs)) in (RES / 'leaderboard.md').read_text()
    for f in ('leaderboard.png', 'curves.png', 'imbalance.png'): assert (RES / f).stat().st_size > 10_000

def test_readme_shows_that_leaderboard_and_its_plot():
    readme = (ROOT / 'README.md').read_text()
    table = [l for l in (RES / 'leaderboard.md').read_text().splitlines() if l.startswith('|')]
    assert len(table) >= 2 + 11 and '\n'.join(table) in readme
    assert '](nbs/results/avdigits/leaderboard.png)' in readme and 'mmbalance bench --dataset avdigits --out nbs/results/avdigits' in readme

@pytest.mark.skipif(not FSDD.exists(), reason='FSDD not found: set MMBALANCE_DATA (../shared/data here)')
def test_a_committed_run_reproduces():
    "Retrain joint, seed 0: the same numbers as the committed run (same code, seed and CPU thread count: float results depend on it)."
    import torch
    from mmbalance.train import train
    _, _, runs = committed_runs()
    ref = runs['joint'][0]
    torch.set_num_threads(ref['threads'])
    s = train('avdigits', 'joint', epochs=ref['config']['epochs'], seed=0, progress=False)
    assert abs(s['test_acc'] - ref['test_acc']) < 0.005 and s['best_epoch'] == ref['best_epoch'], (s['test_acc'], ref['test_acc'])
    assert abs(s['probe_test_acc']['audio'] - ref['probe_test_acc']['audio']) < 0.005
