"""§3.6 training protocols: learning-rate schedules against PyTorch's schedulers, step by
step; early stopping; and the synthetic digits used by the section.

Tolerances. Our schedules are closed-form expressions evaluated in Python floats
(float64). PyTorch's schedulers compute the same rates, some in closed form and some
recursively from the previous rate (CosineAnnealingLR updates η_{t+1} from η_t), so
they agree up to the rounding of float64 arithmetic, not bit for bit. One step of a
recursion (a cosine, a ratio of 1 + cos terms, a product, a few sums) or of a closed form
rounds at most about 16 times, each by u (2⁻⁵³) of a quantity no larger than the base
rate; the recursion passes earlier errors on multiplied by a ratio ≤ 1 (the error of the
ratio, large near the end where 1 + cos → 0, multiplies η_t − η_min, which is small there
in the same proportion). So after t steps the rates differ by at most γ_{16(t+1)}·lr
(tests/_bounds.py); any error in a formula (an off-by-one step, a wrong exponent)
changes the rate by far more.
"""

import math
from functools import partial

import pytest
import torch
from torch import nn
from torch.optim import lr_scheduler

from _bounds import assert_within, gamma
from lbdl_book import schedules
from lbdl_book.data.digits_synth import GLYPHS, synthetic_digits
from lbdl_book.schedules import (EarlyStopping, constant, cosine_annealing, linear_warmup, schedule_values,
                                 step_decay, to_torch, warmup_cosine)

F64 = torch.float64


def rate_bound(step, lr):
    """|ours − PyTorch| for the rate of step ``step`` of a schedule of base rate ``lr``."""
    return gamma(16 * (step + 1), F64) * lr


def torch_rates(make_scheduler, steps, lr, optimizer="sgd"):
    """The learning rate a PyTorch optimiser uses at steps 0 … steps−1 under a scheduler."""
    p = nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([p], lr=lr) if optimizer == "sgd" else torch.optim.Adam([p], lr=lr)
    scheduler = make_scheduler(opt)
    rates = []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        p.grad = torch.ones(3)
        opt.step()
        scheduler.step()
    return rates


def assert_rates(ours, theirs):
    assert len(ours) == len(theirs)
    lr = max(max(ours), max(theirs))
    for t, (a, b) in enumerate(zip(ours, theirs)):
        assert abs(a - b) <= rate_bound(t, lr), f"step {t}: ours {a!r}, PyTorch {b!r}"


# --- each schedule against its PyTorch twin ---------------------------------------------

@pytest.mark.parametrize("lr", [0.1, 3e-4])
def test_constant_is_the_unscheduled_optimiser(lr):
    ours = [constant(t, lr=lr) for t in range(20)]
    assert_rates(ours, torch_rates(lambda o: lr_scheduler.LambdaLR(o, lambda t: 1.0), 20, lr))
    assert ours == [lr] * 20


@pytest.mark.parametrize(("lr", "warmup", "start"), [(0.1, 5, 0.1), (1e-3, 1, 0.5), (0.5, 37, 1 / 3), (2.0, 10, 1.0)])
def test_linear_warmup_matches_linear_lr(lr, warmup, start):
    steps = warmup + 15
    ours = [linear_warmup(t, lr=lr, warmup_steps=warmup, start_factor=start) for t in range(steps)]
    theirs = torch_rates(lambda o: lr_scheduler.LinearLR(o, start_factor=start, total_iters=warmup), steps, lr)
    assert_rates(ours, theirs)
    assert abs(ours[0] - start * lr) <= rate_bound(0, lr) and ours[warmup:] == [lr] * 15
    assert all(a <= b for a, b in zip(ours, ours[1:]))               # never decreases


