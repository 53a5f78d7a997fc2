"The tutorial notebooks run top to bottom in a real Jupyter kernel (nbclient + ipykernel), as JupyterLab runs them."
import os
from pathlib import Path
import nbformat, pytest
from nbclient import NotebookClient

NBS = Path(__file__).resolve().parents[1] / 'nbs'
TUTORIALS = ['index.ipynb', '10_imbalance.ipynb']

@pytest.mark.parametrize('name', TUTORIALS)
def test_tutorial_runs_in_a_kernel(name, tmp_path):
    nb = nbformat.read(NBS / name, as_version=4)
    # directives such as `#| slow` mean nothing to Jupyter: every cell runs, as for a reader pressing Run All
    NotebookClient(nb, timeout=600, kernel_name='python3', resources={'metadata': {'path': str(NBS)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', []) if o.get('output_type') == 'error']
    assert not errors
    if name == '10_imbalance.ipynb':   # the progress bars really were widgets
        mimes = {k for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', []) for k in o.get('data', {})}
        assert 'application/vnd.jupyter.widget-view+json' in mimes, mimes
