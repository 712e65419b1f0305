"""Self-supervised training ("The missing bits") with Barlow Twins [Zbontar et al., 2021].

Labels are expensive, unlabelled data are not. Self-supervised training invents a task
whose answers come from the data themselves, trains a network on it, and keeps the
network's features for the real task, which then needs few labels. Barlow Twins asks
the network to give the same embedding to two random distortions of one image (here,
small rotations, rescalings, shifts and pixel noise of a digit: none changes which
digit it is), while keeping the dimensions of the embedding decorrelated, so that the
trivial answer, a constant, is ruled out.

With z¹, z² the (N, D) embeddings of the two views of a batch, each dimension
normalised over the batch, ẑ = (z − mean) / sqrt(var + eps) (a batch normalisation
without parameters, biased variance), the cross-correlation matrix is

    C_ij = (1/N) Σ_n ẑ¹_ni ẑ²_nj,                  (D × D, entries in [−1, 1])

and the loss (Beyond-LBDL: the book names the idea, not the formula) is

    L = Σ_i (1 − C_ii)²  +  λ Σ_i Σ_{j≠i} C_ij².

The first term makes each dimension agree across the two views (invariance); the second
makes different dimensions carry different information (redundancy reduction). L = 0
exactly when C is the identity.

What is here:

* :func:`cross_correlation` and :func:`barlow_twins_loss`, the two equations;
* :func:`jitter` and :class:`DigitJitter`, the distortions (a random affine map applied
  by bilinear sampling, then Gaussian noise), drawn from a seeded generator;
* :class:`DigitEncoder` (an MLP with batch normalisation, 8 × 8 digit → 128 features),
  :class:`BarlowTwins` (jitter twice, encoder, projector; its output is the pair of
  embeddings that :func:`barlow_twins_loss` takes), built from :mod:`lbdl_book.nn`;
* :func:`features` (a frozen encoder applied to a batch), :func:`few_labels` (a
  balanced labelled subset) and :func:`linear_probe` (a multinomial logistic regression
  on frozen features, the usual test of a representation).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from lbdl_book._checks import module, non_negative_int, non_negative_real, positive_int, tensor
from lbdl_book.nn.activations import ReLU
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.linear import Linear
from lbdl_book.nn.norm import BatchNorm1d
from lbdl_book.train import predict

__all__ = ["BarlowTwins", "DigitEncoder", "DigitJitter", "barlow_twins_loss", "cross_correlation", "features",
           "few_labels", "jitter", "linear_probe"]


def _check_pair(z1, z2) -> None:
    for name, z in (("z1", z1), ("z2", z2)):
        tensor(z, name, floating=True)
        if z.dim() != 2 or z.shape[0] < 2 or z.shape[1] < 1:
            raise ValueError(f"{name} must have shape (N, D) with N >= 2, got {tuple(z.shape)}")
    if z1.shape != z2.shape:
        raise ValueError(f"z1 and z2 must have the same shape, got {tuple(z1.shape)} and {tuple(z2.shape)}")


# --- the loss ------------------------------------------------------------------------------

def cross_correlation(z1: torch.Tensor, z2: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """C (D, D): C_ij = (1/N) Σ_n ẑ¹_ni ẑ²_nj, where ẑ = (z − mean) / sqrt(var + ``eps``),
    the mean and the (biased) variance of each column taken over the batch.

    ``z1``, ``z2``: (N, D) embeddings of two views of the same N samples, N >= 2."""
    _check_pair(z1, z2)
    eps = non_negative_real(eps, "eps")
    n = z1.shape[0]

    def normalise(z):
        return (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + eps)

    return normalise(z1).T @ normalise(z2) / n


def barlow_twins_loss(z1: torch.Tensor, z2: torch.Tensor, lambd: float = 5e-3, eps: float = 1e-5) -> torch.Tensor:
    """Σ_i (1 − C_ii)² + λ Σ_{i≠j} C_ij², with C = :func:`cross_correlation` (z1, z2, eps);
    ``lambd`` λ >= 0 weighs the decorrelation term. Returns a 0-d tensor."""
    lambd = non_negative_real(lambd, "lambd")
    c = cross_correlation(z1, z2, eps)
    diagonal = torch.diagonal(c)
    on = (1 - diagonal).pow(2).sum()
    off = c.pow(2).sum() - diagonal.pow(2).sum()
    return on + lambd * off


# --- the distortions -----------------------------------------------------------------------

def _check_images(images) -> torch.Tensor:
    tensor(images, "images", floating=True)
    if images.dim() != 4 or min(images.shape) == 0:
        raise ValueError(f"images must have shape (N, C, H, W) with N, C, H, W >= 1, got {tuple(images.shape)}")
    return images


def jitter(images: torch.Tensor, rotation: float = 15.0, scale: float = 0.1, shift: float = 1.0,
           noise: float = 0.1, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """A random distortion of every image of ``images`` (N, C, H, W), same shape.

    Each image is rotated by an angle uniform in ±``rotation`` degrees and zoomed by a
    factor uniform in 1 ± ``scale`` about its centre, moved by up to ±``shift`` pixels
    along each axis (uniform), resampled bilinearly (zeros outside), and Gaussian noise of
    standard deviation ``noise`` is added. With all four at 0 it returns the images
    unchanged (up to rounding). The numbers come from ``generator`` (CPU), if given."""
    _check_images(images)
    rotation = non_negative_real(rotation, "rotation")
    scale = non_negative_real(scale, "scale")
    if scale >= 1:
        raise ValueError(f"scale must be < 1 (zoom factors 1 ± scale), got {scale!r}")
    shift = non_negative_real(shift, "shift")
    noise = non_negative_real(noise, "noise")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    n, _, h, w = images.shape

    def uniform(*shape):
        return torch.rand(*shape, generator=generator) * 2 - 1

    angle = uniform(n) * math.radians(rotation)
    zoom = 1 + uniform(n) * scale
    moves = uniform(n, 2) * shift
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = torch.cos(angle) / zoom, -torch.sin(angle) / zoom
    theta[:, 1, 0], theta[:, 1, 1] = torch.sin(angle) / zoom, torch.cos(angle) / zoom
    theta[:, 0, 2], theta[:, 1, 2] = -moves[:, 0] * 2 / w, -moves[:, 1] * 2 / h     # output x shows input x − move
    theta = theta.to(images)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if noise > 0:
        out = out + noise * torch.randn(out.shape, generator=generator).to(out)
    return out


class DigitJitter(nn.Module):
    """:func:`jitter` as a layer, drawing from its own generator (seeded by ``seed``): in
    training mode it distorts the batch, in evaluation mode it passes it through, so
    ``nn.Sequential(DigitJitter(), model)`` trains on distorted digits and is evaluated on
    the digits themselves. :meth:`view` distorts in either mode."""

    def __init__(self, rotation: float = 15.0, scale: float = 0.1, shift: float = 1.0, noise: float = 0.1,
                 seed: int = 0):
        super().__init__()
        self.settings = {"rotation": rotation, "scale": scale, "shift": shift, "noise": noise}
        jitter(torch.zeros(1, 1, 2, 2), **self.settings)                      # checks the settings
        self.generator = torch.Generator().manual_seed(non_negative_int(seed, "seed"))

    def view(self, images: torch.Tensor) -> torch.Tensor:
        """A new random distortion of ``images`` (N, C, H, W)."""
        return jitter(images, **self.settings, generator=self.generator)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.view(images) if self.training else _check_images(images)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.settings.items())


# --- the networks ---------------------------------------------------------------------------

class DigitEncoder(nn.Sequential):
    """Images (N, 1, S, S) → features (N, ``features``): flatten, then
    fc(S² → ``hidden``), batch-norm, ReLU, fc(``hidden`` → ``features``), batch-norm, ReLU.

    Parameters: S²·H + H + 2H + H·F + F + 2F (batch-norm scales and shifts included).
    ``fused``: PyTorch's kernels (default) or the book's computations."""

    def __init__(self, image_size: int = 8, hidden: int = 256, features: int = 128, *, fused: bool = True):
        s, h, f = positive_int(image_size, "image_size"), positive_int(hidden, "hidden"), positive_int(features, "features")
        super().__init__(nn.Flatten(), Linear(s * s, h), BatchNorm1d(h), ReLU(), Linear(h, f), BatchNorm1d(f), ReLU())
        self.image_size, self.features = s, f
        set_fused(self, fused)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        _check_images(images)
        if images.shape[1:] != (1, self.image_size, self.image_size):
            raise ValueError(f"images must have shape (N, 1, {self.image_size}, {self.image_size}), got "
                             f"{tuple(images.shape)}")
        return super().forward(images)


class BarlowTwins(nn.Module):
    """Two distorted views of a batch through one encoder and one projector.

    ``forward(images)`` (N, 1, S, S) → (2, N, P): the embeddings z¹, z² of two independent
    :meth:`DigitJitter.view` s of every image, for :func:`barlow_twins_loss` (z[0], z[1]).
    ``encoder``: the network to pre-train (its features feed the projector);
    ``projector_dims``: widths of the projector, an MLP fc → batch-norm → ReLU → … → fc
    (the paper's, smaller); ``jitter``: the :class:`DigitJitter` that makes the views.
    After training, the projector is dropped and the encoder's features are used."""

    def __init__(self, encoder: nn.Module, projector_dims: tuple[int, ...] = (256, 256),
                 jitter: DigitJitter | None = None, *, fused: bool = True):
        super().__init__()
        self.encoder = module(encoder, "encoder")
        width = getattr(encoder, "features", None)
        if not isinstance(width, int):
            raise ValueError("encoder must have an int attribute `features` (the width of its output), "
                             f"got {width!r}")
        if (isinstance(projector_dims, (str, bytes)) or not isinstance(projector_dims, (tuple, list))
                or not projector_dims):
            raise ValueError(f"projector_dims must be a non-empty tuple of positive ints, got {projector_dims!r}")
        layers, previous = [], width
        for k, d in enumerate(projector_dims):
            positive_int(d, f"projector_dims[{k}]")
            if k:
                layers += [BatchNorm1d(previous), ReLU()]
            layers.append(Linear(previous, d))
            previous = d
        self.projector = nn.Sequential(*layers)
        self.jitter = DigitJitter() if jitter is None else jitter
        if not isinstance(self.jitter, DigitJitter):
            raise TypeError(f"jitter must be a DigitJitter or None, got {type(self.jitter).__name__}")
        self.embedding_dim = previous
        set_fused(self, fused)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        _check_images(images)
        # each view goes through on its own, as in the paper: the batch norms see one view at a time
        return torch.stack([self.projector(self.encoder(self.jitter.view(images))) for _ in range(2)])


# --- evaluation with few labels -------------------------------------------------------------

@torch.no_grad()
def features(encoder: nn.Module, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """``encoder`` applied to ``images`` in evaluation mode, without gradients, by batches
    of ``batch_size``, on the encoder's device; returns (N, F) on the CPU. The encoder's
    mode is restored."""
    module(encoder, "encoder")
    tensor(images, "images", floating=True)
    positive_int(batch_size, "batch_size")
    if len(images) == 0:
        raise ValueError("images must hold at least one image, got an empty batch")
    return predict(encoder, images, batch_size=batch_size)


def few_labels(labels: torch.Tensor, per_class: int, seed: int = 0) -> torch.Tensor:
    """Indices (C · ``per_class``,) of a balanced labelled subset: for each class c of
    ``labels`` (N,) int64 in {0, …, C−1}, ``per_class`` of its samples drawn at random
    (without replacement, from ``seed``), in class order."""
    tensor(labels, "labels")
    if labels.dtype != torch.int64 or labels.dim() != 1 or len(labels) == 0 or labels.min() < 0:
        raise ValueError(f"labels must be a non-empty 1-D int64 tensor of classes >= 0, got {labels.dtype} "
                         f"{tuple(labels.shape)}")
    positive_int(per_class, "per_class")
    generator = torch.Generator().manual_seed(non_negative_int(seed, "seed"))
    chosen = []
    for c in range(int(labels.max()) + 1):
        members = torch.nonzero(labels == c).flatten()
        if len(members) < per_class:
            raise ValueError(f"per_class={per_class} is more than the {len(members)} samples of class {c}")
        chosen.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    return torch.cat(chosen)


def linear_probe(train_features: torch.Tensor, train_labels: torch.Tensor, test_features: torch.Tensor,
                 test_labels: torch.Tensor, weight_decay: float = 1e-3, max_iter: int = 200) -> float:
    """Test accuracy of a linear classifier trained on frozen features.

    Each feature is standardised with the mean and standard deviation of the training
    features; a multinomial logistic regression (weights W, biases b) minimises the mean
    cross-entropy + ``weight_decay`` ‖W‖² on the training set, by L-BFGS in float64 from
    zero (a convex problem: the result does not depend on a seed). Returns the fraction of
    ``test_features`` whose arg max class is ``test_labels``."""
    for name, x in (("train_features", train_features), ("test_features", test_features)):
        tensor(x, name, floating=True)
        if x.dim() != 2 or len(x) == 0:
            raise ValueError(f"{name} must have shape (N, F) with N >= 1, got {tuple(x.shape)}")
    for name, y, x in (("train_labels", train_labels, train_features), ("test_labels", test_labels, test_features)):
        tensor(y, name)
        if y.dtype != torch.int64 or y.shape != x.shape[:1] or y.min() < 0:
            raise ValueError(f"{name} must be an int64 tensor of classes >= 0 with one entry per row of the "
                             f"features ({len(x)}), got {y.dtype} {tuple(y.shape)}")
    if train_features.shape[1] != test_features.shape[1]:
        raise ValueError(f"train_features and test_features must have the same width, got "
                         f"{train_features.shape[1]} and {test_features.shape[1]}")
    weight_decay = non_negative_real(weight_decay, "weight_decay")
    positive_int(max_iter, "max_iter")
    x, xt = train_features.double(), test_features.double()
    mean, std = x.mean(0), x.std(0, unbiased=False)
    std = torch.where(std > 0, std, torch.ones_like(std))          # a constant feature stays at 0
    x, xt = (x - mean) / std, (xt - mean) / std
    classes = int(max(train_labels.max(), test_labels.max())) + 1
    w = torch.zeros(x.shape[1], classes, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([w, b], max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(x @ w + b, train_labels) + weight_decay * w.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    with torch.no_grad():
        return ((xt @ w + b).argmax(1) == test_labels).double().mean().item()