@pytest.mark.parametrize(("lr", "step_size", "gamma"), [(0.1, 10, 0.1), (0.5, 3, 0.5), (1e-2, 1, 0.9), (1.0, 7, 1.0)])
def test_step_decay_matches_step_lr(lr, step_size, gamma):
    steps = 5 * step_size + 3
    ours = [step_decay(t, lr=lr, step_size=step_size, gamma=gamma) for t in range(steps)]
    assert_rates(ours, torch_rates(lambda o: lr_scheduler.StepLR(o, step_size=step_size, gamma=gamma), steps, lr))
    # piecewise constant: changes only at multiples of step_size
    changes = [t for t in range(1, steps) if ours[t] != ours[t - 1]]
    assert changes == ([] if gamma == 1 else list(range(step_size, steps, step_size)))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize(("lr", "total", "min_lr"), [(0.1, 50, 0.0), (0.3, 7, 0.01), (1e-3, 500, 1e-5), (0.2, 1, 0.0)])
def test_cosine_annealing_matches_cosine_annealing_lr(optimizer, lr, total, min_lr):
    ours = [cosine_annealing(t, lr=lr, total_steps=total, min_lr=min_lr) for t in range(total + 6)]
    theirs = torch_rates(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=total, eta_min=min_lr), total + 6, lr,
                         optimizer)
    assert_rates(ours[:total + 1], theirs[:total + 1])
    assert ours[0] == lr and abs(ours[total] - min_lr) <= rate_bound(0, lr)      # closed form: one step's rounding
    if total % 2 == 0:          # the midpoint is the mean rate (cos(fl(π/2)) ≈ 6e-17, not 0: within u·lr)
        assert abs(ours[total // 2] - (lr + min_lr) / 2) <= rate_bound(0, lr)
    assert all(a >= b for a, b in zip(ours, ours[1:]))               # never increases
    # past T: ours stays at min_lr, PyTorch's climbs back up the cosine (documented difference)
    assert ours[total + 1:] == [min_lr] * 5
    assert theirs[total + 1] > min_lr


@pytest.mark.parametrize(("lr", "warmup", "total", "min_lr", "start"),
                         [(0.1, 5, 20, 0.001, 0.1), (3e-4, 100, 400, 0.0, 0.01), (1.0, 1, 2, 0.0, 0.5)])
def test_warmup_cosine_matches_sequential_lr(lr, warmup, total, min_lr, start):
    ours = [warmup_cosine(t, lr=lr, warmup_steps=warmup, total_steps=total, min_lr=min_lr, start_factor=start)
            for t in range(total + 1)]

    def sequential(opt):
        warm = lr_scheduler.LinearLR(opt, start_factor=start, total_iters=warmup)
        cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=min_lr)
        return lr_scheduler.SequentialLR(opt, [warm, cosine], milestones=[warmup])

    assert_rates(ours, torch_rates(sequential, total + 1, lr))
    assert max(ours) == lr == ours[warmup] and ours.index(lr) == warmup
    # the same schedule through to_torch (a LambdaLR) gives the same rates
    schedule = partial(warmup_cosine, lr=lr, warmup_steps=warmup, total_steps=total, min_lr=min_lr, start_factor=start)
    assert_rates(ours, torch_rates(lambda o: to_torch(o, schedule), total + 1, lr))


def test_to_torch_sets_every_group_and_drives_the_updates():
    schedule = partial(step_decay, lr=0.5, step_size=2, gamma=0.5)
    w = nn.Parameter(torch.ones(2, dtype=torch.float64))
    b = nn.Parameter(torch.zeros(1, dtype=torch.float64))
    # two groups with different initial rates: both follow the schedule
    opt = torch.optim.SGD([{"params": [w], "lr": 0.1}, {"params": [b], "lr": 7.0}])
    scheduler = to_torch(opt, schedule)
    assert isinstance(scheduler, lr_scheduler.LambdaLR)
    expected_w = w.detach().clone()
    error = torch.zeros_like(expected_w)
    for t in range(7):
        # LambdaLR sets base_lr · schedule(t)/base_lr: two roundings of the rate
        rates = [g["lr"] for g in opt.param_groups]
        assert all(abs(r - schedule(t)) <= gamma(2, F64) * schedule(t) for r in rates)
        loss = (w**2).sum() + 3 * b.sum()
        opt.zero_grad()
        loss.backward()
        # plain SGD: w ← w − η_t ∇L = (1 − 2η_t) w: an earlier difference is multiplied by
        # |1 − 2η_t|; each side rounds η, η·2w and the difference (γ₃ of 2η|w|, u of |w_new|)
        new = expected_w - schedule(t) * 2 * expected_w
        error = abs(1 - 2 * schedule(t)) * error + 2 * (gamma(3, F64) * 2 * schedule(t) * expected_w.abs()
                                                        + gamma(1, F64) * new.abs())
        expected_w = new
        opt.step()
        scheduler.step()
        assert_within(w.detach(), expected_w, error)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer, got list"):
        to_torch([w], schedule)
    with pytest.raises(TypeError, match="schedule must be a function of the step, got float"):
        to_torch(opt, 0.1)
    with pytest.raises(ValueError, match="param group 0 of optimizer must have a learning rate > 0, got 0.0"):
        to_torch(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.0), schedule)


