"""A density model (LBDL §1.4 density modelling, §3.1 likelihood).

A mixture of C Gaussians with diagonal covariances in D dimensions:

    μ(x) = Σ_c π_c N(x; m_c, diag(s_c²)),   π = softmax(logits).

``forward`` returns log μ(x), so training maximises the likelihood by minimising
``-model(x).mean()`` with :func:`lbdl_book.fit`; ``sample`` draws new points.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._checks import positive_int, tensor


class GaussianMixture(nn.Module):
    """Input (N, D) → log-density (N,). Parameters: ``logits`` (C,), ``means`` (C, D),
    ``log_scales`` (C, D); 2CD + C in all."""

    def __init__(self, num_components: int, dim: int, *, seed: int = 0, spread: float = 1.0):
        super().__init__()
        positive_int(num_components, "num_components")
        positive_int(dim, "dim")
        g = torch.Generator().manual_seed(seed)
        self.logits = nn.Parameter(torch.zeros(num_components))
        self.means = nn.Parameter(spread * torch.randn(num_components, dim, generator=g))
        self.log_scales = nn.Parameter(torch.zeros(num_components, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tensor(x, "x", floating=True)
        if x.dim() != 2 or x.shape[1] != self.means.shape[1]:
            raise ValueError(f"x must have shape (N, {self.means.shape[1]}), got {tuple(x.shape)}")
        z = (x[:, None, :] - self.means) / self.log_scales.exp()  # (N, C, D)
        log_normal = -0.5 * (z**2).sum(-1) - self.log_scales.sum(-1) - 0.5 * x.shape[1] * math.log(2 * math.pi)
        return torch.logsumexp(torch.log_softmax(self.logits, 0) + log_normal, dim=1)

    @torch.no_grad()
    def sample(self, n: int, *, seed: int = 0) -> torch.Tensor:
        """``n`` points drawn from the mixture: (n, D)."""
        positive_int(n, "n")
        g = torch.Generator().manual_seed(seed)
        probs = torch.softmax(self.logits, 0).cpu()
        component = torch.multinomial(probs, n, replacement=True, generator=g)
        noise = torch.randn(n, self.means.shape[1], generator=g)
        means, scales = self.means.cpu(), self.log_scales.exp().cpu()
        return means[component] + scales[component] * noise
