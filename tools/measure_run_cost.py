"""What a whole run of each method costs against joint training: one avdigits run per method (seed 0, the benchmark's
settings, one thread), trained one after another on an otherwise idle machine, with the epochs each trained and the
wall time of its training. Staged methods differ from joint in more than their step: UMT trains its teachers first
(more epochs), G-Blending trains copies of every head to estimate its weights, SMV trains re-sampled (longer) epochs,
Re-learning diagnoses its encoders by clustering. Writes nbs/results/step_cost/run_cost.json with the machine's load
before and after. Run:  MMBALANCE_DATA=../shared/data OMP_NUM_THREADS=1 python tools/measure_run_cost.py"""
import argparse, json, sys, tempfile, time
from pathlib import Path
from mmbalance.core import write_json_atomic
from mmbalance.bench import expand_methods
from mmbalance.train import train, _import_plugins, DEFAULT_EPOCHS
from mmbalance.repro import environment, load_average, usable_cpus

METHODS = 'joint,joint:epochs=30,umt,ume,gblending,mla,reconboost,greedy,relearning,smv,aug,dimml,mie'
EXTRA = ('teacher_epochs', 'student_epochs', 'gblending_estimate_epochs', 'gblending_estimate_seconds', 'smv_items_vs_joint',
         'smv_train_items', 'relearning_after')

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--dataset', default='avdigits')
    p.add_argument('--methods', default=METHODS, help='comma-separated specs; `name:epochs=N` trains that entry N epochs')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='nbs/results/step_cost/run_cost.json')
    a = p.parse_args(argv)
    _import_plugins()
    epochs = DEFAULT_EPOCHS.get(a.dataset, 15)
    with tempfile.TemporaryDirectory() as d:                          # a first run pays one-time costs (imports, data, kernels): not timed
        train(a.dataset, 'joint', epochs=2, seed=a.seed, out=d, progress=False, probes=False)
    before, rows = load_average(), []
    for label, name, kw in expand_methods(a.methods.split(','), ['audio', 'visual']):
        kw = dict(kw); ep = kw.pop('epochs', epochs)
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            s = train(a.dataset, name, epochs=ep, seed=a.seed, out=d, progress=False, probes=False, method_options=kw)
            wall = time.perf_counter() - t0
        rows.append(dict(method=label, epochs=s['epochs'], train_seconds=s['train_seconds'], wall_seconds=wall, test_acc=s['test_acc'],
                         **{k: s[k] for k in EXTRA if k in s}))
        print(f"{label:>20} {s['epochs']:3d} epochs {s['train_seconds']:7.1f} s training {wall:7.1f} s wall", flush=True)
    ref = next(r for r in rows if r['method'] == 'joint')
    for r in rows: r['time_ratio'] = r['train_seconds'] / ref['train_seconds']; r['epoch_ratio'] = r['epochs'] / ref['epochs']
    res = dict(dataset=a.dataset, seed=a.seed, default_epochs=epochs, rows=rows, cpus=usable_cpus(), load_before=before,
               load_after=load_average(), environment=environment())
    write_json_atomic(Path(a.out), res); print('wrote', a.out)

if __name__ == '__main__': sys.exit(main())
