"The standard datasets (issue #9): fixtures in the official layouts -> `mmbalance prepare` -> `mmbalance train`, and bad input."
import json, os, pickle, shutil, subprocess
from pathlib import Path
import numpy as np
import pytest
from mmbalance.cli import main
from mmbalance.data.av import make_cremad_fixture, make_ks_fixture, make_ave_fixture, make_vggsound_fixture

try: import av; HAS_AV = True
except ImportError: HAS_AV = False

def run(*args, check=True):
    "The installed `mmbalance` command in a subprocess."
    p = subprocess.run(['mmbalance', *map(str, args)], capture_output=True, text=True, timeout=600)
    if check: assert p.returncode == 0, p.stderr
    return p

def cli(capsys, *args):
    "`mmbalance ARGS` in this process (same code path as the command, without its start-up time): (status, stdout, stderr)."
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err

def prepare(capsys, name, raw, out, *extra):
    rc, o, e = cli(capsys, 'prepare', name, '--raw', raw, '--out', out, '--image-size', 32, '--no-progress', *extra)
    assert rc == 0, e
    return json.loads((Path(out) / 'prepared.json').read_text()), e

def train_one(capsys, name, root, method, out, *extra):
    rc, o, e = cli(capsys, 'train', '--dataset', name, '--data-root', root, '--method', method, '--epochs', 1, '--batch-size', 8,
                   '--out', out, '--no-progress', '--no-probes', '--device', 'cpu', *extra)
    assert rc == 0, e
    s = json.loads((Path(out) / 'summary.json').read_text())
    assert s['dataset'] == name and s['method'] == method and s['epochs'] == 1
    return s

# --- CREMA-D: the Done-means layout, end to end through the installed command -------------------------------------

def test_cremad_official_layout_trains_after_prepare(tmp_path):
    raw = make_cremad_fixture(tmp_path / 'CREMA-D')
    assert sorted(p.name for p in raw.iterdir()) == ['AudioWAV', 'Image-01-FPS', 'test.csv', 'train.csv']
    p = run('prepare', 'cremad', '--raw', raw, '--out', raw / 'cremad', '--image-size', 32, '--no-progress')
    assert 'cremad: 18 of 18 clips prepared' in p.stderr
    meta = json.loads((raw / 'cremad' / 'prepared.json').read_text())
    assert meta['classes'] == ['NEU', 'HAP', 'SAD', 'FEA', 'DIS', 'ANG'] and meta['modalities']['audio']['shape'] == [257, 188]
    again = run('prepare', 'cremad', '--raw', raw, '--out', raw / 'cremad', '--image-size', 32, '--no-progress')
    assert 'already prepared (18 clips); nothing to do' in again.stderr          # written once
    for method in ('joint', 'ogm_ge'):
        run('train', '--dataset', 'cremad', '--data-root', raw, '--method', method, '--epochs', 1, '--batch-size', 8,
            '--out', tmp_path / method, '--no-progress', '--device', 'cpu')
        s = json.loads((tmp_path / method / 'summary.json').read_text())
        assert s['dataset_sizes'] == dict(train=11, valid=1, test=6) and 0 <= s['test_acc'] <= 1
        assert set(s['probe_test_acc']) == {'audio', 'visual'}

def test_cremad_from_videos(tmp_path, capsys):
    if not HAS_AV: pytest.skip('PyAV is not installed')
    raw = make_cremad_fixture(tmp_path / 'raw', videos=True)
    assert not (raw / 'Image-01-FPS').exists() and len(list((raw / 'VideoFlash').glob('*.flv'))) == 18
    meta, _ = prepare(capsys, 'cremad', raw, tmp_path / 'p')
    assert len(meta['keys']) == 18 and meta['modalities']['visual']['max_frames'] == 3   # 1-3 s at 2 fps -> 1-3 frames at 1 fps

