"""Outside packages plug in through entry points (groups mmbalance.methods / mmbalance.datasets): a tiny plugin package is
built and installed by the test, then shows up in `mmbalance list`, trains through `mmbalance train` and runs in
`mmbalance bench --jobs 2` workers. Also: the package's own modules are declared the same way, every method's and
dataset's --help renders as written, and every method runs with its defaults at 1 and 2 epochs."""
import configparser, json, os, re, subprocess, sys, textwrap
from pathlib import Path
import pytest
from mmbalance.core import METHODS, DATASETS

ROOT = Path(__file__).resolve().parents[1]

def mm(*args, env=None, check=True):
    p = subprocess.run(['mmbalance', *map(str, args)], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600)
    if check: assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    return p

PLUGIN = {
    'pyproject.toml': '''
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "mmb-demo-plugin"
        version = "0.1"
        [project.entry-points."mmbalance.methods"]
        demo = "mmb_demo_plugin.method"
        [project.entry-points."mmbalance.datasets"]
        demo = "mmb_demo_plugin.data"
        [tool.setuptools]
        packages = ["mmb_demo_plugin"]
    ''',
    'mmb_demo_plugin/__init__.py': '',
    'mmb_demo_plugin/method.py': '''
        "A researcher's own method: scale the leading encoder's gradients by a constant (a toy OGM)."
        import torch
        from mmbalance.core import METHODS
        from mmbalance.learner import Callback

        class SlowFirst(Callback):
            def __init__(self, factor): self.factor = factor
            def before_step(self, learn):
                m = learn.modalities[0]
                for p in learn.model.encoders[m].parameters():
                    if p.grad is not None: p.grad.mul_(self.factor)
                learn.record('demo_factor', self.factor)

        @METHODS.register('demo_slow_first', doc='Demo plugin: scale the first modality encoder gradients.', help=dict(factor='gradient factor'))
        def demo_slow_first(factor:float=0.5): return [SlowFirst(factor)]
    ''',
    'mmb_demo_plugin/data.py': '''
        "A researcher's own dataset: the synthetic generator under another name, with fewer samples."
        from mmbalance.core import DATASETS
        from mmbalance.data.synthetic import make_synthetic

        @DATASETS.register('demo_tiny', doc='Demo plugin dataset (small synthetic).', help=dict(n_train='training samples'))
        def demo_tiny(n_train:int=400, seed:int=0, data_root=None): return make_synthetic(2, n_train=n_train, n_valid=100, n_test=100, seed=seed)
    ''',
}

@pytest.fixture(scope='module')
def plugin_env(tmp_path_factory):
    src, site = tmp_path_factory.mktemp('plugin_src'), tmp_path_factory.mktemp('plugin_site')
    for name, text in PLUGIN.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True); (src / name).write_text(textwrap.dedent(text).lstrip())
    p = subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-build-isolation', '--no-index', '--target', site, src],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert list(site.glob('mmb_demo_plugin-0.1.dist-info/entry_points.txt'))
    return {'PYTHONPATH': os.pathsep.join([str(site), os.environ.get('PYTHONPATH', '')]).rstrip(os.pathsep)}

def test_plugin_is_listed_and_trains(plugin_env, tmp_path):
    out = mm('list', env=plugin_env).stdout
    assert re.search(r'^  demo_slow_first .*Demo plugin', out, re.M) and re.search(r'^  demo_tiny .*Demo plugin dataset', out, re.M), out
    assert 'demo_slow_first' not in mm('list').stdout                       # not installed here: not there
    mm('train', '--dataset', 'demo_tiny', '--method', 'demo_slow_first', '--factor', 0.25, '--epochs', 2, '--out', tmp_path / 'r',
       '--no-progress', env=plugin_env)
    s = json.loads((tmp_path / 'r' / 'summary.json').read_text())
    assert (s['method'], s['dataset'], s['config']['method_options']) == ('demo_slow_first', 'demo_tiny', {'factor': 0.25})
    assert 'demo_factor' in (tmp_path / 'r' / 'history.csv').read_text().splitlines()[0]
    assert 'gradient factor' in mm('train', '--method', 'demo_slow_first', '--help', env=plugin_env).stdout

