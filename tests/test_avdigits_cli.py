"avdigits through the command line: the imbalance it is built to show, and its data errors."
import json, os
from pathlib import Path
import numpy as np, pytest, soundfile as sf
from test_cli import run, summary

FSDD = Path(os.environ.get('MMBALANCE_DATA', '/nonexistent')) / 'fsdd' / 'recordings'
needs_fsdd = pytest.mark.skipif(not FSDD.exists(), reason='FSDD not found: set MMBALANCE_DATA (../shared/data here)')

@needs_fsdd
def test_joint_training_under_optimises_audio(tmp_path):
    "As in research/avdigits.md: inside the joint model the audio encoder's probe falls clearly below audio trained alone."
    run('train', '--dataset', 'avdigits', '--method', 'joint', '--seed', 0, '--out', tmp_path / 'joint', '--no-progress')
    run('train', '--dataset', 'avdigits', '--method', 'unimodal', '--modality', 'audio', '--seed', 0, '--out', tmp_path / 'audio', '--no-progress')
    j, a = summary(tmp_path / 'joint'), summary(tmp_path / 'audio')
    print('audio probe joint', j['probe_test_acc']['audio'], 'alone', a['probe_test_acc']['audio'], 'fused', j['test_acc'], 'audio alone', a['test_acc'])
    assert j['probe_test_acc']['audio'] < a['probe_test_acc']['audio'] - 0.04
    assert j['test_acc'] > a['test_acc']                                  # fusion still beats audio alone
    assert j['probe_test_acc']['audio'] > j['probe_floor_test_acc']['audio']  # but audio did learn something

def _wav(path, seconds=0.5, rate=8000):
    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate, subtype='PCM_16')

def test_corrupt_wav_is_named(tmp_path):
    rec = tmp_path / 'root' / 'fsdd' / 'recordings'; rec.mkdir(parents=True)
    for name in ('0_george_0.wav', '1_george_0.wav', '2_theo_5.wav'): _wav(rec / name)
    (rec / '3_theo_7.wav').write_bytes(b'RIFF\x00\x00not really a wav')
    p = run('train', '--dataset', 'avdigits', '--data-root', tmp_path / 'root', '--out', tmp_path / 'o', '--no-progress', check=False)
    assert p.returncode == 2 and '3_theo_7.wav' in p.stderr and 'Traceback' not in p.stderr, p.stderr

def test_missing_or_empty_data_root_says_where_and_how(tmp_path):
    for root in (tmp_path / 'missing', tmp_path / 'empty'):
        if root.name == 'empty': (root / 'fsdd' / 'recordings').mkdir(parents=True)
        p = run('train', '--dataset', 'avdigits', '--no-download', '--out', tmp_path / 'o', '--no-progress', check=False,
                env={'MMBALANCE_DATA': str(root)})
        assert p.returncode == 2 and 'Traceback' not in p.stderr, p.stderr
        assert str(root / 'fsdd' / 'recordings') in p.stderr and 'MMBALANCE_DATA' in p.stderr and 'download' in p.stderr, p.stderr

@needs_fsdd
def test_bench_over_two_datasets_in_parallel(tmp_path):
    p = run('bench', '--dataset', 'synthetic,avdigits', '--methods', 'joint,dropout', '--seeds', '0', '--epochs', 1, '--jobs', 2,
            '--out', tmp_path, '--no-progress', '--no-plots')
    for d in ('synthetic', 'avdigits'):
        assert (tmp_path / d / 'leaderboard.csv').exists() and json.loads((tmp_path / d / 'bench.json').read_text())['status'] == 'done'
    combined = (tmp_path / 'leaderboard.md').read_text()
    assert '### synthetic:' in combined and '### avdigits:' in combined and combined.count('| dropout |') == 2
