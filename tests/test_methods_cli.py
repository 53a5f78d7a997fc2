"The balancing methods through the command line: end-to-end runs and their bad options."
import json, os
from pathlib import Path
import pytest
from test_cli import run, summary
from mmbalance.train import SUMMARY_KEYS

FSDD = Path(os.environ.get('MMBALANCE_DATA', '/nonexistent')) / 'fsdd' / 'recordings'

def refused(tmp_path, *args, msg):
    "`mmbalance train` on small synthetic data with ARGS exits 2 with MSG in one clear line (no traceback)."
    p = run('train', '--dataset', 'synthetic', '--n-train', 200, '--out', tmp_path, '--no-progress', *args, check=False)
    assert p.returncode == 2 and msg in p.stderr and 'Traceback' not in p.stderr, p.stderr

@pytest.mark.skipif(not FSDD.exists(), reason='FSDD not found: set MMBALANCE_DATA (../shared/data here)')
@pytest.mark.parametrize('method', ['ogm_ge', 'ogm', 'opm'])
def test_method_runs_on_avdigits(method, tmp_path):
    run('train', '--dataset', 'avdigits', '--method', method, '--epochs', 3, '--seed', 0, '--out', tmp_path, '--no-progress')
    s = summary(tmp_path)
    assert set(SUMMARY_KEYS) <= set(s) and s['method'] == method and 0 <= s['test_acc'] <= 1
    header = (tmp_path / 'history.csv').read_text().split('\n')[0].split(',')
    expected = {'ogm_ge': 'coef_audio', 'ogm': 'coef_visual', 'opm': 'q_visual'}[method]
    assert expected in header, header

@pytest.mark.parametrize('args,msg', [
    (['--method', 'ogm_ge', '--alpha', '-1'], '--alpha must be >= 0'),
    (['--method', 'ogm', '--start-epoch', '5', '--end-epoch', '2'], '--end-epoch 2 is before --start-epoch 5'),
    (['--method', 'opm', '--p-exe', '1.5'], '--p-exe (a probability) must be in [0, 1], got 1.5'),
    (['--method', 'opm', '--q-base', '-0.2'], '--q-base (a probability) must be in [0, 1], got -0.2'),
    (['--method', 'opm', '--warmup-epochs', '4', '--end-epoch', '2'], '--end-epoch 2 is before the first active epoch 4 (--warmup-epochs)'),
    (['--method', 'ogm_ge', '--modulate', 'smell'], "--modulate: ['smell'] not in the dataset's modalities"),
    (['--method', 'ogm', '--form', 'magic'], "--form: unknown 'magic'; valid: cvpr_code, shifted, tpami"),
    (['--method', 'ogm', '--tie', 'last'], "--tie: unknown 'last'; valid: none, first"),
    (['--method', 'opm', '--rescale', 'twice'], "--rescale: unknown 'twice'"),
    (['--method', 'umt', '--teacher-epochs', '0'], '--teacher-epochs must be >= 1, got 0'),
    (['--method', 'ume', '--rule', 'vote'], "--rule: unknown 'vote'; valid: prob, logit"),
    (['--method', 'gblending', '--holdout', '1.5'], '--holdout (the share of the training set held out as V) must be in (0, 1), got 1.5'),
    (['--method', 'mla', '--test-fusion', 'vote'], "--test-fusion: unknown 'vote'; valid: entropy, fixed"),
    (['--method', 'reconboost', '--boost-epochs', '0'], '--boost-epochs must be >= 1, got 0'),
    (['--method', 'greedy', '--mode', 'lazy'], "--mode: unknown 'lazy'; valid: guided, random"),
    (['--method', 'relearning', '--diag-split', 'test'], "--diag-split: unknown 'test'; valid: valid, carve"),
    (['--method', 'smv', '--warmup', '0'], '--warmup must be >= 1, got 0'),
    (['--method', 'aug', '--sigma', '0.5'], '--sigma (the score ratio the modalities may keep) must be >= 1, got 0.5'),
])
def test_bad_method_options(args, msg, tmp_path):
    refused(tmp_path, '--epochs', 1, *args, msg=msg)

