"`python -m mmbalance ...` (and `torchrun ... -m mmbalance train ...`): the `mmbalance` command. Hand-written; nbdev does not generate it."
import sys
from mmbalance.cli import main

if __name__ == '__main__': sys.exit(main())
