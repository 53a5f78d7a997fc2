"""Recipes (issue #16, point 1): every recipe trains one epoch on its dataset's fixture through `mmbalance train --recipe`;
config.json and summary.json record the recipe and every resolved value; flags given win; bad names fail in one line.

Speed-ups applied to every recipe run here (stated, so nobody mistakes these runs for the recipes' own): `--epochs 1`,
`--encoder conv` where a recipe asks for ResNet-18 (slow on CPU), `--no-probes`, `--device cpu`; the fixtures are prepared at
32 px (the recipes ask for 224: each run notes and records the mismatch), and recipes that load at another frame size
(the TPAMI KS code's 112 px) get `--image-size 32`; DI-MML gets `--stage2-epochs 1 --duc-start -1` (its recipes' 20
stage-2 epochs and DUC from epoch 20 do not fit a one-epoch run)."""
import json, subprocess
from pathlib import Path
import pytest
from mmbalance.cli import main
from mmbalance.recipes import RECIPES, recipe, recipe_kwargs
from mmbalance.data.av import make_cremad_fixture, make_ks_fixture, make_ave_fixture, make_vggsound_fixture
from mmbalance.data.ucf101 import make_ucf101_fixture
from mmbalance.data.features import make_food101_fixture, make_mult_fixture, make_iemocap_fixture

try: import av; HAS_AV = True
except ImportError: HAS_AV = False

FIXTURES = {   # dataset -> (fixture maker, prepare flags that keep it small)
    'cremad': (make_cremad_fixture, ('--image-size', 32)),
    'kinetics_sounds': (lambda r: make_ks_fixture(r, layout='igm'), ('--image-size', 32)),   # wavs: any audio recipe applies
    'ave': (lambda r: make_ave_fixture(r, video=HAS_AV), ('--image-size', 32)),
    'vggsound': (make_vggsound_fixture, ('--image-size', 32)),
    'ucf101': (make_ucf101_fixture, ('--image-size', 32)),
    'food101': (make_food101_fixture, ('--image-size', 32, '--text-dim', 256)),
    'iemocap': (make_iemocap_fixture, ()),
    'mosi': (lambda r: make_mult_fixture(r, 'mosi'), ()),
}
FAST = ('--epochs', 1, '--no-probes', '--device', 'cpu', '--no-progress')

def extra_flags(r):
    "The per-recipe speed-ups of the module docstring."
    x = ['--encoder', 'conv'] if r.train['encoder'].value == 'resnet18' else []
    if r.method == 'dimml': x += ['--stage2-epochs', 1, '--duc-start', -1]
    if 'image_size' in r.data: x += ['--image-size', 32]
    return x

def cli(capsys, *args):
    capsys.readouterr()
    rc = main([str(a) for a in args])
    o = capsys.readouterr()
    return rc, o.out, o.err

@pytest.fixture(scope='module')
def prepared(tmp_path_factory):
    "A data root per (dataset, the recipe's prepare options other than the frame size), each prepared once."
    cache = {}
    def get(r):
        opts = {k: v.value for k, v in r.prepare.items() if k != 'image_size'}
        key = (r.dataset, tuple(sorted(opts.items())))
        if key not in cache:
            root = tmp_path_factory.mktemp(r.dataset)
            make, flags = FIXTURES[r.dataset]
            raw = make(root / 'raw')
            rc = main(['prepare', r.dataset, '--raw', str(raw), '--out', str(root / 'data' / r.dataset), '--no-progress', *map(str, flags),
                       *[str(f) for k, v in opts.items() for f in ('--' + k.replace('_', '-'), v)]])
            assert rc == 0, (r.dataset, opts)
            cache[key] = root / 'data'
        return cache[key]
    return get

def test_every_dataset_has_a_fixture():
    assert {r.dataset for r in RECIPES.values()} <= set(FIXTURES)

