"""§3.7: power-law fits, published laws, compute and energy units, the student bank and the data.

Tolerances. The fits are closed-form least squares in float64 (unit roundoff 1.1e-16): on
exact power laws they recover exponents and constants to ~1e-12 relative, the bound used
below (a few thousand roundoffs of log values of order 10). The student bank is compared
with independent ``torch.nn`` networks holding the same weights: in float64 the forward
values and gradients agree to 1e-12 (sums of a few hundred terms of order 1, each rounding
at 1e-16), and after 25 Adam steps to 1e-9 (Adam divides by sqrt(v) + eps, which can
amplify a 1e-16 gradient difference on a coordinate with a tiny gradient, step after
step). In float32 (roundoff 6e-8) the same comparisons use 1e-5 and 1e-4.
"""

import csv
import io
import math
import re
from importlib import resources
from pathlib import Path

import pytest
import torch
from torch import nn

from lbdl_book import scale
from lbdl_book.data.landmarks import BOOK_CHARACTERS, DATASETS, DOMAINS, Landmark, _landmark, landmark_models
from lbdl_book.i18n import STRINGS
from lbdl_book.scale import (A100_SXM, KAPLAN_2020, KAPLAN_2020_EQ_1_3_SCALE, PF_DAY_FLOP, StudentBank,
                             accelerator_days, count_format, fit_exponential, fit_power_law, flop_per_kwh,
                             flop_to_pf_days, html_table, make_teacher, pf_days_to_flop, si_format,
                             teacher_student_data, training_energy_kwh, width_sweep)

ROOT = Path(__file__).resolve().parent.parent



# --- fit_power_law and fit_exponential ---------------------------------------------------

@pytest.mark.parametrize(("constant", "exponent"), [(1.0, -1.0), (1.2, -0.82), (3e5, 0.5), (8.8e13 ** 0.076, -0.076)])
@pytest.mark.parametrize("n", [3, 7, 50])
def test_power_law_recovers_exact_laws(constant, exponent, n):
    x = torch.logspace(0, 6, n, dtype=torch.float64)
    fit = fit_power_law(x, constant * x ** exponent)
    assert fit.exponent == pytest.approx(exponent, rel=1e-12, abs=1e-12)
    assert fit.constant == pytest.approx(constant, rel=1e-10)
    assert fit.r2 == pytest.approx(1.0, abs=1e-12)
    assert fit(x) == pytest.approx((constant * x ** exponent).tolist(), rel=1e-10)
    # the scale form (x / x_c) ** exponent of Kaplan et al.
    assert (x / fit.scale) ** exponent == pytest.approx((constant * x ** exponent).tolist(), rel=1e-9)


def test_power_law_matches_least_squares_reference_on_noisy_data():
    g = torch.Generator().manual_seed(0)
    x = torch.logspace(1, 4, 20, dtype=torch.float64)
    y = 2.0 * x ** -0.7 * torch.exp(0.1 * torch.randn(20, generator=g, dtype=torch.float64))
    fit = fit_power_law(x.tolist(), y.tolist())          # plain lists are accepted too
    design = torch.stack([torch.ones(20, dtype=torch.float64), x.log()], dim=1)
    intercept, slope = torch.linalg.lstsq(design, y.log()[:, None]).solution[:, 0]
    residual = y.log() - (intercept + slope * x.log())
    r2 = 1 - (residual ** 2).sum() / ((y.log() - y.log().mean()) ** 2).sum()
    assert fit.exponent == pytest.approx(float(slope), rel=1e-10)
    assert fit.constant == pytest.approx(math.exp(float(intercept)), rel=1e-10)
    assert fit.r2 == pytest.approx(float(r2), rel=1e-10)
    assert 0.9 < fit.r2 < 1.0
    constant, exponent, r2_again = fit                   # unpacks as a tuple
    assert (constant, exponent, r2_again) == (fit.constant, fit.exponent, fit.r2)


