"""torchrun on CPU (gloo, 2 processes) equals one process with the same global batch, for every method: identical
coefficients on every rank, the same coefficients and weights as one process. And exact resume after SIGKILL, for every
method: the resumed run ends with the uninterrupted run's summary and weights."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest, torch
from test_cli import run, summary, run_killed

SPECS = ['joint', 'dropout', 'ogm_ge', 'ogm', 'opm', 'cggm', 'dimml:duc_start=0:stage2_epochs=1', 'lfm', 'lfm:schedule=learned',
         'mie:stage_epochs=1',
         'agm', 'pmr', 'mmcosine', 'cml', 'mbsd', 'mslr', 'mslr:strategy=dynamic_mlb:history=1', 'mmpareto', 'inforeg',
         'arl:start=0', 'dgl', 'mlb', 'amco',
         'umt:teacher_epochs=1', 'ume', 'gblending:mode=online:super_epoch=1', 'mla', 'mla:alternate=batch', 'reconboost',
         'reconboost:rectify_epochs=0', 'greedy:start_epoch=0', 'greedy:start_epoch=0:mode=random', 'relearning:reinit_start=0:reinit_times=1',
         'smv:warmup=1', 'smv:level=modality:warmup=1', 'aug:check_every=1']
# MLA's `gm=code` (the released projector update) divides element-wise by α + q r, whose entries come as close to 0 as
# 1e-6 on this data: the all-reduce's last-bit differences come out amplified (3e-4 in the weights after two epochs), so
# DDP equality is checked for its other options; its exact resume (one process) is checked below.
RESUME_ONLY = ['mla:alternate=batch:gm=code']
SCRIPT = '''
import os, sys
import torch.distributed as dist
from mmbalance.train import train
from mmbalance.bench import expand_methods
from mmbalance.distributed import RankLog
out = sys.argv[1]
if int(os.environ.get('WORLD_SIZE', '1')) > 1: dist.init_process_group('gloo')   # once, for all the runs below
for spec in sys.argv[2:]:
    (label, method, opts), = expand_methods([spec], ['a', 'b'])
    d = os.path.join(out, label)
    train('synthetic', method, epochs=2, seed=0, batch_size=64, out=d, progress=False, probes=False, method_options=opts,
          dataset_options=dict(n_train=256, n_valid=64, n_test=64), callbacks=[RankLog(d, exclude=('_seconds',))])
'''

@pytest.fixture(scope='module')
def ddp_runs(tmp_path_factory):
    d = tmp_path_factory.mktemp('ddp'); (d / 'run.py').write_text(SCRIPT)
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    p = subprocess.run([sys.executable, str(d / 'run.py'), str(d / 'single'), *SPECS], env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-3000:]
    p = subprocess.run(['torchrun', '--standalone', '--nproc_per_node=2', str(d / 'run.py'), str(d / 'ddp'), *SPECS], env=env,
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    return d

def _label(spec):
    from mmbalance.bench import expand_methods
    return expand_methods([spec], ['a', 'b'])[0][0]

@pytest.mark.xdist_group('ddp')                                    # (pytest -n: one worker runs the torchrun pair once)
@pytest.mark.parametrize('spec', SPECS)
def test_ddp_equals_one_process(spec, ddp_runs):
    lab = _label(spec)
    r0, r1 = [json.loads((ddp_runs / 'ddp' / lab / f'rank{r}.json').read_text()) for r in (0, 1)]
    single = json.loads((ddp_runs / 'single' / lab / 'rank0.json').read_text())
    assert r0 == r1                                                    # every rank applied the same coefficients
    assert len(r0) == len(single) and all(set(a) == set(b) for a, b in zip(r0, single))
    for a, b in zip(r0, single):
        for k in a: assert abs(a[k] - b[k]) < 1e-5, (k, a[k], b[k])  # and the single process's
    w1 = torch.load(ddp_runs / 'single' / lab / 'last.pt', weights_only=True)['model']
    w2 = torch.load(ddp_runs / 'ddp' / lab / 'last.pt', weights_only=True)['model']
    assert max((w1[k].float() - w2[k].float()).abs().max().item() for k in w1) < 1e-5
    s = json.loads((ddp_runs / 'ddp' / lab / 'summary.json').read_text())
    assert s['world_size'] == 2

def _flags(spec):
    name, *opts = spec.split(':')
    return ['--method', name] + [x for o in opts for x in (f"--{o.split('=')[0].replace('_', '-')}", o.split('=')[1])]

# The per-step methods' resume (their state is a callback's state_dict, saved and restored by the same mechanism) is
# marked slow: CI runs the staged methods' (every stage of theirs is also killed in tests/test_stages.py) and `-m slow`
# runs the rest (all passed in the CI runs before #18).
PER_STEP = {'dropout', 'ogm_ge', 'ogm', 'opm', 'cggm', 'lfm', 'lfm:schedule=learned', 'agm', 'pmr', 'mmcosine', 'cml', 'mbsd', 'mslr',
            'mslr:strategy=dynamic_mlb:history=1', 'mmpareto', 'inforeg', 'arl:start=0', 'dgl', 'mlb', 'amco'}
RESUME = [pytest.param(s, marks=pytest.mark.slow) if s in PER_STEP else s for s in [s for s in SPECS if s != 'joint'] + RESUME_ONLY]

@pytest.mark.parametrize('spec', RESUME)     # joint: tests/test_cli.py
def test_resume_after_sigkill_is_exact(spec, tmp_path):
    args = ['train', '--dataset', 'synthetic', *_flags(spec), '--epochs', 5, '--seed', 1, '--n-train', 3000, '--no-probes', '--no-progress']
    run(*args, '--out', tmp_path / 'full')
    d = tmp_path / 'killed'
    done = run_killed(args, d)                                        # two epochs done, the third running
    total = summary(tmp_path / 'full')['epochs']
    assert 2 <= done < total and not (d / 'summary.json').exists(), (done, total)
    run('train', '--resume', d, '--no-progress')
    full, resumed = summary(tmp_path / 'full'), summary(d)
    for k in ('test_acc', 'best_epoch', 'val_acc', 'test_macro_f1'): assert resumed[k] == full[k], (k, resumed[k], full[k])
    w1 = torch.load(tmp_path / 'full' / 'last.pt', weights_only=True)['model']; w2 = torch.load(d / 'last.pt', weights_only=True)['model']
    assert all(torch.equal(w1[k], w2[k]) for k in w1)

def test_every_shipped_method_is_covered():
    "A method added to the package joins SPECS (DDP equivalence, exact resume) and test_cli's DETERMINISTIC list."
    from test_cli import DETERMINISTIC
    from shipped import shipped_methods
    shipped = set(shipped_methods())
    assert shipped - {'unimodal'} <= {s.split(':')[0] for s in SPECS}, shipped - {s.split(':')[0] for s in SPECS}   # unimodal: one modality, nothing to synchronise
    assert shipped <= {s[0] for s in DETERMINISTIC}, shipped - {s[0] for s in DETERMINISTIC}
