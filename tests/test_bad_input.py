"""The bad-input suite: every case exits with status 2 and one line `mmbalance: error: ...` that names the flag, file or
field at fault (no traceback), and nothing already written is lost."""
import hashlib, json, os, shutil
from pathlib import Path
import pytest, torch
from test_cli import run

FSDD = Path(os.environ.get('MMBALANCE_DATA', '/nonexistent')) / 'fsdd' / 'recordings'
SMALL = ['--dataset', 'synthetic', '--n-train', 200, '--n-valid', 50, '--n-test', 50, '--no-progress']

@pytest.fixture
def fails(capsys):
    "Run the command line in this process (the installed command runs the same `main`); check status 2 and the message."
    from mmbalance.cli import main
    def check(*args, msg):
        capsys.readouterr()
        try: rc = main([str(a) for a in args])
        except SystemExit as e: rc = e.code                      # argparse's own errors
        err = capsys.readouterr().err
        assert rc == 2, (rc, err[-2000:])
        assert msg in err and 'Traceback' not in err, err[-2000:]
        assert err.lstrip().startswith('mmbalance: error:') or '\nmmbalance train: error:' in err, err   # one error, said once
        return err
    return check

def _digest(d):
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(d).rglob('*')) if p.is_file()}

@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    "Finished runs to break: joint (2 epochs), ogm_ge (1 epoch), a 3-modality joint run."
    from mmbalance.train import train
    d = tmp_path_factory.mktemp('runs'); small = dict(n_train=200, n_valid=50, n_test=50)
    train('synthetic', 'joint', epochs=2, out=d / 'joint', dataset_options=small, progress=False, probes=False)
    train('synthetic', 'ogm_ge', epochs=1, out=d / 'ogm_ge', dataset_options=small, progress=False, probes=False)
    train('synthetic', 'joint', epochs=1, out=d / 'three', dataset_options=dict(small, n_modalities=3), progress=False, probes=False)
    return d

# --- the command line and options -----------------------------------------------------------------------------------
@pytest.mark.parametrize('args,msg', [
    (['--method', 'nope'], "unknown method 'nope'; valid methods:"),
    (['--dataset', 'nope', '--no-progress'], "unknown dataset 'nope'; valid datasets:"),
    (['--epochs', 0], '--epochs must be a positive integer, got 0'),
    (['--batch-size', -4], '--batch-size must be a positive integer, got -4'),
    (['--lr', 0], '--lr must be positive, got 0'),
    (['--optimizer', 'rmsprop'], "--optimizer: unknown 'rmsprop'; valid: sgd, adam, adamw"),
    (['--fusion', 'attention'], "--fusion: unknown 'attention'"),
    (['--encoder', 'vit'], "--encoder: unknown 'vit'"),
    (['--accumulate', 0], '--accumulate must be a positive integer, got 0'),
    (['--method', 'ogm_ge', '--alpha', -1], '--alpha must be >= 0'),
    (['--method', 'mie', '--stage-epochs', '2,0'], '--stage-epochs: every stage length must be >= 1 epoch'),
    (['--method', 'unimodal'], 'method unimodal needs --modality'),
    (['--method', 'unimodal', '--modality', 'smell'], "--modalities: ['smell'] not in dataset 'synthetic'"),
    (['--n-modalities', 0], '--n-modalities must be 1..26, got 0'),
    (['--n-valid', 0], "split 'valid' is empty"),
    (['--shares', '0.5,2'], '--shares: each share must be in (0, 1], got 2.0'),
])
def test_bad_options(args, msg, tmp_path, fails):
    base = [a for a in SMALL if a != '--dataset' and a != 'synthetic'] if '--dataset' in args else SMALL
    if '--n-valid' in args: base = ['--dataset', 'synthetic', '--n-train', 200, '--n-test', 50, '--no-progress']
    fails('train', *base, '--epochs', 1, '--out', tmp_path / 'r', *args, msg=msg)
    assert not (tmp_path / 'r' / 'summary.json').exists()

@pytest.mark.skipif(torch.cuda.is_available(), reason='this machine has CUDA')
def test_cuda_requested_without_gpu(tmp_path, fails):
    fails('train', *SMALL, '--device', 'cuda', '--out', tmp_path / 'r', msg='--device cuda: CUDA is not available on this machine')

def test_out_is_a_file(tmp_path, fails):
    f = tmp_path / 'results.txt'; f.write_text('precious')
    fails('train', *SMALL, '--out', f, msg=f'--out {f} is a file')
    assert f.read_text() == 'precious'

def test_unknown_flag_is_named(tmp_path):
    p = run('train', *SMALL, '--colour', 'red', '--out', tmp_path / 'r', check=False)
    assert p.returncode == 2 and 'unrecognized arguments: --colour red' in p.stderr and 'Traceback' not in p.stderr