def test_prepare_resumes_and_reports_failures(tmp_path, capsys):
    raw = make_cremad_fixture(tmp_path / 'raw')
    for f in (raw / 'Image-01-FPS' / '1002_IEO_NEU_LO').iterdir(): f.unlink()
    (raw / 'AudioWAV' / '1003_ITH_HAP_MD.wav').write_bytes(b'not a wav')
    out = tmp_path / 'p'
    meta, err = prepare(capsys, 'cremad', raw, out, '--keep-work')
    assert '16 of 18 clips prepared' in err and '2 clip(s) failed' in err
    assert 'has 0 frame(s); at least 1 are needed' in err and '1003_ITH_HAP_MD.wav: cannot be read as audio' in err
    failed = json.loads((out / 'failed.json').read_text())
    assert set(failed) == {'1002_IEO_NEU_LO', '1003_ITH_HAP_MD'} and len(meta['keys']) == 16
    # an interrupted run: the finished clips' work is there, the metadata is not -> the rerun skips them
    (out / 'prepared.json').unlink()
    for f in list((out / '.work' / 'done').iterdir())[:5]: f.unlink()
    meta2, err2 = prepare(capsys, 'cremad', raw, out)
    assert 'resuming: 11 of 18 clips were already prepared' in err2 and meta2['keys'] == meta['keys']
    assert not (out / '.work').exists()
    rc, _, e = cli(capsys, 'prepare', 'cremad', '--raw', raw, '--out', out, '--image-size', 64, '--no-progress')
    assert rc == 2 and 'was prepared with other options' in e

def test_cremad_bad_input_names_the_problem(tmp_path, capsys):
    raw = make_cremad_fixture(tmp_path / 'raw')
    args = ('prepare', 'cremad', '--raw', raw, '--out', tmp_path / 'p', '--no-progress')
    (raw / 'train.csv').rename(raw / 'train.bak')
    rc, _, e = cli(capsys, *args)
    assert rc == 2 and 'CREMA-D train split file (OGM-GE ships data/CREMAD/train.csv' in e and f'train.csv in {raw}' in e
    (raw / 'train.bak').rename(raw / 'train.csv')
    for k in ('1001_DFA_NEU_XX', '1002_IEO_NEU_LO', '1003_IOM_NEU_MD'): (raw / 'AudioWAV' / f'{k}.wav').unlink()
    rc, _, e = cli(capsys, *args)
    assert rc == 2 and '3 clip(s) listed in the split files are absent on disk, e.g. 1001_DFA_NEU_XX (missing audio' in e
    assert '1003_IOM_NEU_MD' in e and '--skip-missing' in e
    rc, _, e = cli(capsys, *args, '--skip-missing', '--image-size', 32)
    assert rc == 0 and '15 of 18 clips prepared' in e and 'missing audio' in e
    raw2 = make_cremad_fixture(tmp_path / 'raw2')
    with open(raw2 / 'test.csv', 'a') as f: f.write('1099_DFA_CAL_XX,CAL\n')
    rc, _, e = cli(capsys, 'prepare', 'cremad', '--raw', raw2, '--out', tmp_path / 'p2', '--no-progress')
    assert rc == 2 and "test.csv, line 7: unknown label 'CAL'; CREMA-D labels are: NEU, HAP, SAD, FEA, DIS, ANG" in e
    rc, _, e = cli(capsys, 'train', '--dataset', 'cremad', '--data-root', tmp_path / 'nothing', '--out', tmp_path / 'r')
    assert rc == 2 and 'no prepared CREMA-D data found' in e and 'mmbalance prepare cremad --raw' in e
    rc, _, e = cli(capsys, 'prepare', 'nosuch', '--raw', raw)
    assert rc == 2 and 'valid dataset preparers: ' in e and 'cremad' in e

# --- the other audio-visual datasets ------------------------------------------------------------------------------

