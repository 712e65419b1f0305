"""Basis function regression (LBDL §1.2, Figures 1.1 and 1.2).

The model is a weighted sum of fixed functions, here Gaussian bumps:

    f(x; w) = Σ_k w_k f_k(x),   f_k(x) = exp(-(x - μ_k)² / (2σ²)),

trained on the mean squared error of Eq. (1.1). Since f is linear in w and the loss is
quadratic in f, the loss is quadratic in w: its minimum solves a linear system, and
gradient descent on it reaches the same weights.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import positive_int, positive_real, tensor


def _check_1d(x: torch.Tensor, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 1:
        raise ValueError(f"{name} must have shape (N,), got {tuple(x.shape)}")


def gaussian_features(x: torch.Tensor, centers: torch.Tensor, width: float) -> torch.Tensor:
    """The design matrix Φ with Φ[n, k] = exp(-(x_n - μ_k)² / (2σ²)).

    ``x``: (N,), ``centers``: (K,), ``width`` σ > 0. Returns (N, K)."""
    _check_1d(x, "x")
    _check_1d(centers, "centers")
    positive_real(width, "width")
    return torch.exp(-((x[:, None] - centers[None, :]) ** 2) / (2 * width**2))


def mse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Eq. (1.1): the mean of (y_n - f(x_n; w))² over the N samples."""
    tensor(prediction, "prediction")
    tensor(target, "target")
    if prediction.shape != target.shape:
        raise ValueError(f"prediction {tuple(prediction.shape)} and target {tuple(target.shape)} differ in shape")
    return ((target - prediction) ** 2).mean()


class BasisFunctionRegression(nn.Module):
    """f(x; w) = Σ_k w_k f_k(x) with K Gaussian bases of width σ, centred on a regular
    grid of ``[low, high]``. Input (N,), output (N,). Trainable parameters: ``weight`` (K,)."""

    def __init__(self, num_basis: int, width: float, low: float = 0.0, high: float = 1.0,
                 dtype: torch.dtype = torch.float64):
        super().__init__()
        positive_int(num_basis, "num_basis")
        positive_real(width, "width")
        if not high > low:
            raise ValueError(f"need low < high, got [{low}, {high}]")
        self.width = float(width)
        self.register_buffer("centers", torch.linspace(low, high, num_basis, dtype=dtype))
        self.weight = nn.Parameter(torch.zeros(num_basis, dtype=dtype))

    @property
    def num_basis(self) -> int:
        return self.centers.numel()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The K basis functions at each input: (N,) → (N, K)."""
        _check_1d(x, "x")
        return gaussian_features(x.to(self.centers.dtype), self.centers, self.width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x) @ self.weight

    @torch.no_grad()
    def fit_least_squares(self, x: torch.Tensor, y: torch.Tensor, weight_decay: float = 0.0):
        """Set ``weight`` to the minimiser of Eq. (1.1) (+ λ‖w‖² if ``weight_decay`` λ > 0).

        With λ = 0 this is the least-squares solution of Φw = y (the minimum-norm one when
        K > N, where many weights fit the points exactly); with λ > 0 it solves the normal
        equations (ΦᵀΦ/N + λI) w = Φᵀy/N. Returns ``self``."""
        _check_1d(x, "x")
        _check_1d(y, "y")
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        phi = self.features(x)
        y = y.to(phi.dtype)
        if weight_decay == 0:
            # gelsd: SVD-based, so it returns the minimum-norm solution for K > N
            solution = torch.linalg.lstsq(phi, y[:, None], driver="gelsd").solution[:, 0]
        else:
            n, k = phi.shape
            gram = phi.T @ phi / n + weight_decay * torch.eye(k, dtype=phi.dtype)
            solution = torch.linalg.solve(gram, phi.T @ y / n)
        self.weight.copy_(solution)
        return self


def fit_gradient_descent(model: BasisFunctionRegression, x: torch.Tensor, y: torch.Tensor, *,
                         steps: int, lr: float | None = None) -> torch.Tensor:
    """Train ``model`` from its current weights by plain gradient descent on Eq. (1.1):
    w ← w - η ∇L(w) (Eq. 3.1), with the gradient from autograd.

    ``lr`` defaults to 1/λ_max, where λ_max is the largest eigenvalue of the loss's
    Hessian 2ΦᵀΦ/N: the quadratic loss then decreases at every step (any η < 2/λ_max
    converges). Returns the weights after each step, shape (steps + 1, K)."""
    if not isinstance(model, BasisFunctionRegression):
        raise TypeError(f"model must be a BasisFunctionRegression, got {type(model).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative int, got {steps!r}")
    _check_1d(x, "x")
    _check_1d(y, "y")
    if len(x) == 0 or len(x) != len(y):
        raise ValueError(f"x and y must have the same length N >= 1, got {len(x)} and {len(y)}")
    if lr is None:
        phi = model.features(x).detach()
        lr = 1.0 / torch.linalg.eigvalsh(2 * phi.T @ phi / len(x))[-1].item()
    elif not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    trajectory = [model.weight.detach().clone()]
    for _ in range(steps):
        loss = mse(model(x), y.to(model.weight.dtype))
        (gradient,) = torch.autograd.grad(loss, model.weight)
        with torch.no_grad():
            model.weight -= lr * gradient
        trajectory.append(model.weight.detach().clone())
    return torch.stack(trajectory)
