"Every notebook under nbs/ as one pytest test, executed the way `nbdev_test` does (same flags, same skips)."
import os, pytest
from pathlib import Path
from nbdev.config import get_config
import nbdev.test as nbt  # not `from nbdev.test import test_nb`: pytest would collect it as a test

cfg = get_config()
NBS = sorted(p for p in Path(cfg.nbs_path).rglob('*.ipynb')
             if not any(part.startswith(('_', '.')) for part in p.relative_to(cfg.nbs_path).parts))
SKIP = cfg.tst_flags.split()
FORCE = os.environ.get('NBDEV_FLAGS', '').split()   # e.g. NBDEV_FLAGS="gpu slow" on a GPU runner

def test_found_notebooks(): assert len(NBS) >= 10, NBS

@pytest.mark.parametrize('nb', NBS, ids=[str(p.relative_to(cfg.nbs_path)) for p in NBS])
def test_notebook(nb):
    ok, secs = nbt.test_nb(nb.absolute(), skip_flags=SKIP, force_flags=FORCE, basepath=cfg.config_path)
    assert ok, f'{nb.name} failed (traceback above in captured stderr)'
