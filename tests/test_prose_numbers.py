"""No result-like number in a notebook's prose (and so in README.md, built from index.ipynb) without a committed result
behind it: every markdown cell that states a measured-looking number (mean ± std, a signed interval, a decimal
percentage, a p-value, a decimal ratio) must be checked against the committed result files by a hidden cell of the same
notebook (`check_quoted(prose(NB, words), ...)`, which `nbdev_test` runs), or say in an HTML comment
`<!-- cited: where from -->` that its numbers are quoted from elsewhere (a paper, a spec in research/, an issue)."""
import json, re
from pathlib import Path
import pytest

NBS = Path(__file__).resolve().parents[1] / 'nbs'
RESULT_LIKE = re.compile(r'\d+\.\d+\s*±\s*\d+\.\d+'          # mean ± std
                         r'|\[[-+−]\d+\.\d+,\s*[-+−]\d+\.\d+\]'  # a signed interval
                         r'|\d+\.\d+\s?%'                       # a decimal percentage
                         r'|\bp\s?=\s?0\.\d+'                   # a p-value
                         r'|\d+\.\d+\s?(?:x\b|×)')              # a decimal ratio
CODE_SPAN = re.compile(r'```.*?```|`[^`\n]*`', re.S)          # options and commands in code are not results
PROSE_CALL = re.compile(r"""prose\(\s*[^,()]+,\s*(['"])(.+?)(?<!\\)\1\s*\)""")
CITED = '<!-- cited:'

def flat(s): return ' '.join(s.split())

def result_numbers(md:str) -> list:
    "The result-like numbers of a markdown text, outside code spans."
    return RESULT_LIKE.findall(CODE_SPAN.sub(' ', md))

def checked_phrases(cells) -> list:
    "The phrases code cells hand to `prose(...)` inside a cell that also calls `check_quoted`."
    out = []
    for c in cells:
        src = ''.join(c['source'])
        if c['cell_type'] != 'code' or 'check_quoted' not in src: continue
        out += [flat(m.group(2).encode('latin-1', 'backslashreplace').decode('unicode_escape')) for m in PROSE_CALL.finditer(src)]
    return out

def unbacked(nb:Path) -> list:
    "(cell index, numbers) of each markdown cell with result-like numbers that no check cell reads and no citation marks."
    cells = json.loads(nb.read_text())['cells']
    phrases = checked_phrases(cells)
    bad = []
    for i, c in enumerate(cells):
        if c['cell_type'] != 'markdown': continue
        md = ''.join(c['source'])
        nums = result_numbers(md)
        if nums and CITED not in md and not any(p in flat(md) for p in phrases): bad.append((i, nums[:6]))
    return bad

def test_the_scanner_sees_numbers_and_their_checks():
    assert result_numbers('OPM reaches 88.9 ± 2.8, [+0.1, +7.0], p = 0.07, 1.08x joint, 2.6% longer') == \
        ['88.9 ± 2.8', '[+0.1, +7.0]', 'p = 0.07', '1.08x', '2.6%']
    assert result_numbers('run `--p 0.5` or `dropout:p=0.5`; seeds 0,1,2; 20% held out') == []
    cells = [dict(cell_type='markdown', source=['joint gets 84.0 ± 3.3\n', 'on avdigits']),
             dict(cell_type='markdown', source=['unchecked 1.5 ± 0.2']),
             dict(cell_type='markdown', source=['<!-- cited: the paper, Table 2 -->\n', 'the paper reports 62.2%']),
             dict(cell_type='code', source=["check_quoted(prose(NB, 'joint gets'), {'j': quote(AV, 'joint')})"])]
    assert checked_phrases(cells) == ['joint gets']
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / 'x.ipynb'; p.write_text(json.dumps(dict(cells=cells)))
        assert unbacked(p) == [(1, ['1.5 ± 0.2'])]

@pytest.mark.parametrize('nb', sorted(NBS.glob('*.ipynb')), ids=lambda p: p.name)
def test_prose_numbers_are_backed(nb):
    bad = unbacked(nb)
    assert not bad, (f"{nb.name}: markdown cells state result-like numbers that no hidden check cell reads back from a committed "
                     f"result file (add `check_quoted(prose(NB, words), ...)` after the cell, or mark a quotation from elsewhere with "
                     f"`<!-- cited: source -->`): {bad}")