def test_plugin_runs_in_bench_workers(plugin_env, tmp_path):
    mm('bench', '--dataset', 'demo_tiny', '--methods', 'joint,demo_slow_first', '--seeds', '0,1', '--epochs', 2, '--jobs', 2,
       '--no-plots', '--no-progress', '--out', tmp_path / 'b', env=plugin_env)
    board = (tmp_path / 'b' / 'leaderboard.csv').read_text()
    assert board.count('\ndemo_slow_first,2,') == 1 and board.count('\njoint,2,') == 1, board

def test_a_broken_plugin_is_named(tmp_path):
    site = tmp_path / 'site'; (site / 'broken_plugin-0.1.dist-info').mkdir(parents=True)
    (site / 'broken_plugin-0.1.dist-info' / 'METADATA').write_text('Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n')
    (site / 'broken_plugin-0.1.dist-info' / 'entry_points.txt').write_text('[mmbalance.methods]\nbroken = broken_plugin_nowhere\n')
    p = mm('list', env={'PYTHONPATH': str(site)}, check=False)
    assert p.returncode == 2 and "plugin 'broken' (broken_plugin_nowhere, declared by package 'broken-plugin'" in p.stderr, p.stderr

def test_own_modules_are_declared_plugins():
    "Every module of the package that registers a method or dataset is declared under its entry-point group in settings.ini."
    cfg = configparser.ConfigParser(); cfg.read(ROOT / 'settings.ini')
    declared = {v.split('=')[1] for k in ('method_plugins', 'dataset_plugins') for v in cfg['DEFAULT'][k].split()}
    registering = {'mmbalance.' + '.'.join(p.relative_to(ROOT / 'mmbalance').with_suffix('').parts)
                   for p in (ROOT / 'mmbalance').rglob('*.py') if re.search(r'@(METHODS|DATASETS)\.register\(', p.read_text())}
    assert registering == declared, (registering - declared, declared - registering)
    core = (ROOT / 'mmbalance' / 'core.py').read_text()
    upward = r'^\s*(from|import)\s+(\.|mmbalance\.)(methods|data|baselines|learner|train|bench|models)\b'
    assert not re.search(upward, core, re.M) and 'pkgutil' not in core    # the bottom layer imports nothing above it

@pytest.mark.parametrize('kind,name', [('method', n) for n in METHODS.names() if not n.startswith('test_')] +
                                      [('dataset', n) for n in DATASETS.names()])
def test_help_renders_as_written(kind, name):
    reg = METHODS if kind == 'method' else DATASETS
    out = mm('train', f'--{kind}', name, '--help', env={'COLUMNS': '2000'}).stdout    # (no wrapping inside words)
    flat = ' '.join(out.split())
    for o in reg.options(name):
        if o.help: assert ' '.join(o.help.split()) in flat, (o.name, o.help)
        if o.choices: assert f"{o.flag} {{{','.join(map(str, o.choices))}}}" in flat, (o.name, o.choices)   # the choices are listed
    assert "{'" not in out                                                   # no Python dict printed in place of a help text

DEFAULTS = [(m,) for m in METHODS.names() if m not in ('unimodal',) and not m.startswith('test_')] + [('unimodal', '--modality', 'a')]

@pytest.mark.parametrize('epochs', [1, 2])
@pytest.mark.parametrize('spec', DEFAULTS, ids=lambda s: s[0])
def test_defaults_work_at_any_epoch_count(spec, epochs, tmp_path):
    mm('train', '--dataset', 'synthetic', '--method', *spec, '--epochs', epochs, '--n-train', 300, '--no-probes', '--out', tmp_path, '--no-progress')
    assert json.loads((tmp_path / 'summary.json').read_text())['epochs'] >= epochs