def test_schedule_values():
    rates = schedule_values(partial(cosine_annealing, lr=1.0, total_steps=4), 6)
    assert rates.dtype == torch.float64 and rates.shape == (6,)
    assert_within(rates, torch.tensor([1.0, (1 + math.cos(math.pi / 4)) / 2, 0.5,
                                       (1 - math.cos(math.pi / 4)) / 2, 0.0, 0.0], dtype=torch.float64),
                  rate_bound(0, 1.0))
    with pytest.raises(TypeError, match="schedule must be a function of the step"):
        schedule_values([1.0, 2.0], 2)
    with pytest.raises(ValueError, match="steps must be a positive int, got 0"):
        schedule_values(partial(constant, lr=1.0), 0)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: constant(-1, lr=0.1), ValueError, "step must be >= 0, got -1"),
    (lambda: constant(1.0, lr=0.1), TypeError, "step must be an int, got float"),
    (lambda: constant(True, lr=0.1), TypeError, "step must be an int, got bool"),
    (lambda: constant(0, lr=0.0), ValueError, "lr must be a finite number > 0, got 0.0"),
    (lambda: constant(0, lr=float("nan")), ValueError, "lr must be a finite number > 0, got nan"),
    (lambda: constant(0, lr="0.1"), TypeError, "lr must be a real number, got str"),
    (lambda: linear_warmup(0, lr=0.1, warmup_steps=0), ValueError, "warmup_steps must be a positive int, got 0"),
    (lambda: linear_warmup(0, lr=0.1, warmup_steps=5, start_factor=0.0), ValueError,
     "start_factor must be a finite number > 0, got 0.0"),
    (lambda: linear_warmup(0, lr=0.1, warmup_steps=5, start_factor=1.5), ValueError,
     r"start_factor must be in \(0, 1\], got 1.5"),
    (lambda: step_decay(0, lr=0.1, step_size=2.5), ValueError, "step_size must be a positive int, got 2.5"),
    (lambda: step_decay(0, lr=0.1, step_size=2, gamma=2.0), ValueError, r"gamma must be in \(0, 1\], got 2.0"),
    (lambda: cosine_annealing(0, lr=0.1, total_steps=0), ValueError, "total_steps must be a positive int, got 0"),
    (lambda: cosine_annealing(0, lr=0.1, total_steps=5, min_lr=-1e-3), ValueError,
     "min_lr must be a finite number >= 0, got -0.001"),
    (lambda: cosine_annealing(0, lr=0.1, total_steps=5, min_lr=0.2), ValueError,
     "min_lr must be <= lr, got min_lr=0.2 and lr=0.1"),
    (lambda: warmup_cosine(0, lr=0.1, warmup_steps=10, total_steps=10), ValueError,
     "warmup_steps must be < total_steps, got 10 and 10"),
])
def test_schedule_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_module_exports():
    assert sorted(schedules.__all__) == ["EarlyStopping", "constant", "cosine_annealing", "linear_warmup",
                                         "schedule_values", "step_decay", "to_torch", "warmup_cosine"]


