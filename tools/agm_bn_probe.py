"""Why AGM falls to chance on avdigits (16a_agm): train AGM on one seed and, after every epoch, score the validation set
with BatchNorm in evaluation mode (running statistics, what the loop reports) and with the batch's statistics, and record
the running variance of the audio encoder's last BatchNorm; at the end, the norms of the audio convolutions' weights.
Runs the default (eval-mode padded passes) and bn_mode=train, and writes one JSON result file.
    MMBALANCE_DATA=../shared/data OMP_NUM_THREADS=1 python tools/agm_bn_probe.py [--seed 0] [--out nbs/results/agm_ablation/bn_probe.json]"""
import argparse, torch, torch.nn as nn
from pathlib import Path
from mmbalance.core import write_json_atomic
from mmbalance.train import train
from mmbalance.learner import Callback
from mmbalance.methods.agm import untracked_bn
from mmbalance.repro import environment, load_average

class BNProbe(Callback):
    "After each epoch: validation accuracy with running and with batch statistics, and the audio encoder's last BatchNorm's mean running variance."
    def __init__(self): self.epochs = []
    @torch.no_grad()
    def after_epoch(self, learn):
        m, v = learn.model, learn.data.splits['valid']
        was = m.training
        acc = lambda: (m(v).logits.argmax(1) == v['label']).float().mean().item()
        m.eval(); running = acc()
        with untracked_bn(m): m.train(); batch = acc()
        m.train(was)
        bn = [b for b in m.encoders['audio'].modules() if isinstance(b, nn.modules.batchnorm._BatchNorm)][-1]
        self.epochs.append(dict(epoch=learn.epoch, val_acc_running_stats=running, val_acc_batch_stats=batch,
                                last_bn_running_var_mean=bn.running_var.mean().item()))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='nbs/results/agm_ablation/bn_probe.json')
    a = p.parse_args(argv)
    res = dict(seed=a.seed, environment=environment(), load_before=load_average(), runs={})
    for name, opts in (('default', {}), ('bn_mode=train', dict(bn_mode='train'))):
        cb, norms = BNProbe(), {}
        class Norms(Callback):
            def after_fit(self, learn):
                convs = [c for c in learn.model.encoders['audio'].modules() if isinstance(c, nn.modules.conv._ConvNd)]
                norms['audio_conv_weight_norms'] = [c.weight.norm().item() for c in convs]
        s = train('avdigits', 'agm', epochs=15, seed=a.seed, progress=False, probes=False, callbacks=[cb, Norms()], method_options=opts)
        res['runs'][name] = dict(options=opts, test_acc=s['test_acc'], epochs=cb.epochs, **norms)
    res['load_after'] = load_average()
    write_json_atomic(Path(a.out), res); print('wrote', a.out)

if __name__ == '__main__': main()
