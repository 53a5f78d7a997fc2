"""Each method's training-step cost against joint training, measured side by side in one process (`bench.step_times`:
the methods' steps interleaved round by round on the same model and batch), on the ResNet-18 model of the CREMA-D
configuration and on the avdigits model. Writes a JSON result file (default nbs/results/step_cost/step_cost.json) with
the environment and the machine's load before and after, so a measurement on a busy machine says so.
Run it on an otherwise idle machine:  MMBALANCE_DATA=../shared/data python tools/measure_step_cost.py [--rounds 10]"""
import argparse, json, sys
from pathlib import Path
import torch
import mmbalance.bench as B
import mmbalance.timing as T
from mmbalance.core import METHODS, write_json_atomic
from mmbalance.train import _import_plugins
from mmbalance.repro import environment, load_average, usable_cpus

def setting(model:str, rounds:int) -> tuple:
    "(make_model, batch, n_classes, rounds, warmup) of a measured model."
    from mmbalance.models import build_model
    if model == 'resnet18':
        batch, stub = B.cremad_shape_batch()
        return (lambda: build_model(stub, encoder='resnet18')), batch, 6, rounds, 2
    if model == 'avdigits':
        from mmbalance.data.core import load_dataset
        av = load_dataset('avdigits', seed=0)
        return (lambda: build_model(av)), {k: v[:64] for k, v in av.splits['train'].items()}, 10, 3 * rounds, 3
    sys.exit(f"--models: unknown {model!r}; valid: resnet18, avdigits")

def measure_passes(model:str, rounds:int) -> dict:
    "Joint training's forward, backward and remaining step time on `model`, with the machine's load around the measurement."
    make, batch, n, rounds, warmup = setting(model, rounds)
    before = load_average()
    r = T.pass_times(make, batch, rounds=rounds, warmup=warmup, n_classes=n)
    return dict(r, load_before=before, load_after=load_average())

def _named(row:dict) -> dict:
    "A row measured with options (e.g. `gblending(holdout=0.5)`: the 16-sample batch has too few samples to hold 10% out) is the method's row; `spec` keeps the options."
    name = row['method'].split('(')[0]
    return row if name == row['method'] else dict(row, method=name, spec=row['method'])

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--rounds', type=int, default=10, help='measured steps per method on the ResNet-18 model (3x that on avdigits)')
    p.add_argument('--models', default='resnet18,avdigits', help='comma-separated: resnet18, avdigits')
    p.add_argument('--methods', default='', help='comma-separated method specs (default: every registered method but unimodal)')
    p.add_argument('--out', default='nbs/results/step_cost/step_cost.json')
    p.add_argument('--merge', action='store_true', help="replace only the rows of --methods (other than joint, the reference of every ratio) in the existing --out file, "
                   "noting which rows were re-measured and the machine's load then (for a method whose step changed)")
    p.add_argument('--passes-only', action='store_true', help="only time joint's forward, backward and rest (`timing.pass_times`) and add them to the existing --out file")
    a = p.parse_args(argv)
    _import_plugins()
    if a.passes_only:
        if not Path(a.out).exists(): sys.exit(f"--passes-only: {a.out} does not exist (run without it first)")
        res = json.loads(Path(a.out).read_text())
        res['passes'] = {m: measure_passes(m, a.rounds) for m in a.models.split(',')}
        write_json_atomic(Path(a.out), res); print('added passes to', a.out); return
    methods = a.methods.split(',') if a.methods else ['joint'] + [m for m in METHODS.names() if m not in ('joint', 'unimodal') and not m.startswith('test_')]
    methods = ['gblending:holdout=0.5' if m == 'gblending' else m for m in methods]   # 10% of a 16-sample batch holds nothing out (see _named)
    if a.merge:
        if not Path(a.out).exists(): sys.exit(f"--merge: {a.out} does not exist (run without it first)")
        old, before = json.loads(Path(a.out).read_text()), load_average()
        for model in a.models.split(','):
            make, batch, n, rounds, warmup = setting(model, a.rounds)
            new = {r['method']: r for r in map(_named, B.step_times(make, batch, methods, rounds=rounds, warmup=warmup, n_classes=n))}
            rows = [new.get(r['method'], r) if r['method'] != 'joint' else r for r in old['models'][model]]
            old['models'][model] = rows + [r for m, r in new.items() if m not in {x['method'] for x in rows}]   # methods measured for the first time
        old.setdefault('remeasured', []).append(dict(methods=[m for m in methods if m != 'joint'], models=a.models.split(','),
                                                     load_before=before, load_after=load_average(), environment=environment()))
        write_json_atomic(Path(a.out), old); print('merged into', a.out); return
    res = dict(methods=methods, environment=environment(), load_before=load_average(), cpus=usable_cpus(), models={})
    for model in a.models.split(','):
        make, batch, n, rounds, warmup = setting(model, a.rounds)
        res['models'][model] = list(map(_named, B.step_times(make, batch, methods, rounds=rounds, warmup=warmup, n_classes=n)))
    res['passes'] = {m: measure_passes(m, a.rounds) for m in a.models.split(',')}
    res['load_after'] = load_average()
    write_json_atomic(Path(a.out), res); print('wrote', a.out)

if __name__ == '__main__': main()
