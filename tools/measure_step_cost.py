"""Each method's training-step cost against joint training, measured side by side in one process (`bench.step_times`:
the methods' steps interleaved round by round on the same model and batch), on the ResNet-18 model of the CREMA-D
configuration and on the avdigits model. Writes a JSON result file (default nbs/results/step_cost/step_cost.json) with
the environment and the machine's load before and after, so a measurement on a busy machine says so.
Run it on an otherwise idle machine:  MMBALANCE_DATA=../shared/data python tools/measure_step_cost.py [--rounds 10]"""
import argparse, json, sys
from pathlib import Path
import torch
import mmbalance.bench as B
from mmbalance.core import METHODS, write_json_atomic
from mmbalance.train import _import_plugins
from mmbalance.repro import environment, load_average, usable_cpus

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--rounds', type=int, default=10, help='measured steps per method on the ResNet-18 model (3x that on avdigits)')
    p.add_argument('--models', default='resnet18,avdigits', help='comma-separated: resnet18, avdigits')
    p.add_argument('--methods', default='', help='comma-separated method specs (default: every registered method but unimodal)')
    p.add_argument('--out', default='nbs/results/step_cost/step_cost.json')
    a = p.parse_args(argv)
    _import_plugins()
    methods = a.methods.split(',') if a.methods else ['joint'] + [m for m in METHODS.names() if m not in ('joint', 'unimodal') and not m.startswith('test_')]
    from mmbalance.models import build_model
    res = dict(methods=methods, environment=environment(), load_before=load_average(), cpus=usable_cpus(), models={})
    for model in a.models.split(','):
        if model == 'resnet18':
            batch, stub = B.cremad_shape_batch()
            rows = B.step_times(lambda: build_model(stub, encoder='resnet18'), batch, methods, rounds=a.rounds, warmup=2, n_classes=6)
        elif model == 'avdigits':
            from mmbalance.data.core import load_dataset
            av = load_dataset('avdigits', seed=0)
            rows = B.step_times(lambda: build_model(av), {k: v[:64] for k, v in av.splits['train'].items()}, methods,
                                rounds=3 * a.rounds, warmup=3, n_classes=10)
        else: sys.exit(f"--models: unknown {model!r}; valid: resnet18, avdigits")
        res['models'][model] = rows
    res['load_after'] = load_average()
    write_json_atomic(Path(a.out), res); print('wrote', a.out)

if __name__ == '__main__': main()