@pytest.mark.parametrize('name', list(RECIPES))
def test_recipe_trains_one_epoch_and_records_itself(name, prepared, tmp_path, capsys):
    r = recipe(name)
    rc, out, err = cli(capsys, 'train', '--recipe', name, '--data-root', prepared(r), '--out', tmp_path, *FAST, *extra_flags(r))
    assert rc == 0, err
    assert f'recipe {name} (validation protocol); overridden: ' in out, out
    cfg = json.loads((tmp_path / 'config.json').read_text())
    s = json.loads((tmp_path / 'summary.json').read_text())
    rec = cfg['recipe']
    assert (cfg['dataset'], cfg['method'], rec['name'], rec['source'], rec['protocol']) == (r.dataset, r.method, name, r.source, 'validation')
    assert s['recipe'] == rec and s['config']['recipe'] == rec
    # every recipe value is resolved into the run (the speed-ups above as the only overrides), with its section
    given = dict(epochs=1, encoder='conv' if r.train['encoder'].value == 'resnet18' else r.train['encoder'].value)
    want = {**{k: v.value for k, v in r.train.items()}, **{k: v for k, v in given.items() if k in r.train}}
    run = {**{k: cfg.get(k) for k in ('optimizer', 'lr', 'weight_decay', 'batch_size', 'epochs', 'encoder', 'fusion', 'clip_grad')},
           **{f'lr_{k}' if k != 'kind' else 'lr_schedule': v for k, v in cfg.get('lr_schedule', {}).items()}}
    run['lr_milestones'] = tuple(run.get('lr_milestones', ()))
    for k, v in want.items():
        assert run.get(k) == (tuple(v) if k == 'lr_milestones' else v), (k, run.get(k), v)
        assert rec['resolved'][k] == (list(v) if k == 'lr_milestones' else v) and rec['sections'][k].startswith(r.spec + ' §'), k
    for k, v in r.method_options.items():
        if r.method == 'dimml' and k in ('stage2_epochs', 'duc_start'): continue
        assert cfg['method_options'][k] == v.value and rec['sections'][f'method_options.{k}'].startswith(r.spec), k
    for k, v in r.data.items():
        assert cfg['dataset_options'][k] == (32 if k == 'image_size' else v.value), k
    assert rec['overridden']['epochs'] == dict(recipe=r.train['epochs'].value, given=1)
    assert set(rec['prepared']) == set(r.prepare) and all(c['ok'] for k, c in rec['prepared'].items() if k != 'image_size'), rec['prepared']
    assert rec['deviations'] == r.deviations() and rec['target']['value'] == r.target.value
    assert s['epochs'] == 1 + (1 if r.method == 'dimml' else 0) and s['method'] == r.method and s['dataset'] == r.dataset

def test_flags_override_and_official_protocol(prepared, tmp_path, capsys):
    "Flags given win over the recipe's values (also method options), --protocol official selects on test, and config.json says so."
    r = recipe('opm-cremad-tpami_issue')
    rc, out, err = cli(capsys, 'train', '--recipe', r.name, '--data-root', prepared(r), '--out', tmp_path, *FAST, '--encoder', 'conv',
                       '--lr', 0.01, '--q-base', 0.3, '--lr-schedule', 'constant', '--protocol', 'official', '--batch-size', 8)
    assert rc == 0, err
    cfg = json.loads((tmp_path / 'config.json').read_text())
    assert (cfg['lr'], cfg['batch_size'], cfg['method_options']['q_base'], cfg['method_options']['lam']) == (0.01, 8, 0.3, 0.5)
    assert cfg['lr_schedule']['kind'] == 'constant' and cfg['optimizer'] == 'adamw' and cfg['weight_decay'] == 0.01   # the other values stay
    rec = cfg['recipe']
    assert rec['overridden'] == {'lr': dict(recipe=1e-3, given=0.01), 'batch_size': dict(recipe=32, given=8),
                                 'lr_schedule': dict(recipe='step', given='constant'), 'method_options.q_base': dict(recipe=0.5, given=0.3),
                                 'epochs': dict(recipe=100, given=1), 'encoder': dict(recipe='resnet18', given='conv')}
    assert rec['protocol'] == 'official' and cfg['dataset_options']['valid_from'] == 'test'
    s = json.loads((tmp_path / 'summary.json').read_text())
    assert s['dataset_sizes']['valid'] == s['dataset_sizes']['test'] and 'chosen on the test split' in out

