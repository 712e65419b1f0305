"""§3.7: power-law fits, published laws, compute and energy units, the student bank and the data.

Tolerances (tests/_bounds.py). The fits are closed-form least squares in float64 (the
centred formulas of lbdl_book.scale): `line_fit_bounds` bounds the fitted intercept and
slope from the rounding of the data (y = c·x^k and the logs, a few u each) and of the sums,
and every derived quantity (the constant, R², the fitted values, Kaplan's scale form)
follows by first-order propagation. Unit conversions are a few roundings (γ_k relative).
The student bank is compared with independent ``torch.nn`` networks holding the same
weights: `_bounds.mlp` for values and gradients, and `_bounds.AdamBound` for 25 Adam
steps taken from the same weights with the same gradients.
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

from _bounds import AdamBound, assert_within, gamma, mlp, unit_roundoff
from lbdl_book import scale
from lbdl_book.data.landmarks import BOOK_CHARACTERS, DATASETS, DOMAINS, Landmark, _landmark, landmark_models
from lbdl_book.i18n import STRINGS
from lbdl_book.scale import (A100_SXM, KAPLAN_2020, KAPLAN_2020_EQ_1_3_SCALE, PF_DAY_FLOP, StudentBank,
                             accelerator_days, count_format, fit_exponential, fit_power_law, flop_per_kwh,
                             flop_to_pf_days, html_table, make_teacher, pf_days_to_flop, si_format,
                             teacher_student_data, training_energy_kwh, width_sweep)

ROOT = Path(__file__).resolve().parent.parent
U = unit_roundoff(torch.float64)


def line_fit_bounds(u, v, data_error):
    """Bounds (on the intercept a, on the slope b) of the centred least-squares line v ≈ a +
    b·u computed in float64, when each v_i is known within ``data_error``_i. First order:
    with du, dv the centred data (the means' own errors cancel: Σdu = Σdv = 0), the slope
    Σdu·dv/Σdu² moves by Σ|du|·e_i/Σdu² for the data, and by γ_{2n+6}(Σ|du||dv| +
    |b|Σdu²)/Σdu² for the rounding of the differences, products and sums; the intercept
    v̄ − b·ū by the mean data error, γ_{n+1}·mean|v|, |ū| times the slope's bound, γ₂ of
    |v̄| + |b ū|."""
    u, v = torch.as_tensor(u, dtype=torch.float64), torch.as_tensor(v, dtype=torch.float64)
    e = torch.as_tensor(data_error, dtype=torch.float64).expand_as(v)
    n = len(u)
    du, dv = u - u.mean(), v - v.mean()
    slope = (du * dv).sum() / (du * du).sum()
    slope_bound = ((du.abs() * e).sum() + gamma(2 * n + 6, torch.float64) * ((du * dv).abs().sum() + slope.abs()
                                                                         * (du * du).sum())) / (du * du).sum()
    intercept_bound = e.mean() + gamma(n + 1, torch.float64) * v.abs().mean() + u.mean().abs() * slope_bound \
        + gamma(2, torch.float64) * (v.mean().abs() + (slope * u.mean()).abs())
    return intercept_bound.item(), slope_bound.item()


def r2_gap(u, v, data_error, bounds):
    """Bound on 1 − R² for data that lie exactly on a line up to ``data_error``: the
    computed residuals are at most the data errors plus the fitted line's error
    (δa + |u|·δb) plus their rounding (γ₃), and R² = 1 − Σr²/Σdv² rounds twice more."""
    u, v = torch.as_tensor(u, dtype=torch.float64), torch.as_tensor(v, dtype=torch.float64)
    a_bound, b_bound = bounds
    r = data_error + a_bound + u.abs() * b_bound + gamma(3, torch.float64) * (v.abs() + v.abs().max())
    return ((r**2).sum() / ((v - v.mean()) ** 2).sum()).item() + 2 * U



# --- fit_power_law and fit_exponential ---------------------------------------------------

@pytest.mark.parametrize(("constant", "exponent"), [(1.0, -1.0), (1.2, -0.82), (3e5, 0.5), (8.8e13 ** 0.076, -0.076)])
@pytest.mark.parametrize("n", [3, 7, 50])
def test_power_law_recovers_exact_laws(constant, exponent, n):
    x = torch.logspace(0, 6, n, dtype=torch.float64)
    y = constant * x ** exponent
    fit = fit_power_law(x, y)
    # y = c·x^k rounds by γ₃ relative (the power, the product), so log y by γ₃ + u|log y|;
    # log x rounds by u|log x|, which the slope k turns into an error of k·u|log x|
    lx, ly = x.log(), y.log()
    data_error = gamma(4, torch.float64) + U * (ly.abs() + abs(exponent) * lx.abs())
    a_bound, k_bound = line_fit_bounds(lx, ly, data_error)
    assert abs(fit.exponent - exponent) <= k_bound
    c_rel = a_bound + 2 * U                                   # exp(intercept): its error, one more rounding
    assert abs(fit.constant - constant) <= constant * c_rel * (1 + c_rel)
    assert abs(fit.r2 - 1.0) <= r2_gap(lx, ly, data_error, (a_bound, k_bound))
    # fitted values c'·x^k': relative error k_bound·|log x| + the constant's, plus γ₃ on each side
    relative = k_bound * lx.abs() + c_rel + 2 * gamma(3, torch.float64)
    assert_within(torch.as_tensor(fit(x), dtype=torch.float64), y, relative * y.abs() * (1 + relative))
    # the scale form (x / x_c) ** exponent of Kaplan et al.: log x_c = −log c'/k' moves by
    # c_rel/|k| + |log c|·k_bound/k² (+ γ₂ of it); the power multiplies the log error by |k|
    log_scale = math.log(fit.scale)
    scale_error = c_rel / abs(exponent) + abs(math.log(constant)) * k_bound / exponent**2 + gamma(2, torch.float64) * abs(
        log_scale)
    relative = abs(exponent) * (scale_error + U * (lx.abs() + abs(log_scale))) + 2 * gamma(3, torch.float64)
    assert_within((x / fit.scale) ** exponent, y, relative * y.abs() * (1 + relative))


def test_power_law_matches_least_squares_reference_on_noisy_data():
    g = torch.Generator().manual_seed(0)
    x = torch.logspace(1, 4, 20, dtype=torch.float64)
    y = 2.0 * x ** -0.7 * torch.exp(0.1 * torch.randn(20, generator=g, dtype=torch.float64))
    fit = fit_power_law(x.tolist(), y.tolist())          # plain lists are accepted too
    design = torch.stack([torch.ones(20, dtype=torch.float64), x.log()], dim=1)
    intercept, slope = torch.linalg.lstsq(design, y.log()[:, None]).solution[:, 0]
    residual = y.log() - (intercept + slope * x.log())
    r2 = 1 - (residual ** 2).sum() / ((y.log() - y.log().mean()) ** 2).sum()
    # ours (the centred formulas) within line_fit_bounds (no data error: the same data);
    # the reference's QR solve within γ_{mn}(κ + κ²‖r‖/(‖A‖‖θ‖))‖θ‖ (Higham §20.1)
    a_bound, k_bound = line_fit_bounds(x.log(), y.log(), 0.0)
    sigma = torch.linalg.svdvals(design)
    kappa, theta = (sigma[0] / sigma[-1]).item(), torch.stack([intercept, slope])
    solve = gamma(2 * 20, torch.float64) * (kappa + kappa**2 * residual.norm().item() / (
        sigma[0].item() * theta.norm().item())) * theta.norm().item()
    assert abs(fit.exponent - float(slope)) <= k_bound + solve
    c_rel = a_bound + solve + 2 * U
    assert abs(fit.constant - math.exp(float(intercept))) <= fit.constant * c_rel * (1 + c_rel)
    # R² = 1 − Σr²/Σdv²: the lines differ by δa + |log x|δb, which moves Σr² by at most
    # 2‖r‖·‖δ‖ + ‖δ‖²; each side's sums round (γ_{2n}); the quotient and the difference (2u)
    shift = (a_bound + solve) + x.log().abs() * (k_bound + solve)
    total = ((y.log() - y.log().mean()) ** 2).sum()
    moved = 2 * residual.norm() * shift.norm() + shift.norm() ** 2 + 2 * gamma(2 * 20, torch.float64) * (
        (residual**2).sum() + total)
    assert abs(fit.r2 - float(r2)) <= (moved / total).item() + 4 * U
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
    y = 3.0 * torch.exp(1.3 * (t - 2012))
    fit = fit_exponential(t, y)
    # y rounds by u|1.3(t − 2012)| (the exponent's argument) + γ₃ relative, so log y by that
    # plus u|log y|; the line through (t, log y) within line_fit_bounds
    argument = 1.3 * (t - 2012)
    data_error = gamma(4, torch.float64) + U * (argument.abs() + y.log().abs())
    a_bound, rate_bound = line_fit_bounds(t, y.log(), data_error)
    assert abs(fit.rate - 1.3) <= rate_bound + U * 1.3
    rel = rate_bound / 1.3 + gamma(3, torch.float64)                  # log 2 / rate: the rate's and two roundings
    assert abs(fit.doubling_time - math.log(2) / 1.3) <= math.log(2) / 1.3 * rel * (1 + rel)
    assert abs(fit.r2 - 1.0) <= r2_gap(t, y.log(), data_error, (a_bound, rate_bound))
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
    # a product then a quotient: two roundings (γ₂), and the constants 2.808e18 etc. one more
    assert flop_to_pf_days(pf_days_to_flop(3.7)) == pytest.approx(3.7, rel=gamma(2, torch.float64), abs=0)
    assert flop_per_kwh(312e12, 400) == pytest.approx(2.808e18, rel=gamma(3, torch.float64), abs=0)
    assert A100_SXM.flop_per_kwh == pytest.approx(2.808e18, rel=gamma(3, torch.float64), abs=0)
    assert training_energy_kwh(2.808e18) == pytest.approx(1.0, rel=gamma(5, torch.float64), abs=0)
    assert accelerator_days(312e12 * 86400) == pytest.approx(1.0, rel=gamma(4, torch.float64), abs=0)
    assert accelerator_days(3.14e23) == pytest.approx(11_648, rel=1e-3)   # GPT-3 at peak


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: flop_per_kwh(0, 400), ValueError, "peak_flops must be a finite number > 0"),
    (lambda: flop_per_kwh(312e12, -1), ValueError, "watts must be a finite number > 0"),
    (lambda: flop_per_kwh("312e12", 400), TypeError, "peak_flops must be a real number"),
    (lambda: pf_days_to_flop(True), TypeError, "pf_days must be a real number"),
    (lambda: flop_to_pf_days(float("inf")), ValueError, "flop must be a finite number"),
    (lambda: training_energy_kwh(-5.0), ValueError, "flop must be a finite number > 0"),
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
    with pytest.raises(ValueError, match="value must be a finite number > 0"):
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


def student_layers(bank: StudentBank, g: int, start: int):
    """Student g of the bank as (weight, bias, activation) layers for `_bounds.mlp`."""
    k = bank.widths[g]
    return [(bank.weight1[start:start + k], bank.bias1[start:start + k], "tanh"),
            (bank.weight2[start:start + k][None], bank.bias2[g:g + 1], "identity")]


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
    starts = [sum(widths[:g]) for g in range(len(widths))]

    def compare_gradients(grads):
        """The summed loss gives each student the gradient of its own loss: within the
        MLP bound, the upstream 2(f − y)/N carrying the outputs' bound."""
        for g_index, (k, student, start) in enumerate(zip(widths, students, starts)):
            layers = student_layers(bank, g_index, start)
            with torch.no_grad():
                residual = student(x).squeeze(-1) - y
            one_side = mlp(layers, x, implementations=1)["value"][:, 0]
            upstream = (2 * residual / n)[:, None]
            bounds = mlp(layers, x, upstream, upstream_error=(2 * one_side / n + gamma(2, dtype) * upstream[:, 0].abs())[
                :, None])
            own = ((student(x).squeeze(-1) - y) ** 2).mean()
            w1, b1, w2, b2 = torch.autograd.grad(own, [student[0].weight, student[0].bias, student[2].weight,
                                                       student[2].bias])
            assert_within(grads[0][start:start + k], w1, bounds["weight"][0])
            assert_within(grads[1][start:start + k], b1, bounds["bias"][0])
            assert_within(grads[2][start:start + k], w2[0], bounds["weight"][1][0])
            assert_within(grads[3][g_index:g_index + 1], b2, bounds["bias"][1])
            yield g_index, (w1, b1, w2, b2)

    # values and gradients
    for g_index, (student, start) in enumerate(zip(students, starts)):
        with torch.no_grad():
            assert_within(out[:, g_index], student(x).squeeze(-1),
                          mlp(student_layers(bank, g_index, start), x)["value"][:, 0])
    loss = ((out - y[:, None]) ** 2).mean(dim=0).sum()
    list(compare_gradients(torch.autograd.grad(loss, list(bank.parameters()))))
    # training: Adam on the summed loss == Adam on each student alone. Step by step, from the
    # same weights (the bank's, copied into the students): the same gradients up to
    # rounding (above), and, fed the same gradients, Adam (elementwise) moves each student
    # as it moves its slice of the bank, up to AdamBound's rounding of m, v and the update.
    bank_opt = torch.optim.Adam(bank.parameters(), lr=0.05)
    bank_sched = torch.optim.lr_scheduler.CosineAnnealingLR(bank_opt, 25)
    opts = [torch.optim.Adam(s.parameters(), lr=0.05) for s in students]
    scheds = [torch.optim.lr_scheduler.CosineAnnealingLR(o, 25) for o in opts]
    adam_bounds = [[AdamBound(p, lr=0.05) for p in s.parameters()] for s in students]

    def slices(g_index):
        start, k = starts[g_index], widths[g_index]
        return (bank.weight1[start:start + k], bank.bias1[start:start + k], bank.weight2[start:start + k][None],
                bank.bias2[g_index:g_index + 1])

    for step in range(1, 26):
        with torch.no_grad():
            for g_index, student in enumerate(students):
                for p, value in zip(student.parameters(), slices(g_index)):
                    p.copy_(value)
        bank_opt.zero_grad()
        ((bank(x) - y[:, None]) ** 2).mean(dim=0).sum().backward()
        lr = bank_opt.param_groups[0]["lr"]
        for g_index, own_grads in compare_gradients([p.grad for p in bank.parameters()]):
            student = students[g_index]
            for p, grad, bound in zip(student.parameters(), slices(g_index), adam_bounds[g_index]):
                p.grad = None
                bound.lr, bound.w = lr, torch.zeros_like(bound.w)
            with torch.no_grad():                     # the bank's gradients, exactly
                for p, bank_grad in zip(student.parameters(), [bank.weight1.grad, bank.bias1.grad,
                                                                bank.weight2.grad, bank.bias2.grad]):
                    start, k = starts[g_index], widths[g_index]
                    piece = bank_grad[g_index:g_index + 1] if bank_grad is bank.bias2.grad else \
                        bank_grad[start:start + k]
                    p.grad = piece.reshape(p.shape).clone()
        before = [[p.detach().clone() for p in s.parameters()] for s in students]
        for optimizer, scheduler in ((bank_opt, bank_sched), *zip(opts, scheds)):
            optimizer.step()
            scheduler.step()
        for g_index, (student, optimizer) in enumerate(zip(students, opts)):
            for p, value, w, bound in zip(student.parameters(), slices(g_index), before[g_index], adam_bounds[g_index]):
                state = optimizer.state[p]
                bound.step(step, w, p.grad, state["exp_avg"], state["exp_avg_sq"], p)
                assert_within(value.detach().reshape(p.shape), p.detach(), bound.w)


@pytest.mark.parametrize(("args", "error", "message"), [
    ((4, ()), ValueError, "widths must be a non-empty sequence"),
    ((4, (2, 0)), ValueError, r"widths\[1\] must be a positive int"),
    ((4, (2, 1.5)), ValueError, r"widths\[1\] must be a positive int"),
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
    (dict(lr=0.0), ValueError, "lr must be a finite number > 0"),
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
    assert by_name["GPT-3"].year == 2020 + 148 / 366                    # the same two operations


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
    assert by_name["ImageNet"].bytes_per_item == 125e3                 # an exact quotient
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
