"""Fidelity of LFM and CGGM to their specs (issue #16, point 2): each test pins one defect found in review against a
hand computation (numbers written out here, not re-derived with the library's own code). The notebooks 13_cggm and
15_lfm carry the same checks next to the code; these run without the notebooks."""
import math, warnings
import pytest, torch
from mmbalance.core import ModelOutput, METHODS, OptionError
from mmbalance.methods.lfm import LFM, alpha_schedule
from mmbalance.methods.cggm import dice_score

# --- LFM: the paper's fitted cubic is a weight in [0, 1] --------------------------------------------------------------

def test_lfm_polynomial_schedule_stays_in_the_unit_interval_over_a_long_run():
    "ω̂(t) = 1.5e-4 t³ - 6.5e-3 t² + 3.2e-2 t + 1 is 1.026 at t = 1 (a negative CE weight) and 89 at t = 100; α is a weight in [0, 1]."
    alphas = [alpha_schedule(e, 'polynomial') for e in range(1000)]
    assert all(0 <= a <= 1 for a in alphas), (min(alphas), max(alphas))
    assert alpha_schedule(0, 'polynomial') == 1.0                        # 1.02565 before the clip
    assert alpha_schedule(99, 'polynomial') == 1.0                       # 89.3 before the clip
    t = 20                                                               # inside [0, 1] the cubic is untouched
    assert alpha_schedule(t - 1, 'polynomial') == pytest.approx(1.5e-4 * 8000 - 6.5e-3 * 400 + 3.2e-2 * 20 + 1, abs=1e-12)

def test_lfm_polynomial_schedule_warns_on_runs_past_its_minimum():
    from mmbalance.testing import synth_learner
    from mmbalance.callbacks import Stop
    with pytest.warns(UserWarning, match='polynomial'): synth_learner([LFM(schedule='polynomial')]).fit(27, cbs=[Stop(0)])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        synth_learner([LFM(schedule='polynomial')]).fit(26, cbs=[Stop(0)])

# --- LFM: the released code's fitted schedule, with its own coefficients -----------------------------------------------

def test_lfm_poly_fitted_has_the_released_nine_digit_coefficients():
    """`getAlpha_Learnable_Fitted` in njustkmg/NeurIPS24-LFM (Crema_epoch.py @ ad44fa0): the alignment weight is
    7.95376296e-01 - 3.35472727e-03 e - 1.22989557e-04 e² + 2.92947416e-06 e³ - 2.23835486e-08 e⁴ + 5.39717505e-11 e⁵
    (e the 0-based epoch). Values below evaluated exactly (rational arithmetic) from those coefficients; the 6-digit
    rounding of the spec is off by 3e-7 at e = 0 and 2e-5 at e = 180."""
    for e, expected in ((0, 0.795376296), (20, 0.6991130629056), (100, 0.460844804), (180, -0.0076676717376), (199, 0.08401124758375014)):
        assert alpha_schedule(e, 'poly_fitted') == pytest.approx(expected, abs=1e-11), e

# --- LFM: the code's "Jensen-Shannon" alignment is KL(m || p) ----------------------------------------------------------

def _softmax(z): e = [math.exp(v) for v in z]; return [v / sum(e) for v in e]
def _kl(a, b): return sum(x * math.log(x / y) for x, y in zip(a, b))

LA = [[1., 0., -1.], [0.5, 2., 0.]]            # audio logits, 2 samples x 3 classes
LV = [[0., 1., 0.], [-1., 0., 1.]]             # visual logits
Y = [0, 1]

def _out():
    la, lv = torch.tensor(LA), torch.tensor(LV)
    return ModelOutput((la + lv) / 2, {'audio': la, 'visual': lv}, {'audio': la, 'visual': lv})

def _hand(kind):
    "Batch mean of 0.5 [D(p, m) + D(q, m)] with D the KL in the direction `kind` names."
    res = []
    for za, zv in zip(LA, LV):
        p, q = _softmax(za), _softmax(zv); m = [(x + y) / 2 for x, y in zip(p, q)]
        res.append(0.5 * (_kl(p, m) + _kl(q, m)) if kind == 'js' else 0.5 * (_kl(m, p) + _kl(m, q)))
    return sum(res) / len(res)