@pytest.mark.parametrize('name,make,sizes,method', [
    ('kinetics_sounds', make_ks_fixture, dict(train=11, valid=1, test=6), 'opm'),
    ('ave', make_ave_fixture, dict(train=12, valid=3, test=3), 'ogm_ge'),
    ('vggsound', make_vggsound_fixture, dict(train=11, valid=1, test=6), 'ogm_ge'),
])
def test_av_dataset_prepare_load_train(tmp_path, capsys, name, make, sizes, method):
    kw = dict(video=HAS_AV) if name == 'ave' else {}
    raw = make(tmp_path / 'raw', **kw)
    meta, err = prepare(capsys, name, raw, tmp_path / 'data' / name, '--workers', 2 if name == 'kinetics_sounds' else 1)
    assert meta['n_failed'] == 0, err
    from mmbalance.data.core import load_dataset
    d = load_dataset(name, data_root=tmp_path / 'data')
    assert d.sizes() == sizes and d.modalities == ['audio', 'visual']
    assert d.input_shape('visual') == (3, 3, 32, 32)
    b = next(iter(d.loader('train', 4)))
    assert b['audio'].shape[:2] == (4, 1) and b['visual'].shape == (4, 3, 3, 32, 32) and b['label'].dtype.is_floating_point is False
    for m in ('joint', method):
        s = train_one(capsys, name, tmp_path / 'data', m, tmp_path / m)
        assert s['dataset_sizes'] == sizes

def test_wrong_spectrogram_shape_is_reported(tmp_path, capsys):
    raw = make_ks_fixture(tmp_path / 'raw')
    bad = next((raw / 'audio_spec').glob('*.npy'))
    np.save(bad, np.zeros((1000, 128), np.float32))
    meta, err = prepare(capsys, 'kinetics_sounds', raw, tmp_path / 'p')
    assert f'{bad.stem}: audio has shape (1000, 128), while 17 other clip(s) have (1024, 128)' in err and len(meta['keys']) == 17
    meta, err = prepare(capsys, 'kinetics_sounds', raw, tmp_path / 'p2', '--audio-recipe', 'fbank_1024')
    assert f'{bad}: spectrogram of shape (1000, 128); the fbank_1024 recipe expects (1024, 128)' in err

def test_too_few_frames_and_unknown_label_ks(tmp_path, capsys):
    raw = make_ks_fixture(tmp_path / 'raw')
    folder = sorted((raw / 'visual').iterdir())[0]
    for f in sorted(folder.iterdir())[3:]: f.unlink()
    meta, err = prepare(capsys, 'kinetics_sounds', raw, tmp_path / 'p')
    assert f'frame folder {folder} has 3 frame(s); at least 4 are needed' in err
    with open(raw / 'my_test.txt', 'a') as f: f.write('zzz_000000_000010,10,31\n')
    rc, _, e = cli(capsys, 'prepare', 'kinetics_sounds', '--raw', raw, '--out', tmp_path / 'p3', '--no-progress')
    assert rc == 2 and 'my_test.txt, line 7: unknown label 31; Kinetics-Sounds class indices are 0..30' in e

# --- UCF101 (RGB + flow) and the feature datasets ----------------------------------------------------------------

from mmbalance.data.ucf101 import make_ucf101_fixture
from mmbalance.data.features import make_food101_fixture, make_mult_fixture, make_iemocap_fixture

