"The installed `mmbalance` command: the DESIGN.md §4 contract, determinism, resume and bad input."
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest
from mmbalance.train import SUMMARY_KEYS

def run(*args, check=True, env=None, timeout=600):
    p = subprocess.run(['mmbalance', *map(str, args)], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=timeout)
    if check: assert p.returncode == 0, p.stderr
    return p

def summary(d): return json.loads((Path(d) / 'summary.json').read_text())

def run_killed(args, d, epochs_done:int=2, timeout:float=300) -> int:
    "Start `mmbalance ARGS --out d`, SIGKILL it once `epochs_done` epochs are in its history; return how many epochs it finished."
    p = subprocess.Popen(['mmbalance', *map(str, args), '--out', str(d)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while time.time() - t0 < timeout:
        h = Path(d) / 'history.csv'
        if h.exists() and h.read_text().count('\n') >= epochs_done + 1: break
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL); p.wait()
    return (Path(d) / 'history.csv').read_text().count('\n') - 1

def test_list():
    out = run('list').stdout
    for name in ('joint', 'unimodal', 'dropout', 'synthetic', 'avdigits'): assert f'  {name} ' in out, out

def test_train_synthetic_contract_and_determinism(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    for d in (a, b): run('train', '--dataset', 'synthetic', '--method', 'joint', '--epochs', 3, '--seed', 0, '--out', d, '--no-progress')
    sa, sb = summary(a), summary(b)
    assert set(SUMMARY_KEYS) <= set(sa)
    for k in ('val_acc', 'test_acc', 'test_macro_f1'): assert 0 <= sa[k] <= 1
    assert set(sa['unimodal_test_acc']) == set(sa['probe_test_acc']) == {'a', 'b'}
    assert (a / 'history.csv').read_text().count('\n') == 4          # header + one row an epoch
    assert (a / 'last.pt').exists() and (a / 'best.pt').exists()
    strip = lambda s: {k: v for k, v in s.items() if 'seconds' not in k and k not in ('data_share', 'machine_load')}   # times and load: the machine's
    assert strip(sa) == strip(sb)                                     # same seed, identical numbers

DETERMINISTIC = [('joint',), ('unimodal', '--modality', 'a'), ('dropout',), ('ogm_ge',), ('ogm',), ('opm',), ('cggm',), ('dimml',), ('lfm',),
                 ('lfm', '--schedule', 'learned'), ('mie', '--stage-epochs', '1'), ('agm',), ('pmr',), ('mmcosine',), ('cml',), ('mbsd',),
                 ('mslr',), ('mmpareto',), ('inforeg',), ('arl', '--start', '0'), ('dgl',), ('mlb',), ('amco',),
                 ('umt', '--teacher-epochs', '1'), ('ume',), ('gblending',), ('gblending', '--mode', 'online', '--super-epoch', '1'), ('mla',),
                 ('reconboost',), ('greedy', '--start-epoch', '1'), ('relearning', '--reinit-start', '0', '--reinit-times', '1'),
                 ('smv', '--warmup', '1'), ('aug', '--check-every', '1')]

@pytest.mark.parametrize('spec', DETERMINISTIC, ids=lambda s: '-'.join(s).replace('--', ''))
def test_every_method_trains_under_deterministic(spec, tmp_path):
    "--deterministic: no operation of any method lacks a deterministic implementation (strict mode would raise), and the CPU kernels are pinned."
    from mmbalance.repro import portable_kernel_env, KERNEL_VARS
    env = {k: '' for k in KERNEL_VARS}                               # (unset: the command pins them itself)
    p = run('train', '--dataset', 'synthetic', '--method', spec[0], *spec[1:], '--epochs', 3, '--n-train', 600, '--deterministic',
            '--no-probes', '--out', tmp_path, '--no-progress', env=env)
    e = summary(tmp_path)['environment']
    assert e['deterministic_strict'] and summary(tmp_path)['config']['deterministic'], e
    assert e['cpu_capability'] == portable_kernel_env()['ATEN_CPU_CAPABILITY'].upper() and e['kernel_env']['ATEN_CPU_CAPABILITY'], e

def test_bad_input_is_one_clear_line(tmp_path):
    cases = [(['train', '--method', 'magic', '--out', tmp_path], 'valid methods: '),
             (['train', '--dataset', 'cifar', '--out', tmp_path], 'valid datasets: '),
             (['train', '--epochs', 0, '--out', tmp_path], '--epochs must be a positive integer'),
             (['train', '--epochs', -2, '--out', tmp_path], '--epochs must be a positive integer'),
             (['train', '--batch-size', 0, '--out', tmp_path], '--batch-size must be a positive integer'),
             (['train', '--method', 'dropout', '--p', 1.5, '--out', tmp_path], '--p must be in [0, 1)'),
             (['train', '--resume', tmp_path / 'nothing'], 'config.json not found'),
             (['bench', '--methods', 'joint,nope', '--out', tmp_path], 'valid methods: ')]
    for args, msg in cases:
        p = run(*args, check=False)
        assert p.returncode == 2, (args, p.stderr)
        assert msg in p.stderr and 'Traceback' not in p.stderr, (args, p.stderr)
        assert p.stderr.startswith('mmbalance: error: '), p.stderr

def test_resume_after_kill_gives_the_uninterrupted_result(tmp_path):
    args = ['train', '--dataset', 'synthetic', '--method', 'joint', '--epochs', 8, '--seed', 3, '--n-train', 20000, '--no-probes', '--no-progress']
    run(*args, '--out', tmp_path / 'full')
    d = tmp_path / 'killed'
    done = run_killed(args, d)
    assert 2 <= done < 8 and not (d / 'summary.json').exists(), done
    run('train', '--resume', d, '--no-progress')
    full, resumed = summary(tmp_path / 'full'), summary(d)
    assert resumed['test_acc'] == full['test_acc'] and resumed['best_epoch'] == full['best_epoch']
    assert (d / 'history.csv').read_text() .split('\n')[0] == (tmp_path / 'full' / 'history.csv').read_text().split('\n')[0]
    col = lambda p: [l.split(',')[2] for l in p.read_text().strip().split('\n')[1:]]   # val_loss column
    assert col(d / 'history.csv') == col(tmp_path / 'full' / 'history.csv')

def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    "A loss that turns NaN in epoch 1 stops the run with epoch and step; epoch 0's checkpoint and history survive."
    import torch
    from mmbalance.core import METHODS
    from mmbalance.learner import Callback
    from mmbalance.cli import main
    class Poison(Callback):
        def after_loss(self, learn):
            if learn.training and learn.epoch == 1 and learn.iter == 3: learn.loss = learn.loss * float('nan')
    if 'test_poison' not in METHODS: METHODS.register('test_poison')(lambda: [Poison()])
    rc = main(['train', '--method', 'test_poison', '--epochs', 3, '--out', str(tmp_path), '--no-progress'])
    err = capsys.readouterr().err
    assert rc == 2 and 'became nan at epoch 1 step 3' in err and 'last.pt' in err, err
    ck = torch.load(tmp_path / 'last.pt', weights_only=True)
    assert ck['epoch'] == 0 and len(ck['history']) == 1
    assert (tmp_path / 'history.csv').read_text().count('\n') == 2
    assert not (tmp_path / 'summary.json').exists()

def test_bench_writes_the_leaderboard(tmp_path):
    p = run('bench', '--methods', 'joint,unimodal', '--seeds', '0,1', '--epochs', 2, '--n-train', 500, '--out', tmp_path, '--no-progress')
    assert '| joint | 2 |' in p.stdout and 'unimodal[a]' in p.stdout and 'data loading' in p.stdout and 's per epoch' in p.stdout
    for f in ('leaderboard.csv', 'leaderboard.md', 'leaderboard.png', 'curves.png', 'imbalance.png'): assert (tmp_path / f).stat().st_size > 0
    rows = (tmp_path / 'leaderboard.csv').read_text().strip().split('\n')
    assert len(rows) == 1 + 3 and rows[0].startswith('method,seeds,test_acc_mean,test_acc_std')
    for col in ('probe_concat_mean', 'gap_b_mean', 'step_ratio_mean', 'time_ratio_mean', 'test_acc_delta_vs_joint_mean'): assert col in rows[0], col
    assert 'gap' in p.stdout and 'concat probe' in p.stdout

def test_bench_failed_run_is_reported_and_the_grid_goes_on(tmp_path):
    p = run('bench', '--methods', 'dimml:duc_start=9,joint', '--seeds', '0,1', '--epochs', 2, '--n-train', 300, '--out', tmp_path,
            '--no-progress', '--no-plots', check=False)
    assert p.returncode == 1 and '2 run(s) failed' in p.stderr, p.stderr
    assert 'FAILED dimml(duc_start=9) seed 0: --duc-start 9' in p.stdout and '| joint | 2 |' in p.stdout
    fails = json.loads((tmp_path / 'failures.json').read_text())
    assert [(f['method'], f['seed']) for f in fails] == [('dimml(duc_start=9)', 0), ('dimml(duc_start=9)', 1)]
    assert (tmp_path / 'runs' / 'joint' / 'seed1' / 'summary.json').exists()

@pytest.mark.parametrize('args,msg', [
    (['--methods', 'joint,jiont'], "unknown method 'jiont'"),
    (['--methods', 'joint,joint'], "--methods: ['joint'] given more than once"),
    (['--methods', 'opm:q_base=2'], '--methods opm(q_base=2): --q-base (a probability) must be in [0, 1], got 2'),
    (['--seeds', '0,1,0'], '--seeds: [0] given more than once'),
    (['--jobs', '0'], '--jobs must be a positive integer'),
    (['--dataset', 'synthetic,synthetic'], "--dataset: ['synthetic'] given more than once"),
])
def test_bench_bad_input(args, msg, tmp_path):
    p = run('bench', '--out', tmp_path / 'b', '--epochs', 1, '--no-progress', *args, check=False)
    assert p.returncode == 2 and msg in p.stderr and 'Traceback' not in p.stderr, p.stderr
    assert not (tmp_path / 'b' / 'runs').exists()                       # refused before any run

def test_bench_refuses_another_benchmarks_folder(tmp_path):
    base = ['bench', '--methods', 'joint', '--seeds', '0', '--n-train', 200, '--out', tmp_path, '--no-progress', '--no-plots']
    run(*base, '--epochs', 1)
    before = (tmp_path / 'runs' / 'joint' / 'seed0' / 'summary.json').read_text()
    p = run(*base, '--epochs', 2, check=False)
    assert p.returncode == 2 and "holds another benchmark's runs (epochs: 1 there, 2 here)" in p.stderr, p.stderr
    assert (tmp_path / 'runs' / 'joint' / 'seed0' / 'summary.json').read_text() == before   # nothing overwritten

def test_finished_run_is_not_overwritten(tmp_path):
    "A second `train` into a finished run's folder is refused (exit 2, naming the folder and --resume) and nothing in it changes."
    d = tmp_path / 'r'
    run('train', '--dataset', 'synthetic', '--epochs', 2, '--out', d, '--no-progress', '--no-probes')
    before = {f.name: f.read_bytes() for f in d.iterdir()}
    p = run('train', '--dataset', 'synthetic', '--epochs', 3, '--seed', 1, '--out', d, '--no-progress', check=False)
    assert p.returncode == 2 and f'--out {d} already holds a finished run' in p.stderr and f'--resume {d}' in p.stderr, p.stderr
    assert {f.name: f.read_bytes() for f in d.iterdir()} == before
    run('train', '--dataset', 'synthetic', '--epochs', 2, '--seed', 1, '--out', d, '--no-progress', '--no-probes', '--overwrite')
    assert summary(d)['seed'] == 1

def test_schedule_clipping_and_tensorboard_flags(tmp_path):
    "The official recipes' schedule and clipping flags reach the run and its config; --log tensorboard writes readable event files."
    d = tmp_path / 'r'
    run('train', '--dataset', 'synthetic', '--method', 'ogm_ge', '--epochs', 3, '--lr-schedule', 'multistep', '--lr-milestones', '1,2',
        '--lr-gamma', 0.5, '--clip-grad', 0.8, '--log', 'tensorboard', '--out', d, '--no-progress', '--no-probes')
    cfg = json.loads((d / 'config.json').read_text())
    assert cfg['lr_schedule'] == dict(kind='multistep', step_size=30, milestones=[1, 2], gamma=0.5, patience=10) and cfg['clip_grad'] == 0.8
    lrs = [float(l.split(',')[l0.split(',').index('lr')]) for l0 in [(d / 'history.csv').read_text().splitlines()[0]] for l in (d / 'history.csv').read_text().splitlines()[1:]]
    assert lrs == [0.05, 0.025, 0.0125], lrs
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    ev = EventAccumulator(str(d / 'tensorboard')); ev.Reload()
    tags = set(ev.Tags()['scalars'])
    assert {'loss/train', 'valid/acc', 'test/acc', 'opt/lr'} <= tags and [e.step for e in ev.Scalars('valid/acc')] == [0, 1, 2], tags
    p = run('train', '--dataset', 'synthetic', '--lr-schedule', 'multistep', '--out', tmp_path / 'x', check=False)
    assert p.returncode == 2 and '--lr-milestones' in p.stderr and not (tmp_path / 'x' / 'config.json').exists()

def test_run_flags_take_train_defaults(tmp_path):
    "The run flags have no defaults of their own: a run without them records train()'s signature defaults, and --help shows those."
    import inspect
    from mmbalance.train import train
    d = tmp_path / 'r'
    run('train', '--dataset', 'synthetic', '--epochs', 1, '--n-train', 200, '--out', d, '--no-progress', '--no-probes')
    cfg, sig = json.loads((d / 'config.json').read_text()), inspect.signature(train).parameters
    for k in ('batch_size', 'lr', 'optimizer', 'weight_decay', 'fusion', 'encoder', 'accumulate', 'mixed_precision', 'deterministic'):
        assert cfg[k] == sig[k].default, (k, cfg[k], sig[k].default)
    assert 'lr_schedule' not in cfg and 'clip_grad' not in cfg                      # train()'s defaults: cosine, no clipping
    h = ' '.join(run('train', '--help').stdout.split())
    for k in ('lr', 'batch_size', 'weight_decay', 'lr_step_size', 'lr_gamma', 'lr_patience', 'lr_schedule', 'optimizer'):
        flag = '--' + k.replace('_', '-')
        assert f"{flag} {k.upper()} " in h and f"(default: {sig[k].default})" in h.split(f"{flag} {k.upper()} ")[-1].split(' --')[0], k