def _hand_ce():
    "Cross-entropy of the averaged logits (the code's fusion)."
    res = []
    for za, zv, y in zip(LA, LV, Y):
        z = [(a + b) / 2 for a, b in zip(za, zv)]
        res.append(-math.log(_softmax(z)[y]))
    return sum(res) / len(res)

def test_lfm_code_alignment_literal_is_kl_from_m():
    "js_alignment='code': F.kl_div(p.log(), m) as the code calls it, i.e. 0.5 [KL(m||p) + KL(m||q)]; and the full loss 2((1-α)CE + α·that)."
    cb = LFM(variant='code', js_alignment='code')
    loss, cls, mm = cb.objective(None, _out(), None, torch.tensor(Y), 0.3)
    assert mm.item() == pytest.approx(_hand('code'), rel=1e-5)
    assert abs(_hand('code') - _hand('js')) > 1e-3                          # the two readings differ on this batch
    assert loss.item() == pytest.approx(2 * (0.7 * _hand_ce() + 0.3 * _hand('code')), rel=1e-5)

def test_lfm_code_variant_default_alignment_is_the_true_js_divergence():
    cb = LFM(variant='code')
    _, _, mm = cb.objective(None, _out(), None, torch.tensor(Y), 0.3)
    assert mm.item() == pytest.approx(_hand('js'), rel=1e-5)
    assert mm.item() <= math.log(2)

def test_lfm_js_alignment_option_is_registered_and_checked():
    cb = METHODS.create('lfm', variant='code', js_alignment='code')[0]
    assert cb.js_alignment == 'code'
    with pytest.raises(Exception, match="js-alignment: unknown 'kl'"): METHODS.create('lfm', variant='code', js_alignment='kl')
    with pytest.raises(OptionError, match='variant code'): LFM(js_alignment='code')   # the paper's InfoNCE has no JS term

# --- CGGM: the segmentation metric is the mean of the BraTS regions' Dice ----------------------------------------------

def _one_hot_logits(pred, C=4):
    return torch.nn.functional.one_hot(pred, C).movedim(-1, 1).float()

def test_cggm_dice_is_the_mean_of_et_tc_wt_on_a_hand_made_volume():
    """Two 2x2x2 volumes. ET = label 3, TC = labels {1, 3}, WT = label != 0; per region, Dice per volume
    2(|P∩T| + ε) / (|P| + |T| + 2ε), ε = 1e-3, averaged over the volumes; then the mean of the three regions."""
    t0 = torch.tensor([0, 1, 2, 3, 3, 1, 0, 2]).reshape(2, 2, 2)
    p0 = torch.tensor([0, 1, 2, 3, 1, 3, 0, 0]).reshape(2, 2, 2)
    t1 = torch.zeros(2, 2, 2, dtype=torch.long)
    p1 = torch.zeros(2, 2, 2, dtype=torch.long); p1[1, 1, 1] = 2      # one false edema voxel on an empty volume
    target, pred = torch.stack([t0, t1]), torch.stack([p0, p1])
    e = 1e-3
    d = lambda inter, p, t: 2 * (inter + e) / (p + t + 2 * e)
    et = (d(1, 2, 2) + d(0, 0, 0)) / 2           # volume 0: ET voxels {3, 4} vs predicted {3, 5}; volume 1: both empty -> 1
    tc = (d(4, 4, 4) + d(0, 0, 0)) / 2           # {1, 3, 4, 5} both
    wt = (d(5, 5, 6) + d(0, 1, 0)) / 2           # predicted {1..5}, true {1..5, 7}; volume 1: one false positive
    got = dice_score(_one_hot_logits(pred), target)
    assert got.item() == pytest.approx((et + tc + wt) / 3, abs=1e-6)
    assert dice_score(_one_hot_logits(target), target).item() == pytest.approx(1.0)

def test_cggm_dice_needs_the_brats_label_set():
    with pytest.raises(Exception, match='4 classes'): dice_score(torch.zeros(1, 3, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long))
