"""The staged methods' schedules as the loop's phase API reports them (`summary.json` `stages`, from `learn.stage_log`), and
exact resume after SIGKILL inside each stage. No method here has a training loop of its own: every epoch and batch below
was trained by `Learner.fit`, which recorded the stage each method set (`learn.stage`)."""
import pytest, torch
from test_cli import run, summary, run_killed
from test_distributed import _flags

# 5 epochs of 600 synthetic samples, batch 64: 10 batches an epoch. Each list follows from the method's definition:
STAGES = {
    # teachers first (their own epochs, added to --epochs), then the student for --epochs
    'umt:teacher_epochs=2': [('umt teachers', '0-1', 20), ('umt student', '2-6', 50)],
    'ume': [('ume unimodal', '0-4', 50)],
    # offline: the estimates train copies in nested learners before the fit; the main loop blends every epoch
    'gblending': [('gblending blended heads', '0-4', 50)],
    # online: the main loop trains on T' only (the held-out 10% never reach it): 540 samples, 9 batches
    'gblending:mode=online:super_epoch=2': [('gblending blended heads', '0-4', 45)],
    # one modality per batch, in turns within every epoch
    'mla': [('mla a', '0-4', 25), ('mla b', '0-4', 25)],
    # boost a, rectify, boost b, rectify, boost a
    'reconboost': [('reconboost boost a', '0,4', 20), ('reconboost rectify', '1,3', 20), ('reconboost boost b', '2', 10)],
    'greedy:start_epoch=2': [('greedy warm-up', '0-1', 20), ('greedy re-balancing', '2-4', 30)],
    # default: re-initialise every epoch from the second, three times; a cycle per re-initialisation
    'relearning': [('relearning cycle 0', '0-1', 20), ('relearning cycle 1', '2', 10), ('relearning cycle 2', '3', 10),
                   ('relearning cycle 3', '4', 10)],
    # after the warm-up each epoch trains the originals plus the copies of the low-valued samples (more than 10 batches)
    'smv:warmup=2': [('smv warm-up', '0-1', 20), ('smv re-sampled', '2-4', None)],
    'smv:level=modality:warmup=2': [('smv warm-up', '0-1', 20), ('smv re-sampled', '2-4', None)],
    # one more classifier for the weak modality at every check: the stage names the classifiers in use
    'aug:check_every=1': None,
}

@pytest.mark.parametrize('spec', list(STAGES))
def test_stages_as_the_api_reports_them(spec, tmp_path):
    run('train', '--dataset', 'synthetic', *_flags(spec), '--epochs', 5, '--seed', 1, '--n-train', 600, '--no-probes', '--no-progress',
        '--out', tmp_path)
    s = summary(tmp_path)
    got = [(r['name'], r['epochs'], r['batches']) for r in s['stages']]
    print(spec, got)
    want = STAGES[spec]
    if want is None:                                                  # aug: a:1 b:1, then one head more per epoch for one modality
        counts = [dict(x.split(':') for x in name.split()[1:]) for name, _, _ in got]
        assert [e for _, e, _ in got] == ['0', '1', '2', '3', '4'] and counts[0] == {'a': '1', 'b': '1'}
        assert all(sum(int(v) for v in b.values()) - sum(int(v) for v in a.values()) == 1 for a, b in zip(counts, counts[1:])), got
        return
    assert [(n, e) for n, e, _ in got] == [(n, e) for n, e, _ in want], got
    for (n, e, b), (_, _, b2) in zip(want, got):
        if b is not None: assert b2 == b, (n, b, b2)
        else: assert b2 > 10 * len(e.split('-')), (n, b2)            # re-sampled: more batches than the originals'
    assert s['epochs'] == 1 + max(int(x) for _, e, _ in want for x in e.replace('-', ',').split(','))

# a SIGKILL inside every stage that test_distributed's resume test (killed in the third epoch) does not reach
KILLS = [('umt:teacher_epochs=2', 1), ('reconboost', 1), ('greedy:start_epoch=2', 1), ('relearning', 1), ('smv:warmup=2', 1),
         ('smv:warmup=2', 2), ('gblending:mode=online:super_epoch=2', 2)]

@pytest.mark.parametrize('spec,done', KILLS, ids=[f'{s}-after{d}' for s, d in KILLS])
def test_resume_after_sigkill_in_every_stage(spec, done, tmp_path):
    args = ['train', '--dataset', 'synthetic', *_flags(spec), '--epochs', 5, '--seed', 1, '--n-train', 3000, '--no-probes', '--no-progress']
    run(*args, '--out', tmp_path / 'full')
    d = tmp_path / 'killed'
    got = run_killed(args, d, epochs_done=done)
    assert got == done and not (d / 'summary.json').exists(), got
    run('train', '--resume', d, '--no-progress')
    full, resumed = summary(tmp_path / 'full'), summary(d)
    for k in ('test_acc', 'best_epoch', 'val_acc', 'test_macro_f1', 'stages'): assert resumed[k] == full[k], (k, resumed[k], full[k])
    w1 = torch.load(tmp_path / 'full' / 'last.pt', weights_only=True)['model']; w2 = torch.load(d / 'last.pt', weights_only=True)['model']
    assert all(torch.equal(w1[k], w2[k]) for k in w1)