@pytest.mark.parametrize('name,make,prep_args,load_opts,sizes,shapes,method', [
    ('ucf101', make_ucf101_fixture, ('--image-size', 32), {}, dict(train=11, valid=1, test=6), dict(visual=(3, 3, 32, 32), flow=(3, 2, 32, 32)), 'opm'),
    ('food101', make_food101_fixture, ('--image-size', 32, '--text-dim', 256), {}, dict(train=11, valid=1, test=6), dict(visual=(1, 3, 32, 32), text=(256,)), 'ogm_ge'),
    ('mosi', lambda r: make_mult_fixture(r, 'mosi'), (), {}, dict(train=16, valid=6, test=6), dict(text=(300,), audio=(5,), visual=(20,)), 'cggm'),
    ('mosei', lambda r: make_mult_fixture(r, 'mosei'), (), {}, dict(train=16, valid=6, test=6), dict(text=(300,), audio=(74,), visual=(35,)), 'ogm'),
    ('iemocap', make_iemocap_fixture, (), {}, dict(train=16, valid=4, test=8), dict(audio=(130,), visual=(342,), text=(1024,)), 'opm'),
])
def test_other_dataset_prepare_load_train(tmp_path, capsys, name, make, prep_args, load_opts, sizes, shapes, method):
    raw = make(tmp_path / 'raw')
    rc, _, e = cli(capsys, 'prepare', name, '--raw', raw, '--out', tmp_path / 'data' / name, '--no-progress', *prep_args)
    assert rc == 0, e
    from mmbalance.data.core import load_dataset
    d = load_dataset(name, data_root=tmp_path / 'data', **load_opts)
    assert d.sizes() == sizes and {m: d.input_shape(m) for m in d.modalities} == shapes
    b = next(iter(d.loader('train', 4)))
    assert all(b[m].shape == (4, *shapes[m]) for m in shapes) and b['label'].shape == (4,)
    assert d.task == ('regression' if name == 'mosi' else 'classification')
    for m in ('joint', method):
        s = train_one(capsys, name, tmp_path / 'data', m, tmp_path / m)
        assert s['dataset_sizes'] == sizes
        assert (s['test_mae'] is not None) if name == 'mosi' else (0 <= s['test_acc'] <= 1)

def test_mosei_binary_labels_and_bad_pickle(tmp_path, capsys):
    raw = make_mult_fixture(tmp_path / 'raw', 'mosei')
    rc, _, e = cli(capsys, 'prepare', 'mosei', '--raw', raw, '--out', tmp_path / 'data' / 'mosei', '--no-progress')
    assert rc == 0, e
    from mmbalance.data.core import load_dataset
    reg, binary = (load_dataset('mosei', data_root=tmp_path / 'data', labels=l) for l in ('regression', 'binary'))
    assert binary.n_classes == 2 and reg.task == 'regression'
    assert (binary.splits['test']['label'] == (reg.splits['test']['label'] >= 0).long()).all()
    rc, _, e = cli(capsys, 'prepare', 'mosei', '--raw', tmp_path, '--out', tmp_path / 'x', '--no-progress')
    assert rc == 2 and 'MOSEI MulT pickle (pass --pickle-file) not found: looked for mosei_senti_data.pkl' in e
    with open(raw / 'mosei_senti_data.pkl', 'rb') as f: d = pickle.load(f)
    del d['valid']
    with open(raw / 'broken.pkl', 'wb') as f: pickle.dump(d, f)
    rc, _, e = cli(capsys, 'prepare', 'mosei', '--raw', raw, '--out', tmp_path / 'y', '--pickle-file', raw / 'broken.pkl', '--no-progress')
    assert rc == 2 and "broken.pkl: no 'valid' split; expected the keys train, valid, test" in e

def test_ucf_and_food_bad_input(tmp_path, capsys):
    raw = make_ucf101_fixture(tmp_path / 'ucf')
    with open(raw / 'ucfTrainTestlist' / 'testlist01.txt', 'a') as f: f.write('Bowling/v_Bowling_g01_c01.avi\n')
    rc, _, e = cli(capsys, 'prepare', 'ucf101', '--raw', raw, '--out', tmp_path / 'p', '--no-progress')
    assert rc == 2 and "testlist01.txt, line 7: unknown label 'Bowling'; classInd.txt lists 3 classes" in e
    food = make_food101_fixture(tmp_path / 'food')
    (food / 'images' / 'test' / 'waffles' / 'waffles_test1.jpg').unlink()
    rc, _, e = cli(capsys, 'prepare', 'food101', '--raw', food, '--out', tmp_path / 'f', '--no-progress')
    assert rc == 2 and '1 clip(s) listed in the split files are absent on disk, e.g. test/waffles/waffles_test1.jpg' in e