@pytest.mark.parametrize(("x", "y", "error", "message"), [
    ([1, 2, 3], [1, 2], ValueError, "same length"),
    ([1, 2], [1, 2], ValueError, "at least 3 points"),
    ([2, 2, 2], [1, 2, 3], ValueError, "distinct"),
    ([1, 0, 3], [1, 2, 3], ValueError, "x must hold finite positive"),
    ([1, 2, 3], [1, -2, 3], ValueError, "y must hold finite positive"),
    ([1, 2, float("nan")], [1, 2, 3], ValueError, "x must hold finite positive"),
    ([[1, 2, 3]], [1, 2, 3], ValueError, "one-dimensional"),
    ("123", [1, 2, 3], TypeError, "x must be a sequence"),
    ([1, 2, 3], None, TypeError, "y must be a sequence"),
])
def test_power_law_rejects_bad_input(x, y, error, message):
    with pytest.raises(error, match=message):
        fit_power_law(x, y)


def test_exponential_fit_recovers_rate_and_doubling_time():
    t = torch.linspace(2012, 2022, 11, dtype=torch.float64)
    fit = fit_exponential(t, 3.0 * torch.exp(1.3 * (t - 2012)))
    assert fit.rate == pytest.approx(1.3, rel=1e-10)
    assert fit.doubling_time == pytest.approx(math.log(2) / 1.3, rel=1e-10)
    assert fit.r2 == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match="t must be a one-dimensional"):
        fit_exponential([1, float("inf"), 3], [1, 2, 3])
    with pytest.raises(ValueError, match="y must hold finite positive"):
        fit_exponential([1, 2, 3], [1, 0, 3])
    with pytest.raises(TypeError, match="t must be a sequence"):
        fit_exponential(object(), [1, 2, 3])


# --- Kaplan et al.'s laws -------------------------------------------------------------------

def test_kaplan_constants_are_those_of_the_paper():
    laws = {law.name: law for law in KAPLAN_2020}
    assert (laws["compute"].scale, laws["compute"].alpha) == (2.3e8, 0.050)       # Figure 1 legend
    assert (laws["data"].scale, laws["data"].alpha) == (5.4e13, 0.095)            # Figure 1 and Eq. (1.2)
    assert (laws["parameters"].scale, laws["parameters"].alpha) == (8.8e13, 0.076)  # Figure 1 and Eq. (1.1)
    assert KAPLAN_2020_EQ_1_3_SCALE == 3.1e8
    assert laws["parameters"].formula() == r"$L = (N / 8.8\cdot 10^{13})^{-0.076}$"
    assert laws["compute"].formula() == r"$L = (C_{\min} / 2.3\cdot 10^{8})^{-0.050}$"
    # Loss values read off Kaplan et al.'s Figure 1 at the ends of the plotted ranges.
    assert laws["compute"](1e-9) == pytest.approx(7.4, abs=0.1)
    assert laws["compute"](1e1) == pytest.approx(2.33, abs=0.05)
    assert laws["parameters"](6e3) == pytest.approx(5.9, abs=0.1)
    assert laws["data"](2e7) == pytest.approx(4.1, abs=0.1)
    for law in KAPLAN_2020:
        assert law.source.startswith("Kaplan et al. 2020")


# --- units, energy ------------------------------------------------------------------------