@pytest.mark.skipif(not FSDD.exists(), reason='FSDD not found: set MMBALANCE_DATA (../shared/data here)')
def test_cggm_runs_on_avdigits(tmp_path):
    run('train', '--dataset', 'avdigits', '--method', 'cggm', '--epochs', 2, '--out', tmp_path, '--no-progress')
    assert 'B_audio' in (tmp_path / 'history.csv').read_text().split('\n')[0]

@pytest.mark.parametrize('extra,column', [(['--n-modalities', '3'], 'B_c'), (['--task', 'regression'], 'metric_b')])
def test_cggm_three_modalities_and_regression(extra, column, tmp_path):
    run('train', '--dataset', 'synthetic', '--method', 'cggm', '--epochs', 2, '--n-train', 400, '--out', tmp_path, '--no-progress', *extra)
    s = summary(tmp_path)
    assert column in (tmp_path / 'history.csv').read_text().split('\n')[0]
    assert (s['test_mse'] is not None) == ('regression' in extra)

@pytest.mark.parametrize('args,msg', [
    (['--rho', '0'], '--rho must be > 0'), (['--rho', '-1'], '--rho must be > 0'),
    (['--task', 'regression', '--metric', 'accuracy'], '--metric accuracy is a classification metric, but the task is regression'),
    (['--metric', 'neg_mae'], '--metric neg_mae is a regression metric, but the task is classification'),
    (['--metric', 'dice'], '--metric dice is a segmentation metric'),
    (['--fusion', 'film'], 'use --lam 0'),
    (['--timing', 'stale', '--direction', 'gradient'], "--timing stale goes with --direction weights (the code's form)"),
    (['--cls-lr', '-1'], "--cls-lr must be >= 0 (0: the learner's lr), got -1.0"),
])
def test_cggm_bad_options(args, msg, tmp_path):
    refused(tmp_path, '--method', 'cggm', '--epochs', 1, *args, msg=msg)

@pytest.mark.skipif(not FSDD.exists(), reason='FSDD not found: set MMBALANCE_DATA (../shared/data here)')
def test_dimml_runs_both_stages_on_avdigits(tmp_path):
    run('train', '--dataset', 'avdigits', '--method', 'dimml', '--epochs', 3, '--stage2-epochs', 2, '--duc-start', 1, '--out', tmp_path, '--no-progress')
    s = summary(tmp_path)
    assert (s['stage1_epochs'], s['stage2_epochs'], s['epochs']) == (3, 2, 5)
    assert s['best_epoch'] >= 3                                  # chosen among stage-2 epochs, on validation
    hist = (tmp_path / 'history.csv').read_text().strip().split('\n')
    assert len(hist) == 1 + 5 and 'stage' in hist[0] and 'duc_loss' in hist[0]

@pytest.mark.parametrize('args,msg', [
    (['--epochs', '3', '--duc-start', '3'], '--duc-start 3 is not before the last stage-1 epoch'),
    (['--epochs', '3', '--duc-start', '7'], '--duc-start 7 is not before the last stage-1 epoch'),
    (['--T', '0'], '--T (the certainty temperature) must be > 0'),
    (['--T', '-2'], '--T (the certainty temperature) must be > 0'),
    (['--task', 'regression'], 'DI-MML needs a classification task'),
])
def test_dimml_bad_options(args, msg, tmp_path):
    refused(tmp_path, '--method', 'dimml', *args, msg=msg)

@pytest.mark.skipif(not FSDD.exists(), reason='FSDD not found: set MMBALANCE_DATA (../shared/data here)')
@pytest.mark.parametrize('extra', [[], ['--schedule', 'learned'], ['--schedule', 'learned', '--hypergrad', 'simplified']])
def test_lfm_runs_on_avdigits(extra, tmp_path):
    run('train', '--dataset', 'avdigits', '--method', 'lfm', '--epochs', 2, '--out', tmp_path, '--no-progress', *extra)
    s = summary(tmp_path)
    header = (tmp_path / 'history.csv').read_text().split('\n')[0]
    assert s['method'] == 'lfm' and 'alpha' in header.split(',')
    assert ('alpha_update_seconds' in header) == bool(extra)        # the learned version reports its cost per epoch