# --- early stopping -----------------------------------------------------------------------

def test_early_stopping_picks_the_best_epoch_and_stops_after_patience():
    model = nn.Linear(1, 1, bias=False)
    stopper = EarlyStopping(patience=3)
    losses = [5.0, 4.0, 3.0, 3.5, 3.2, 3.0, 3.1, 2.0, 1.0]          # epoch 6 ties epoch 3: no progress
    decisions = []
    for epoch, loss in enumerate(losses, start=1):
        with torch.no_grad():
            model.weight.fill_(epoch)                                 # the model "is" its epoch number
        decisions.append(stopper.update(loss, model))
    # best at epoch 3; epochs 4, 5, 6 bring nothing: stop at 6, and ignore epochs 7-9
    assert decisions == [False] * 5 + [True] * 4
    assert (stopper.best_epoch, stopper.best_loss, stopper.stopped_epoch, stopper.epoch) == (3, 3.0, 6, 6)
    assert stopper.should_stop
    assert stopper.best_state["weight"].item() == 3.0               # a copy, not a view of the live weights
    assert stopper.restore(model) is model and model.weight.item() == 3.0


def test_early_stopping_min_delta_nan_and_tensors():
    stopper = EarlyStopping(patience=2, min_delta=0.1)
    assert not stopper.update(torch.tensor(1.0))
    assert not stopper.update(0.95)                                  # better, but by less than min_delta
    assert stopper.update(torch.tensor([0.92]))                      # second epoch without progress
    assert (stopper.best_epoch, stopper.best_loss, stopper.stopped_epoch) == (1, 1.0, 3)
    assert stopper.best_state is None
    with pytest.raises(ValueError, match="no best state to restore"):
        stopper.restore(nn.Linear(1, 1))
    nan_first = EarlyStopping(patience=2)
    assert not nan_first.update(float("nan")) and nan_first.best_epoch is None
    assert not nan_first.update(2.0) and nan_first.best_epoch == 2
    assert not nan_first.update(float("nan"))
    assert nan_first.update(float("nan")) and nan_first.stopped_epoch == 4


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("patience", [1, 4, 10])
def test_early_stopping_equals_the_rule_written_on_the_whole_curve(seed, patience):
    """On a noisy U-shaped validation curve, the stopper stops at the first epoch that
    follows ``patience`` non-improving ones, and its best epoch is the arg-min up to there."""
    g = torch.Generator().manual_seed(seed)
    epochs = torch.arange(1, 101, dtype=torch.float64)
    curve = ((epochs - 40) / 30) ** 2 + 0.05 * torch.randn(100, generator=g, dtype=torch.float64)
    stopper = EarlyStopping(patience=patience)
    for value in curve.tolist():
        if stopper.update(value):
            break
    best, stop, since = 0, None, 0
    for e in range(1, 101):                                           # the rule, written again
        if curve[e - 1] < curve[best - 1] or best == 0:
            best, since = e, 0
        else:
            since += 1
            if since == patience:
                stop = e
                break
    assert (stopper.best_epoch, stopper.stopped_epoch) == (best, stop)
    assert stopper.best_loss == curve[:stop].min().item() and curve[:stop].argmin().item() + 1 == best


def test_early_stopping_errors():
    with pytest.raises(ValueError, match="patience must be a positive int, got 0"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="min_delta must be a finite number >= 0, got -1"):
        EarlyStopping(min_delta=-1)
    stopper = EarlyStopping()
    with pytest.raises(TypeError, match="val_loss must be a real number, got str"):
        stopper.update("0.3")
    with pytest.raises(TypeError, match="val_loss must be a real number, got bool"):
        stopper.update(True)
    with pytest.raises(ValueError, match=r"val_loss must be a single number, got a tensor of shape \(2,\)"):
        stopper.update(torch.ones(2))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module or None, got dict"):
        stopper.update(0.5, {"weight": torch.ones(1)})
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, got NoneType"):
        stopper.restore(None)
    assert stopper.epoch == 0                                          # rejected calls count no epoch