# --- checkpoints ------------------------------------------------------------------------------------------------------
def test_resume_without_a_run_folder(tmp_path, fails):
    (tmp_path / 'empty').mkdir()
    fails('train', '--resume', tmp_path / 'empty', msg=f"--resume: {tmp_path / 'empty' / 'config.json'} not found")

def _copy(runs, name, tmp_path):
    d = tmp_path / name; shutil.copytree(runs / name, d); return d

def test_truncated_checkpoint(runs, tmp_path, fails):
    d = _copy(runs, 'joint', tmp_path)
    raw = (d / 'last.pt').read_bytes(); (d / 'last.pt').write_bytes(raw[:len(raw) // 2])
    before = _digest(d)
    fails('train', '--resume', d, '--epochs', 4, msg=f"--resume: cannot read checkpoint {d / 'last.pt'} (truncated, or not a torch checkpoint)")
    assert _digest(d) == before                                                  # nothing overwritten

def test_garbage_checkpoint(runs, tmp_path, fails):
    d = _copy(runs, 'joint', tmp_path); (d / 'last.pt').write_bytes(b'not a checkpoint at all')
    fails('train', '--resume', d, '--epochs', 4, msg='cannot read checkpoint')

def test_checkpoint_that_is_not_a_run(runs, tmp_path, fails):
    d = _copy(runs, 'joint', tmp_path); torch.save({'weights': torch.zeros(3)}, d / 'last.pt')
    fails('train', '--resume', d, '--epochs', 4, msg='is not a run checkpoint of this library')

def test_checkpoint_of_another_method(runs, tmp_path, fails):
    d = _copy(runs, 'ogm_ge', tmp_path); shutil.copy(runs / 'joint' / 'last.pt', d / 'last.pt')
    before = _digest(d)
    fails('train', '--resume', d, '--epochs', 3, msg="is from method 'joint', but this run has method 'ogm_ge'")
    assert _digest(d) == before

def test_checkpoint_of_another_model(runs, tmp_path, fails):
    d = _copy(runs, 'joint', tmp_path); shutil.copy(runs / 'three' / 'last.pt', d / 'last.pt')
    fails('train', '--resume', d, '--epochs', 4, msg='does not fit this model')

@pytest.mark.skipif(not FSDD.exists(), reason='FSDD not found: set MMBALANCE_DATA (../shared/data here)')
def test_checkpoint_of_another_dataset(runs, tmp_path, fails):
    run('train', '--dataset', 'avdigits', '--epochs', 1, '--no-probes', '--no-progress', '--out', tmp_path / 'av')
    d = _copy(runs, 'joint', tmp_path); shutil.copy(tmp_path / 'av' / 'last.pt', d / 'last.pt')
    fails('train', '--resume', d, '--epochs', 4, msg="is from dataset 'avdigits', but this run has dataset 'synthetic'")

def test_resume_asking_for_fewer_epochs_than_done(runs, tmp_path, fails):
    d = _copy(runs, 'joint', tmp_path); before = _digest(d)
    fails('train', '--resume', d, '--epochs', 1, msg='has already trained 2 epochs')
    assert _digest(d) == before

# --- data ------------------------------------------------------------------------------------------------------------
def _register_bad_datasets():
    from mmbalance.core import DATASETS
    from mmbalance.data.synthetic import make_synthetic
    def labels(seed=0, data_root=None, cache_dir=None):
        d = make_synthetic(n_train=100, n_valid=20, n_test=20, seed=seed); d.splits['train']['label'][7] = d.n_classes + 2; return d
    def nans(seed=0, data_root=None, cache_dir=None):
        d = make_synthetic(n_train=100, n_valid=20, n_test=20, seed=seed); d.splits['test']['b'][3, 0] = float('nan'); return d
    if 'test_bad_labels' not in DATASETS: DATASETS.register('test_bad_labels')(labels); DATASETS.register('test_nan_inputs')(nans)

@pytest.mark.parametrize('dataset,msg', [
    ('test_bad_labels', "dataset 'synthetic', split 'train': 1 label(s) outside [0, 10)"),
    ('test_nan_inputs', "dataset 'synthetic', split 'test', modality 'b': 1 NaN or infinite value(s) in 1 sample(s) (rows [3])"),
])
def test_broken_data_is_refused_before_training(dataset, msg, tmp_path, capsys):
    from mmbalance.cli import main
    _register_bad_datasets()
    rc = main(['train', '--dataset', dataset, '--epochs', 1, '--out', str(tmp_path / 'r'), '--no-progress'])
    err = capsys.readouterr().err
    assert rc == 2 and msg in err, err
    assert not (tmp_path / 'r' / 'last.pt').exists()

@pytest.mark.skipif(not FSDD.exists(), reason='FSDD not found: set MMBALANCE_DATA (../shared/data here)')
def test_fsdd_missing_without_download(tmp_path, fails):
    fails('train', '--dataset', 'avdigits', '--data-root', tmp_path / 'nowhere', '--no-download', '--out', tmp_path / 'r', '--no-progress',
           msg='FSDD (Free Spoken Digit Dataset) was not found')