def test_unknown_and_conflicting_recipes_fail_in_one_line(tmp_path, capsys):
    rc, _, err = cli(capsys, 'train', '--recipe', 'ogm-cremad', '--out', tmp_path)
    assert rc == 2 and err.startswith("mmbalance: error: unknown recipe 'ogm-cremad'; valid recipes: ") and all(n in err for n in RECIPES), err
    rc, _, err = cli(capsys, 'train', '--recipe', 'cggm-iemocap-code', '--dataset', 'mosi', '--out', tmp_path)
    assert rc == 2 and 'recipe cggm-iemocap-code is for dataset iemocap' in err, err
    rc, _, err = cli(capsys, 'train', '--recipe', 'cggm-iemocap-code', '--resume', tmp_path)
    assert rc == 2 and 'a resumed run takes its settings from' in err, err
    rc, _, err = cli(capsys, 'recipes', 'no-such-recipe')
    assert rc == 2 and 'valid recipes: ' in err and not (tmp_path / 'config.json').exists()

def test_python_api():
    kw = recipe_kwargs('lfm-cremad-code', batch_size=8, method_options=dict(schedule='heuristic'))
    assert (kw['batch_size'], kw['lr_milestones'], kw['method_options']) == (8, (69, 139), dict(variant='code', js_alignment='code', schedule='heuristic'))
    with pytest.raises(Exception, match='valid recipes: '): recipe_kwargs('nope')

def test_installed_command_lists_and_shows():
    p = subprocess.run(['mmbalance', 'recipes'], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().split('\n')
    assert [l.split()[:3] for l in lines] == [[r.name, r.method, r.dataset] for r in RECIPES.values()]
    for col in (1, 2, 3):                                   # aligned: each column starts at one offset
        starts = {len(l) - len(l.split(None, col)[col]) for l in lines}
        assert len(starts) == 1, (col, starts)
    p = subprocess.run(['mmbalance', 'recipes', '--show', 'cggm-food101-code'], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    r = recipe('cggm-food101-code')
    for k, v in {**r.train, **r.method_options}.items(): assert f'  {k} ' in p.stdout and v.section in p.stdout, k
    assert '≠ source: frozen ViT-B/16' in p.stdout and 'target: 92.94% test_acc ± 3' in p.stdout and '--protocol official' in p.stdout

def test_every_balancing_method_has_a_recipe_or_a_reason():
    "Issues #17, #18: each method gets its official-code recipe where its spec gives one; NO_RECIPE says why not for the others."
    from mmbalance.recipes import NO_RECIPE
    from shipped import shipped_methods
    families = {r.family for r in RECIPES.values()}
    listed = {k.split('-')[0] for k in NO_RECIPE}
    shipped = set(shipped_methods())   # not the notebooks' own (17_own_method)
    missing = shipped - {'joint', 'unimodal', 'dropout', 'ogm_ge'} - families - listed
    assert not missing, f'methods with neither a recipe nor a NO_RECIPE entry: {sorted(missing)}'
    assert {'agm', 'pmr', 'mmcosine', 'mmpareto', 'inforeg', 'arl', 'dgl', 'mlb'} <= families
    assert {'mla', 'reconboost', 'relearning', 'smv', 'aug'} <= families                # issue #18: the staged methods with a recipe
    assert {k for k in NO_RECIPE if '-' not in k} == {'cml', 'mbsd', 'mslr', 'amco', 'umt', 'ume', 'gblending', 'greedy'}
    for k, why in NO_RECIPE.items():
        assert why.split(' ')[0].endswith('.md') and '§' in why, (k, why)                 # each reason cites its spec section
        if '-' in k:                                    # a dataset left out of a method that has recipes: no recipe runs that pair
            m, d = k.split('-')
            assert m in families and not any((r.method, r.dataset) == (m, d) for r in RECIPES.values()), k