@pytest.mark.parametrize('args,msg', [
    (['--alpha', '1.5'], '--alpha must be in [0, 1]'), (['--alpha', '-0.1'], '--alpha must be in [0, 1]'),
    (['--tau', '0'], '--tau (the InfoNCE temperature) must be > 0'), (['--tau', '-1'], '--tau (the InfoNCE temperature) must be > 0'),
    (['--schedule', 'cosine'], "--schedule: unknown 'cosine'"),
    (['--alpha-min', '0.8', '--alpha-max', '0.5'], '--alpha-min 0.8 is above --alpha-max 0.5'),
])
def test_lfm_bad_options(args, msg, tmp_path):
    refused(tmp_path, '--method', 'lfm', '--epochs', 1, *args, msg=msg)

@pytest.mark.skipif(not FSDD.exists(), reason='FSDD not found: set MMBALANCE_DATA (../shared/data here)')
def test_mie_runs_on_avdigits(tmp_path):
    run('train', '--dataset', 'avdigits', '--method', 'mie', '--epochs', 3, '--stage-epochs', 1, '--out', tmp_path, '--no-progress')
    s = summary(tmp_path)
    assert set(SUMMARY_KEYS) <= set(s) and s['method'] == 'mie' and 0 <= s['test_acc'] <= 1
    assert s['mie_stages'] == 'audio:1 visual:1 audio:1'
    header = (tmp_path / 'history.csv').read_text().split('\n')[0].split(',')
    assert {'stage', 'stage_modality', 'sam_loss', 'gm_min_factor'} <= set(header), header

@pytest.mark.parametrize('args,msg', [
    (['--rho', '-0.1'], '--rho must be >= 0'), (['--rho', 'a=0.1,b=-1'], '--rho must be >= 0'),
    (['--tau', '-1'], '--tau must be >= 0'),
    (['--stage-epochs', '0'], 'every stage length must be >= 1 epoch'), (['--stage-epochs', '3,0'], 'every stage length must be >= 1 epoch'),
    (['--order', 'b,z'], "--order: ['z'] not in the dataset's modalities"),
    (['--gm-layers', 'all'], "--gm-layers: unknown 'all'"), (['--variant', 'faithful'], "--variant: unknown 'faithful'"),
    (['--task', 'regression'], 'MIE needs a classification task'),
    (['--head-hidden', '256,0'], "--head-hidden needs positive sizes, got '256,0'"),
    (['--accumulate', '2'], 'use --accumulate 1 (got 2)'),
])
def test_mie_bad_options(args, msg, tmp_path):
    refused(tmp_path, '--method', 'mie', '--epochs', 1, *args, msg=msg)

def test_methods_spell_no_flags():
    "Method modules name options in backticks (`OptionError`); the CLI's spelling is made in one place, mmbalance.core."
    import re
    root = Path(__file__).resolve().parents[1] / 'mmbalance'
    for p in [*sorted((root / 'methods').glob('*.py')), root / 'baselines.py']:
        for i, line in enumerate(p.read_text().splitlines(), 1):
            assert not re.search(r'--[a-z]', line), f'{p.name}:{i}: {line.strip()}'

def test_bad_method_options_in_a_bench_spec(tmp_path):
    "A benchmark spec's options go through the same checks, in the same words."
    p = run('bench', '--methods', 'ogm:form=magic', '--seeds', '0', '--epochs', '1', '--n-train', '200', '--out', tmp_path, '--no-progress', check=False)
    assert p.returncode == 2 and "--form: unknown 'magic'; valid: cvpr_code, shifted, tpami" in p.stderr and 'Traceback' not in p.stderr, p.stderr
