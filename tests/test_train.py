"""lbdl_book.train: the training loop, evaluation, schedules, clipping, early stopping.

Tolerances (tests/_bounds.py): where the loop and a reference run the very same
operations (evaluate, the restored best weights) they must agree bit for bit; elsewhere,
float32 rounding bounds of the steps compared, carried from step to step through the
contraction |I − ηH| of gradient descent on a quadratic loss.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lbdl_book as lbdl
from _bounds import assert_within, gamma, unit_roundoff
from lbdl_book.models import GaussianMixture
from lbdl_book.train import eval_mode, evaluate, predict


def linear_problem(n=256):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g)
    return x, x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.01 * torch.randn(n, 1, generator=g)


def test_fit_trains_and_records_history():
    x, y = linear_problem()
    model = nn.Linear(3, 1)
    history = lbdl.fit(model, F.mse_loss, (x, y), epochs=30, lr=0.1, batch_size=32,
                       val_data=(x, y), metrics={"mae": lambda o, t: (o - t).abs().mean()}, progress=False)
    assert len(history["train_loss"]) == 30 and "val_mae" in history
    assert history["train_loss"][-1] < 1e-3 < history["train_loss"][0]
    assert torch.allclose(model.weight, torch.tensor([[1.0, -2.0, 0.5]]), atol=0.01)
    # the last validation loss is evaluate() of the final model on the same data: bit for bit
    assert history.last("val_loss") == evaluate(model, F.mse_loss, (x, y))["loss"]


def test_fit_is_repeatable_and_handles_unsupervised_data():
    x, _ = linear_problem()
    def run():
        torch.manual_seed(0)
        model = GaussianMixture(2, 3)
        return lbdl.fit(model, lambda logp: -logp.mean(), (x,), epochs=5, lr=0.05,
                        batch_size=64, optimizer="adam", progress=False)["train_loss"]
    assert run() == run()


def test_full_batch_sgd_is_plain_gradient_descent():
    x, y = linear_problem(64)
    model = nn.Linear(3, 1)
    reference = nn.Linear(3, 1)
    reference.load_state_dict(model.state_dict())
    lbdl.fit(model, F.mse_loss, (x, y), epochs=3, lr=0.05, progress=False)
    # Both take w ← w − η·(2/N) X̃ᵀ(X̃w − y) on θ = (W, b), X̃ = (x, 1): the loop sums the
    # shuffled rows, so each step's gradient rounds differently, by at most γ_{N+6} of
    # (2/N)|X̃|ᵀ(|X̃||θ| + |y|) on each side, the update by u|θ| more; an earlier difference
    # is carried through |I − ηH|, H = (2/N) X̃ᵀX̃
    f32 = torch.float32
    xt = torch.cat([x, torch.ones(len(x), 1)], dim=1).double()
    n = len(x)
    propagate = (torch.eye(4, dtype=torch.float64) - 0.05 * 2 / n * xt.T @ xt).abs()
    error = torch.zeros(4, dtype=torch.float64)
    for _ in range(3):
        theta = torch.cat([reference.weight.detach().flatten(), reference.bias.detach()]).double()
        grad_size = 2 / n * xt.abs().T @ (xt.abs() @ theta.abs() + y.abs().double()[:, 0])
        loss = F.mse_loss(reference(x), y)
        grads = torch.autograd.grad(loss, list(reference.parameters()))
        with torch.no_grad():
            for p, g in zip(reference.parameters(), grads):
                p -= 0.05 * g
        after = torch.cat([reference.weight.detach().flatten(), reference.bias.detach()]).double()
        error = propagate @ error + 2 * (0.05 * gamma(n + 6, f32) * grad_size + gamma(2, f32) * after.abs())
    assert_within(model.weight, reference.weight, error[:3][None])
    assert_within(model.bias, reference.bias, error[3:])


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    (dict(epochs=0), ValueError, "epochs"),
    (dict(lr=-1.0), ValueError, "lr"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(optimizer="lbfgs"), ValueError, "optimizer"),
    (dict(metrics=lambda out, y: 0.0), TypeError, "metrics must be a dict"),
    (dict(metrics={"accuracy": "top-1"}), TypeError, r"metrics\['accuracy'\]"),
])
def test_fit_rejects_bad_settings(kwargs, error, match):
    x, y = linear_problem(8)
    settings = dict(epochs=1, lr=0.1, progress=False) | kwargs
    with pytest.raises(error, match=match):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x, y), **settings)


def test_fit_rejects_bad_data_and_diverging_runs():
    x, y = linear_problem(8)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        lbdl.fit(lambda v: v, F.mse_loss, (x, y), epochs=1, lr=0.1)
    with pytest.raises(ValueError, match="same length"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x, y[:4]), epochs=1, lr=0.1)
    with pytest.raises(TypeError, match="tuple of tensors"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, [x.tolist()], epochs=1, lr=0.1)
    with pytest.raises(FloatingPointError, match="learning rate"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x * 1e20, y), epochs=5, lr=1e10, progress=False)


def test_fit_follows_a_schedule_and_clips():
    from functools import partial

    from lbdl_book.schedules import cosine_annealing, schedule_values
    x, y = linear_problem(64)
    model = nn.Linear(3, 1)
    schedule = partial(cosine_annealing, lr=0.1, total_steps=8)
    history = lbdl.fit(model, F.mse_loss, (x, y), epochs=4, lr=0.1, batch_size=32, schedule=schedule,
                       grad_clip=0.5, progress=False)
    # two steps per epoch: the rate logged for epoch e is the one of step 2e + 1
    expected = schedule_values(schedule, 8)[1::2]
    # the loop's LambdaLR sets base · (schedule(t)/base): two roundings
    assert all(abs(a - b) <= gamma(2, torch.float64) * b for a, b in zip(history["lr"], expected.tolist()))
    # with clipping, each step moves the parameters by at most lr * 0.5
    reference = nn.Linear(3, 1)
    before = torch.cat([p.detach().flatten() for p in reference.parameters()])
    lbdl.fit(reference, F.mse_loss, (100 * x, 100 * y), epochs=1, lr=0.1, grad_clip=0.5, progress=False)
    after = torch.cat([p.detach().flatten() for p in reference.parameters()])
    # the clipped gradient has norm ≤ 0.5 up to the rounding of the norm and of the factor
    # (γ_{k+8} relative, k parameters); the step adds u|w| per parameter, and the measured
    # difference and its norm round too
    k, f32 = after.numel(), torch.float32
    slack = 0.05 * gamma(k + 8, f32) + 2 * unit_roundoff(f32) * after.norm().item() + gamma(k + 2, f32) * 0.05
    assert (after - before).norm() <= 0.1 * 0.5 + slack


def test_fit_stops_early_and_restores_the_best_epoch():
    from lbdl_book.schedules import EarlyStopping
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(12, 20, generator=g), torch.randn(12, 1, generator=g)   # pure noise
    xv, yv = torch.randn(200, 20, generator=g), torch.randn(200, 1, generator=g)
    model = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 1))
    stopper = EarlyStopping(patience=5)
    history = lbdl.fit(model, F.mse_loss, (x, y), epochs=500, lr=0.01, optimizer="adam", val_data=(xv, yv),
                       early_stopping=stopper, progress=False)
    assert stopper.stopped_epoch == len(history["train_loss"]) < 500
    best = min(history["val_loss"])
    assert history["val_loss"][stopper.best_epoch - 1] == best
    # the restored weights are the best epoch's, copied: the same evaluation, bit for bit
    assert evaluate(model, F.mse_loss, (xv, yv))["loss"] == best


def test_fit_rejects_bad_options():
    from lbdl_book.schedules import EarlyStopping
    x, y = linear_problem(16)
    with pytest.raises(ValueError, match="early_stopping needs val_data"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x, y), epochs=1, lr=0.1, early_stopping=EarlyStopping())
    with pytest.raises(ValueError, match="grad_clip"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x, y), epochs=1, lr=0.1, grad_clip=0.0)
    with pytest.raises(TypeError, match="schedule"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x, y), epochs=1, lr=0.1, schedule=0.1)
    with pytest.raises(ValueError, match="amp=True needs a CUDA device"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x, y), epochs=1, lr=0.1, amp=True, device="cpu")


def test_eval_mode_restores_each_submodule_and_stops_gradients():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.BatchNorm1d(4))
    model[2].eval()                                  # mixed modes: one submodule already in eval mode
    before = [m.training for m in model.modules()]
    x = torch.randn(5, 3)
    with eval_mode(model) as inside:
        assert inside is model and not any(m.training for m in model.modules())
        assert not torch.is_grad_enabled() and not model(x).requires_grad
    assert [m.training for m in model.modules()] == before and torch.is_grad_enabled()
    with eval_mode(model, no_grad=False):
        assert model(x).requires_grad and not model[1].training
    with pytest.raises(RuntimeError, match="inside"):
        with eval_mode(model):
            raise RuntimeError("inside")
    assert [m.training for m in model.modules()] == before and torch.is_grad_enabled()


def test_predict_runs_by_batches_in_eval_mode():
    """The outputs are those of the model, in eval mode, on the slices of ``batch_size``
    rows, in order (the very same computations, so bit for bit); ``each`` maps every
    batch, and the model's modes come back."""
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.BatchNorm1d(4))
    x = torch.randn(10, 3)
    with eval_mode(model):
        by_threes = torch.cat([model(x[i:i + 3]) for i in range(0, 10, 3)])
    assert model.training
    assert torch.equal(predict(model, x, batch_size=3), by_threes)
    assert torch.equal(predict(model, x, batch_size=3, each=lambda y: y.argmax(1)), by_threes.argmax(1))
    assert model.training and not predict(model, x).requires_grad