def test_compute_and_energy_units():
    assert PF_DAY_FLOP == 8.64e19
    assert pf_days_to_flop(1.0) == 8.64e19
    assert flop_to_pf_days(pf_days_to_flop(3.7)) == pytest.approx(3.7, rel=1e-15)
    assert flop_per_kwh(312e12, 400) == pytest.approx(2.808e18, rel=1e-12)
    assert A100_SXM.flop_per_kwh == pytest.approx(2.808e18, rel=1e-12)
    assert training_energy_kwh(2.808e18) == pytest.approx(1.0, rel=1e-12)
    assert accelerator_days(312e12 * 86400) == pytest.approx(1.0, rel=1e-12)
    assert accelerator_days(3.14e23) == pytest.approx(11_648, rel=1e-3)   # GPT-3 at peak


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: flop_per_kwh(0, 400), ValueError, "peak_flops must be finite and positive"),
    (lambda: flop_per_kwh(312e12, -1), ValueError, "watts must be finite and positive"),
    (lambda: flop_per_kwh("312e12", 400), TypeError, "peak_flops must be a real number"),
    (lambda: pf_days_to_flop(True), TypeError, "pf_days must be a real number"),
    (lambda: flop_to_pf_days(float("inf")), ValueError, "flop must be finite"),
    (lambda: training_energy_kwh(-5.0), ValueError, "flop must be finite and positive"),
])
def test_units_reject_bad_values(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_number_formatting():
    assert si_format(150e9, "B") == "150 GB"
    assert si_format(41.4e3, "B") == "41 kB"
    assert si_format(571.4, "B") == "571 B"
    assert [count_format(n, "en") for n in (1.2e6, 25e3, 5.8e9, 950)] == ["1.2 million", "25 thousand",
                                                                          "5.8 billion", "950"]
    assert [count_format(n, "zh") for n in (1.2e6, 25e3, 5.8e9, 14e6)] == ["120万", "2.5万", "58亿", "1400万"]
    with pytest.raises(ValueError, match="language must be"):
        count_format(10, "fr")
    with pytest.raises(ValueError, match="value must be finite and positive"):
        si_format(0)


def test_html_table_escapes_and_checks_rows():
    table = html_table(["a", "b<"], [("x&y", 1), ("z", 2)], caption="T")
    assert "<th>b&lt;</th>" in table.data and "x&amp;y" in table.data and "<caption>T</caption>" in table.data
    with pytest.raises(ValueError, match="every row must have 2 cells"):
        html_table(["a", "b"], [(1, 2, 3)])


# --- the teacher, the student bank and the sweep ---------------------------------------------

def separate_students(bank: StudentBank) -> list[nn.Sequential]:
    """Reference: one ordinary torch.nn network per student, with the bank's weights."""
    students, start = [], 0
    for g, k in enumerate(bank.widths):
        net = nn.Sequential(nn.Linear(bank.dim, k), nn.Tanh(), nn.Linear(k, 1)).to(bank.weight1.dtype)
        with torch.no_grad():
            net[0].weight.copy_(bank.weight1[start:start + k])
            net[0].bias.copy_(bank.bias1[start:start + k])
            net[2].weight.copy_(bank.weight2[start:start + k][None])
            net[2].bias.copy_(bank.bias2[g:g + 1])
        students.append(net)
        start += k
    return students


TOL = {torch.float32: (1e-5, 1e-4), torch.float64: (1e-12, 1e-9)}   # (values and gradients, after training)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("dim", "widths", "n"), [(4, (1, 2, 4, 8), 64), (2, (3, 16), 17), (7, (5,), 1)])
def test_bank_matches_separate_networks(dtype, dim, widths, n):
    bank = StudentBank(dim, widths, seed=3).to(dtype)
    students = separate_students(bank)
    assert bank.parameter_counts() == [sum(p.numel() for p in s.parameters()) for s in students]
    assert sum(p.numel() for p in bank.parameters()) == sum(bank.parameter_counts())
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, dim, generator=g, dtype=dtype)
    y = torch.randn(n, generator=g, dtype=dtype)
    out = bank(x)
    assert out.shape == (n, len(widths))
    tol, tol_trained = TOL[dtype]
    # values and gradients: the summed loss gives each student the gradient of its own loss
    loss = ((out - y[:, None]) ** 2).mean(dim=0).sum()
    grads = torch.autograd.grad(loss, list(bank.parameters()))
    start = 0
    for g_index, (k, student) in enumerate(zip(widths, students)):
        own = ((student(x).squeeze(-1) - y) ** 2).mean()
        torch.testing.assert_close(out[:, g_index], student(x).squeeze(-1), atol=tol, rtol=tol)
        w1, b1, w2, b2 = torch.autograd.grad(own, [student[0].weight, student[0].bias, student[2].weight,
                                                   student[2].bias])
        torch.testing.assert_close(grads[0][start:start + k], w1, atol=tol, rtol=tol)
        torch.testing.assert_close(grads[1][start:start + k], b1, atol=tol, rtol=tol)
        torch.testing.assert_close(grads[2][start:start + k], w2[0], atol=tol, rtol=tol)
        torch.testing.assert_close(grads[3][g_index:g_index + 1], b2, atol=tol, rtol=tol)
        start += k
    # training: Adam on the summed loss == Adam on each student alone
    def train(params, loss_fn, steps=25):
        opt = torch.optim.Adam(params, lr=0.05)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
        for _ in range(steps):
            opt.zero_grad()
            loss_fn().backward()
            opt.step()
            sched.step()
    train(bank.parameters(), lambda: ((bank(x) - y[:, None]) ** 2).mean(dim=0).sum())
    for g_index, student in enumerate(students):
        train(student.parameters(), lambda s=student: ((s(x).squeeze(-1) - y) ** 2).mean())
        with torch.no_grad():
            torch.testing.assert_close(bank(x)[:, g_index], student(x).squeeze(-1), atol=tol_trained, rtol=tol_trained)