# --- the synthetic digits of the section -------------------------------------------------

def test_synthetic_digits_shapes_labels_and_repeatability():
    x, y = synthetic_digits(250, seed=3)
    assert x.shape == (250, 1, 16, 16) and x.dtype == torch.float32
    assert y.shape == (250,) and y.dtype == torch.int64
    assert torch.bincount(y, minlength=10).tolist() == [25] * 10       # balanced classes
    x2, y2 = synthetic_digits(250, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(x, synthetic_digits(250, seed=4)[0])
    # the noiseless, undistorted images are the glyphs: ink ≈ 1 inside, 0 far from them
    clean, labels = synthetic_digits(20, noise=0.0, distortion=0.0, size=28, seed=0, dtype=torch.float64)
    assert clean.dtype == torch.float64 and clean.shape == (20, 1, 28, 28)
    assert clean.max() == 1.0 and clean.min() == 0.0 and clean[..., :3, :].abs().max() == 0
    # same digit, same clean image; different digits, different images
    first = {int(k): clean[i] for i, k in reversed(list(enumerate(labels)))}
    for i, k in enumerate(labels.tolist()):
        assert torch.equal(clean[i], first[k])
    assert len({tuple(v.flatten().tolist()) for v in first.values()}) == len(first)
    # the amount of ink follows the number of "#" of each glyph
    ink = {k: v.sum().item() for k, v in first.items()}
    hashes = {k: sum(row.count("#") for row in GLYPHS[k]) for k in first}
    assert sorted(ink, key=ink.get)[0] == sorted(hashes, key=hashes.get)[0]


def test_synthetic_digits_subsets_and_label_noise():
    x, y = synthetic_digits(100, digits=(5, 6, 7, 8, 9), noise=0.0, distortion=0.0, seed=1)
    full, labels = synthetic_digits(100, noise=0.0, distortion=0.0, seed=1)
    assert sorted(set(y.tolist())) == [0, 1, 2, 3, 4]
    # label k of the subset is digit 5 + k: its image is the full set's image of that digit
    for k in range(5):
        assert torch.equal(x[y == k][0], full[labels == 5 + k][0])
    clean = synthetic_digits(4000, seed=2)[1]
    noisy = synthetic_digits(4000, label_noise=0.3, seed=2)[1]
    flipped = (clean != noisy).float().mean().item()
    # each label is flipped with probability 0.3, to another class: a binomial proportion,
    # within 5 standard errors √(p(1 − p)/n)
    assert abs(flipped - 0.3) < 5 * math.sqrt(0.3 * 0.7 / len(clean))
    assert torch.equal(synthetic_digits(4000, label_noise=0.3, seed=2)[0], synthetic_digits(4000, seed=2)[0])


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    (dict(n=0), ValueError, "n must be an int >= 1, got 0"),
    (dict(n=10, size=4), ValueError, "size must be an int >= 8, got 4"),
    (dict(n=10, digits=(3,)), ValueError, "digits must be a sequence of at least 2 distinct digits"),
    (dict(n=10, digits=(3, 3)), ValueError, "digits must be a sequence of at least 2 distinct digits"),
    (dict(n=10, digits=(3, 10)), ValueError, "digits must be a sequence of at least 2 distinct digits"),
    (dict(n=10, digits="35"), ValueError, "digits must be a sequence of at least 2 distinct digits"),
    (dict(n=10, noise=-0.1), ValueError, "noise must be a number >= 0, got -0.1"),
    (dict(n=10, distortion=float("nan")), ValueError, "distortion must be a number >= 0, got nan"),
    (dict(n=10, label_noise=1.5), ValueError, r"label_noise must be a number in \[0, 1\], got 1.5"),
    (dict(n=10, dtype=torch.int64), TypeError, "dtype must be a floating-point torch.dtype, got torch.int64"),
])
def test_synthetic_digits_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        synthetic_digits(**kwargs)