@pytest.mark.parametrize('name,make,other,compare', [
    ('kinetics_sounds', lambda r: make_ks_fixture(r, layout='igm'), make_ks_fixture, ('visual',)),
    ('food101', lambda r: make_food101_fixture(r, layout='cggm'), make_food101_fixture, ('visual', 'text')),
])
def test_second_official_layouts(tmp_path, capsys, name, make, other, compare):
    "IGM's Kinetics-Sounds csv/wav layout and CGGM's Food-101 JSON prepare to the same arrays as the main layouts, and train."
    meta, err = prepare(capsys, name, make(tmp_path / 'raw'), tmp_path / 'data' / name)
    ref, _ = prepare(capsys, name, other(tmp_path / 'raw_ref'), tmp_path / 'ref')
    assert meta['n_failed'] == 0 and meta['official_sizes'] == ref['official_sizes'], err
    for m in compare: assert np.array_equal(np.load(tmp_path / 'data' / name / f'{m}.npy'), np.load(tmp_path / 'ref' / f'{m}.npy')), m
    assert np.array_equal(np.load(tmp_path / 'data' / name / 'labels.npy'), np.load(tmp_path / 'ref' / 'labels.npy'))
    train_one(capsys, name, tmp_path / 'data', 'joint', tmp_path / 'run')

def test_second_layouts_bad_input(tmp_path, capsys):
    food = make_food101_fixture(tmp_path / 'food', layout='cggm')
    items = json.loads((food / 'train.json').read_text())
    (food / 'dev.json').write_text(json.dumps(items[:2]))   # CGGM's dev.json becomes the official validation split
    meta, err = prepare(capsys, 'food101', food, tmp_path / 'dev')
    assert meta['official_sizes'] == dict(train=12, valid=2, test=6), err
    del items[2]['text_tokens']
    (food / 'train.json').write_text(json.dumps(items))
    rc, _, e = cli(capsys, 'prepare', 'food101', '--raw', food, '--out', tmp_path / 'f', '--no-progress')
    assert rc == 2 and "train.json, entry 2: expected the fields id, img_path, text_tokens, label; got ['id', 'img_path', 'label']" in e
    (food / 'test.json').unlink()
    rc, _, e = cli(capsys, 'prepare', 'food101', '--raw', food, '--out', tmp_path / 'f', '--no-progress')
    assert rc == 2 and 'test.json does not' in e
    ks = make_ks_fixture(tmp_path / 'ks', layout='igm')
    with open(ks / 'annotations' / 'test.csv', 'a') as f: f.write('9,zz_000000_000010\n')
    rc, _, e = cli(capsys, 'prepare', 'kinetics_sounds', '--raw', ks, '--out', tmp_path / 'k', '--no-progress')
    assert rc == 2 and 'test.csv, line 8: 2 fields, while the header has 3' in e

def test_prepared_dataset_resume_is_exact(tmp_path, capsys):
    "The random crops and frame choices of a prepared dataset continue where they stopped: a resumed run equals an uninterrupted one."
    import torch
    from mmbalance.train import train
    from mmbalance.callbacks import Stop
    raw = make_cremad_fixture(tmp_path / 'CREMA-D')
    prepare(capsys, 'cremad', raw, raw / 'cremad')
    kw = dict(epochs=3, seed=0, batch_size=8, data_root=raw, progress=False, probes=False, device='cpu')
    full = train('cremad', 'joint', out=tmp_path / 'full', **kw)
    train('cremad', 'joint', out=tmp_path / 'cut', callbacks=[Stop(0)], **kw)
    res = train('cremad', 'joint', out=tmp_path / 'cut', resume=True, **kw)
    w1, w2 = [torch.load(tmp_path / d / 'last.pt', weights_only=True)['model'] for d in ('full', 'cut')]
    assert all(torch.equal(w1[k], w2[k]) for k in w1) and res['test_acc'] == full['test_acc']
