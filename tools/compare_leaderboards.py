"""Compare a rerun of a benchmark with the committed one, and say which kind of sameness was checked.

    python tools/compare_leaderboards.py nbs/results/avdigits NEW_DIR [--mode auto|exact|statistical] [--alpha 0.01]
                                         [--methods joint,opm]

Where every run of both folders has the same float fingerprint (package versions, CPU model and kernel capability,
threads, device, deterministic settings; see nbs/08_repro.ipynb), every number of every run's summary and history must
be identical. Otherwise each method's mean of each accuracy metric must agree with the committed one within the
seed-level uncertainty: |difference of means| <= t(1 - alpha/2K, pooled df) x pooled seed std x sqrt(1/n1 + 1/n2), a
two-sample test at family-wise false-alarm rate alpha over the K method x metric cells. Exits 1 (naming method, seed
and field) if the check fails, 2 if the folders cannot be compared.
"""
import argparse, sys
from mmbalance.core import MMBalanceError
from mmbalance.repro import compare_benchmarks

def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('committed'); p.add_argument('new')
    p.add_argument('--mode', default='auto', choices=('auto', 'exact', 'statistical'))
    p.add_argument('--alpha', type=float, default=0.01, help='family-wise false-alarm rate of the statistical comparison')
    p.add_argument('--methods', default=None, help='compare only these comma-separated method labels')
    a = p.parse_args(argv)
    try: c = compare_benchmarks(a.committed, a.new, alpha=a.alpha, mode=a.mode, methods=a.methods.split(',') if a.methods else None)
    except MMBalanceError as e: print(f'compare_leaderboards: error: {e}', file=sys.stderr); return 2
    print(c.report())
    return 0 if c.ok else 1

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