@pytest.mark.parametrize(("args", "error", "message"), [
    ((4, ()), ValueError, "widths must be a non-empty sequence"),
    ((4, (2, 0)), ValueError, "each width must be a positive int"),
    ((4, (2, 1.5)), ValueError, "each width must be a positive int"),
    ((0, (2,)), ValueError, "dim must be a positive int"),
    ((4, "12"), ValueError, "widths must be a non-empty sequence"),
])
def test_bank_rejects_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        StudentBank(*args)


def test_bank_rejects_bad_input_shape():
    bank = StudentBank(4, (2, 3))
    with pytest.raises(ValueError, match=r"x must be a tensor of shape \(N, 4\), got \(5, 3\)"):
        bank(torch.zeros(5, 3))
    with pytest.raises(ValueError, match=r"shape \(N, 4\), got list"):
        bank([[0.0] * 4])


def test_teacher_is_fixed_and_data_reproducible():
    teacher = make_teacher(dim=3, width=16, seed=0)
    assert not any(p.requires_grad for p in teacher.parameters())
    x, y = teacher_student_data(teacher, 10, seed=5)
    x2, y2 = teacher_student_data(make_teacher(dim=3, width=16, seed=0), 10, seed=5)
    assert x.shape == (10, 3) and y.shape == (10,)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(y, teacher_student_data(make_teacher(3, 16, seed=1), 10, seed=5)[1])
    with pytest.raises(ValueError, match="n must be a positive int"):
        teacher_student_data(teacher, 0, seed=1)
    with pytest.raises(TypeError, match="teacher must be a torch.nn.Module"):
        teacher_student_data(lambda x: x, 3, seed=1)
    with pytest.raises(ValueError, match="width must be a positive int"):
        make_teacher(width=-2)


def test_width_sweep_learns_and_bigger_students_do_better():
    teacher = make_teacher(dim=2, width=32, seed=0)
    train, test = teacher_student_data(teacher, 256, seed=1), teacher_student_data(teacher, 512, seed=2)
    result = width_sweep((1, 16), train, test, steps=200, device="cpu")
    assert result.parameters.tolist() == [5, 65]
    assert (result.test_loss < 1).all() and (result.test_loss > 0).all()
    assert result.test_loss[1] < result.test_loss[0] / 2, result.test_loss
    again = width_sweep((1, 16), train, test, steps=200, device="cpu")
    assert torch.equal(result.test_loss, again.test_loss)          # seeded: repeatable


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    (dict(steps=0), ValueError, "steps must be a positive int"),
    (dict(lr=0.0), ValueError, "lr must be finite and positive"),
])
def test_width_sweep_rejects_bad_settings(kwargs, error, message):
    teacher = make_teacher(dim=2, width=8)
    data = teacher_student_data(teacher, 8, seed=0)
    with pytest.raises(error, match=message):
        width_sweep((2,), data, data, **kwargs)
    with pytest.raises(ValueError, match=r"train must be a pair \(x of shape \(N, dim\), y of shape \(N,\)\)"):
        width_sweep((2,), (data[0], data[1][:3]), data)


# --- the data of Figure 3.7 and Table 3.1 -----------------------------------------------------

def test_landmark_table_is_package_data_with_sources():
    assert resources.files("lbdl_book.data").joinpath("training_compute.csv").is_file()
    models = landmark_models()
    assert [m.model for m in models][:2] == ["AlexNet", "VGG16"] and len(models) == 16
    assert {m.model for m in models} == {"AlexNet", "VGG16", "GoogLeNet", "ResNet", "Transformer", "GPT", "BERT",
                                         "GPT-2", "AlphaGo", "AlphaZero", "ViT", "CLIP", "Whisper", "GPT-3",
                                         "LaMDA", "PaLM"}
    assert [m.date for m in models] == sorted(m.date for m in models)
    for m in models:
        assert m.domain in DOMAINS and 1e17 < m.training_flop < 1e25 and len(m.source) > 20
        assert 2012 <= m.year < 2023
    by_name = {m.model: m for m in models}
    assert by_name["GPT-3"].training_flop == 3.14e23                   # Brown et al. 2020, Table D.1
    assert by_name["PaLM"].training_flop == pytest.approx(2.527e24, rel=1e-3)
    assert by_name["Transformer"].training_flop == 2.3e19              # Vaswani et al. 2017, Table 2
    assert by_name["AlexNet"].parameters == 6e7 and by_name["AlphaGo"].parameters is None
    assert by_name["GPT-3"].year == pytest.approx(2020 + 148 / 366)


def test_landmark_rows_are_validated():
    row = dict(model="X", date="2020-01-01", domain="vision", training_flop="1e20", parameters="", source="paper")
    assert isinstance(_landmark(row, 2), Landmark)
    with pytest.raises(ValueError, match="line 7: domain must be one of"):
        _landmark({**row, "domain": "speech"}, 7)
    with pytest.raises(ValueError, match="training_flop must be positive"):
        _landmark({**row, "training_flop": "-1"}, 3)
    with pytest.raises(ValueError, match="every row needs a source"):
        _landmark({**row, "source": " "}, 3)


def test_csv_columns():
    text = (ROOT / "lbdl_book" / "data" / "training_compute.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == ["model", "date", "domain", "training_flop", "parameters", "source"]


def test_table_3_1():
    by_name = {d.name: d for d in DATASETS}
    assert [d.name for d in DATASETS] == ["ImageNet", "Cityscape", "LAION-5B", "WMT-18-de-en", "The Pile", "OSCAR"]
    assert by_name["ImageNet"].bytes_per_item == pytest.approx(125e3)
    assert by_name["LAION-5B"].bytes_per_item == pytest.approx(41.4e3, rel=1e-3)
    assert BOOK_CHARACTERS == 500_000
    # The book's "book" counts are ~1000x too large for its sizes: ~500 bytes per book.
    for d in DATASETS[3:]:
        assert 400 < d.bytes_per_item < 600


# --- strings ------------------------------------------------------------------------------------

def test_every_key_of_the_page_is_in_the_catalogue():
    keys = set()
    for lang in ("en", "zh"):
        page = (ROOT / "book" / lang / "ch03" / "benefits-of-scale.md").read_text(encoding="utf-8")
        keys |= set(re.findall(r't\(f?"(scale_[a-z0-9_{}.]+)"', page))
    expanded = set()
    for key in keys:
        if "{" in key:   # t(f"scale_panel_{law.name}") and friends
            expanded |= {k for k in STRINGS if re.fullmatch(re.sub(r"\{[^}]+\}", "[a-z]+", key), k)}
        else:
            expanded.add(key)
    missing = expanded - STRINGS.keys()
    assert not missing, missing
    assert {"scale_panel_compute", "scale_panel_data", "scale_panel_parameters"} <= expanded
    for key in (k for k in STRINGS if k.startswith("scale_")):
        en, zh = STRINGS[key]
        assert re.findall(r"\{(\w+)", en) == re.findall(r"\{(\w+)", zh) or \
            sorted(re.findall(r"\{(\w+)", en)) == sorted(re.findall(r"\{(\w+)", zh)), key


def test_module_is_documented():
    assert "§3.7" in scale.__doc__
    for name in scale.__all__:
        obj = getattr(scale, name)
        if callable(obj) and not isinstance(obj, (int, float)):
            assert obj.__doc__, name
