"""Autoencoders and the variational autoencoder ("The missing bits" of LBDL).

An **autoencoder** is an encoder that maps a signal x to a low-dimensional latent code
z = e(x) and a decoder that maps the code back, x̂ = d(z), trained to make x̂ close to
x. Since the code is smaller than the signal, the pair has to find a parameterisation of
where the data lies. :class:`Autoencoder` is a pair of MLPs (:mod:`lbdl_book.models.mlp`)
for small images; its decoder ends with a sigmoid, so x̂ is in (0, 1) like the pixels.
Trained on corrupted inputs with the clean images as targets (:func:`add_noise`), the
same model is a **denoising autoencoder** (LBDL §6.1).

The **variational autoencoder** [Kingma and Welling, 2013] (:class:`VAE`) makes the
latent space one that can be sampled. Its encoder gives a Gaussian q(z | x) =
N(μ(x), diag σ²(x)), and training maximises the evidence lower bound (ELBO)

    log p(x) ≥ E_{z ~ q(z|x)}[log p(x | z)] − KL(q(z | x) ‖ N(0, I)),

whose KL term pulls every q(z | x) towards the prior N(0, I); after training, z ~ N(0, I)
decoded gives new samples. The expectation is estimated with one sample drawn by the
**reparameterisation trick** z = μ + σ ⊙ ε, ε ~ N(0, I) (:func:`reparameterize`), so
that the gradient flows to μ and σ; the KL of two Gaussians has a closed form
(:func:`gaussian_kl`). The decoder is a Bernoulli per pixel, whose log-likelihood is
minus the binary cross-entropy of its logits (:func:`elbo_terms`, :func:`negative_elbo`).
The ELBO is not in LBDL, which only says that the loss imposes a predefined distribution
on the latent representation.

Also here, to measure what the codes are worth: :class:`PCA` (the best linear
encoder-decoder pair, for comparison) and :func:`knn_accuracy` (a k-nearest-neighbour
classifier on codes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

from lbdl_book._checks import model_input, non_negative_int, positive_int, positive_ints, positive_real, tensor
from lbdl_book.models.mlp import MLP
from lbdl_book.nn.activations import Sigmoid
from lbdl_book.nn.fused import set_fused

__all__ = ["PCA", "VAE", "Autoencoder", "VAEOutput", "add_noise", "elbo_terms", "gaussian_kl", "knn_accuracy",
           "negative_elbo", "reparameterize"]


def _check_images(x, model: nn.Module, image_shape: tuple[int, ...], name: str = "x") -> torch.Tensor:
    model_input(x, model, name)
    if x.dim() != len(image_shape) + 1 or tuple(x.shape[1:]) != image_shape:
        raise ValueError(f"{name} must have shape (N, {', '.join(map(str, image_shape))}), got {tuple(x.shape)}")
    return x


def _check_codes(z, model: nn.Module, latent_dim: int, name: str = "z") -> torch.Tensor:
    model_input(z, model, name)
    if z.dim() != 2 or z.shape[1] != latent_dim:
        raise ValueError(f"{name} must have shape (N, {latent_dim}), got {tuple(z.shape)}")
    return z


class Autoencoder(nn.Module):
    """An encoder MLP D → hidden → ``latent_dim`` and a decoder MLP ``latent_dim`` →
    reversed(hidden) → D followed by a sigmoid, for images of shape ``image_shape``
    (D = their number of pixels). ReLU between the layers, none on the code.

    ``encode``: (N, *image_shape) → (N, latent_dim); ``decode``: (N, latent_dim) →
    (N, *image_shape) in (0, 1); ``forward`` = decode ∘ encode. ``fused``: PyTorch's
    kernels (default) or the book's computations (:mod:`lbdl_book.nn.fused`)."""

    def __init__(self, latent_dim: int = 2, image_shape: Sequence[int] = (1, 8, 8), hidden: Sequence[int] = (128,),
                 *, fused: bool = True):
        super().__init__()
        self.latent_dim = positive_int(latent_dim, "latent_dim")
        self.image_shape = positive_ints(image_shape, "image_shape")
        self.hidden = positive_ints(hidden, "hidden", allow_empty=True)
        pixels = int(torch.tensor(self.image_shape).prod())
        self.encoder = MLP((pixels, *self.hidden, latent_dim))
        self.decoder = MLP((latent_dim, *reversed(self.hidden), pixels))
        self.output = Sigmoid()
        set_fused(self, fused)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self, self.image_shape)
        return self.encoder(x.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        _check_codes(z, self, self.latent_dim)
        return self.output(self.decoder(z)).view(len(z), *self.image_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, image_shape={self.image_shape}"


class VAEOutput(NamedTuple):
    """What :class:`VAE` returns: the decoder's ``logits`` (N, *image_shape) for the
    sampled codes, and the encoder's ``mean`` and ``logvar`` (N, latent_dim) of q(z | x)."""

    logits: torch.Tensor
    mean: torch.Tensor
    logvar: torch.Tensor


def reparameterize(mean: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """One sample z = μ + σ ⊙ ε of N(μ, diag σ²), σ = exp(logvar / 2), ε ~ N(0, I) drawn
    from ``generator`` (default: PyTorch's global one). The randomness is all in ε, so z
    is a differentiable function of ``mean`` and ``logvar``: the reparameterisation trick.

    ``mean``, ``logvar``: floating tensors of the same shape, any shape."""
    tensor(mean, "mean", floating=True)
    tensor(logvar, "logvar", floating=True)
    if logvar.shape != mean.shape or logvar.dtype != mean.dtype:
        raise ValueError(f"logvar must have the shape and dtype of mean {tuple(mean.shape)} {mean.dtype}, "
                         f"got {tuple(logvar.shape)} {logvar.dtype}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype, device=mean.device)
    return mean + torch.exp(0.5 * logvar) * eps


def gaussian_kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²), summed over the
    last dimension, in closed form.

    ``mean``, ``logvar`` (= log σ²): (..., J) floating tensors of the same shape and dtype,
    J >= 1. Returns (...): one value >= 0 per distribution."""
    tensor(mean, "mean", floating=True)
    tensor(logvar, "logvar", floating=True)
    if mean.dim() == 0 or mean.shape[-1] == 0:
        raise ValueError(f"mean must have shape (..., J) with J >= 1, got {tuple(mean.shape)}")
    if logvar.shape != mean.shape or logvar.dtype != mean.dtype:
        raise ValueError(f"logvar must have the shape and dtype of mean {tuple(mean.shape)} {mean.dtype}, "
                         f"got {tuple(logvar.shape)} {logvar.dtype}")
    return 0.5 * (mean ** 2 + torch.exp(logvar) - 1 - logvar).sum(-1)


class VAE(nn.Module):
    """A variational autoencoder of MLPs for images of shape ``image_shape`` (D pixels):
    the encoder D → hidden → 2·``latent_dim`` gives the mean and the log-variance of
    q(z | x); the decoder ``latent_dim`` → reversed(hidden) → D gives one logit per pixel
    (a Bernoulli of mean sigmoid(logit)).

    ``forward(x)`` samples one code per image by :func:`reparameterize` and returns a
    :class:`VAEOutput` (its loss is :func:`negative_elbo`); ``encode(x)`` → (mean, logvar);
    ``decode(z)`` → the mean images sigmoid(logits) in (0, 1); ``sample(n)`` decodes n codes
    drawn from the prior N(0, I). ``fused``: as in :class:`Autoencoder`."""

    def __init__(self, latent_dim: int = 2, image_shape: Sequence[int] = (1, 8, 8), hidden: Sequence[int] = (128,),
                 *, fused: bool = True):
        super().__init__()
        self.latent_dim = positive_int(latent_dim, "latent_dim")
        self.image_shape = positive_ints(image_shape, "image_shape")
        self.hidden = positive_ints(hidden, "hidden", allow_empty=True)
        pixels = int(torch.tensor(self.image_shape).prod())
        self.encoder = MLP((pixels, *self.hidden, 2 * latent_dim))
        self.decoder = MLP((latent_dim, *reversed(self.hidden), pixels))
        self.output = Sigmoid()
        set_fused(self, fused)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_images(x, self, self.image_shape)
        mean, logvar = self.encoder(x.flatten(1)).chunk(2, dim=1)
        return mean, logvar

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        _check_codes(z, self, self.latent_dim)
        return self.decoder(z).view(len(z), *self.image_shape)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.output(self.decode_logits(z))

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> VAEOutput:
        mean, logvar = self.encode(x)
        return VAEOutput(self.decode_logits(reparameterize(mean, logvar, generator)), mean, logvar)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images decoded from codes z ~ N(0, I): (n, *image_shape) in (0, 1)."""
        positive_int(n, "n")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        weight = next(self.parameters())
        z = torch.randn(n, self.latent_dim, generator=generator, dtype=weight.dtype, device=weight.device)
        return self.decode(z)

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, image_shape={self.image_shape}"


def elbo_terms(output: VAEOutput, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The two terms of the negative ELBO, per image: the reconstruction term −log p(x | z)
    (binary cross-entropy of the logits, summed over pixels, in nats) and the KL term
    KL(q(z | x) ‖ N(0, I)). ELBO = −(reconstruction + KL).

    ``output``: a :class:`VAEOutput` for ``x``; ``x``: (N, ...) targets in [0, 1] with the
    shape of ``output.logits``. Returns two (N,) tensors."""
    if not isinstance(output, VAEOutput):
        raise TypeError(f"output must be a VAEOutput (what VAE returns), got {type(output).__name__}")
    tensor(x, "x", floating=True)
    if x.shape != output.logits.shape:
        raise ValueError(f"x must have the shape of output.logits {tuple(output.logits.shape)}, got {tuple(x.shape)}")
    if x.numel() and not (x.min() >= 0 and x.max() <= 1):
        raise ValueError("x must hold values in [0, 1] (probabilities of ink per pixel)")
    bce = nn.functional.binary_cross_entropy_with_logits(output.logits, x, reduction="none")
    return bce.flatten(1).sum(1), gaussian_kl(output.mean, output.logvar)


def negative_elbo(output: VAEOutput, x: torch.Tensor) -> torch.Tensor:
    """The VAE's loss: −ELBO averaged over the batch, mean_n [reconstruction_n + KL_n]
    (:func:`elbo_terms`), a 0-d tensor in nats per image; a loss for :func:`lbdl_book.fit`
    with ``train_data=(x, x)``."""
    reconstruction, kl = elbo_terms(output, x)
    return (reconstruction + kl).mean()


def add_noise(images: torch.Tensor, sigma: float, *, seed: int = 0) -> torch.Tensor:
    """``images`` plus independent Gaussian noise of standard deviation ``sigma`` on every
    pixel (not clipped), drawn from a generator seeded with ``seed``: the corruption of a
    denoising autoencoder. Same shape and dtype as ``images``."""
    tensor(images, "images", floating=True)
    sigma = positive_real(sigma, "sigma")
    non_negative_int(seed, "seed")
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(images.shape, generator=generator, dtype=images.dtype)
    return images + sigma * noise.to(images.device)


def knn_accuracy(train_codes: torch.Tensor, train_labels: torch.Tensor, test_codes: torch.Tensor,
                 test_labels: torch.Tensor, k: int = 5) -> float:
    """Accuracy of the k-nearest-neighbour classifier: each test code gets the most common
    label among its ``k`` nearest training codes (Euclidean distance; a tie in the vote
    goes to the smallest label, as in scikit-learn).

    ``train_codes`` (N, J), ``test_codes`` (M, J) floating; ``train_labels`` (N,),
    ``test_labels`` (M,) int64 >= 0; 1 <= k <= N. Returns a float in [0, 1]."""
    for name, codes in (("train_codes", train_codes), ("test_codes", test_codes)):
        tensor(codes, name, floating=True)
        if codes.dim() != 2 or len(codes) == 0:
            raise ValueError(f"{name} must have shape (N, J) with N >= 1, got {tuple(codes.shape)}")
    if test_codes.shape[1] != train_codes.shape[1]:
        raise ValueError(f"test_codes must have {train_codes.shape[1]} columns like train_codes, "
                         f"got {tuple(test_codes.shape)}")
    for name, labels, codes in (("train_labels", train_labels, train_codes), ("test_labels", test_labels, test_codes)):
        tensor(labels, name)
        if labels.dtype != torch.int64 or labels.shape != (len(codes),) or (labels < 0).any():
            raise ValueError(f"{name} must be an int64 tensor of shape ({len(codes)},) with values >= 0, "
                             f"got {labels.dtype} {tuple(labels.shape)}")
    positive_int(k, "k")
    if k > len(train_codes):
        raise ValueError(f"k must be at most the number of training codes {len(train_codes)}, got {k}")
    nearest = torch.cdist(test_codes, train_codes).topk(k, largest=False).indices        # (M, k)
    classes = int(max(train_labels.max(), test_labels.max())) + 1
    votes = nn.functional.one_hot(train_labels[nearest], classes).sum(1)                # (M, C)
    return (votes.argmax(1) == test_labels).double().mean().item()                      # argmax: first maximum


class PCA:
    """Principal component analysis, the best linear autoencoder: ``PCA(d).fit(x)`` keeps
    the mean m and the d leading right-singular vectors W (d, D) of the centred data,
    computed in float64; ``encode(x)`` = (x − m) Wᵀ and ``decode(z)`` = z W + m minimise the
    mean squared reconstruction error among all pairs of affine maps through d dimensions
    (Eckart-Young). Images (N, ...) are flattened; ``decode`` returns (N, D)."""

    def __init__(self, d: int):
        self.d = positive_int(d, "d")
        self.mean: torch.Tensor | None = None
        self.components: torch.Tensor | None = None

    def fit(self, x: torch.Tensor) -> PCA:
        tensor(x, "x", floating=True)
        if x.dim() < 2 or len(x) < 2:
            raise ValueError(f"x must have shape (N, ...) with N >= 2, got {tuple(x.shape)}")
        flat = x.flatten(1).double()
        if self.d > min(flat.shape):
            raise ValueError(f"x of shape {tuple(flat.shape)} has at most {min(flat.shape)} components, d = {self.d}")
        self.mean = flat.mean(0)
        self.components = torch.linalg.svd(flat - self.mean, full_matrices=False).Vh[:self.d]
        return self

    def _fitted(self) -> None:
        if self.components is None:
            raise ValueError("this PCA is not fitted: call fit(x) first")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        self._fitted()
        tensor(x, "x", floating=True)
        if x.dim() < 2 or x[0].numel() != len(self.mean):
            raise ValueError(f"x must have shape (N, ...) with {len(self.mean)} values per sample, "
                             f"got {tuple(x.shape)}")
        return ((x.flatten(1).double() - self.mean) @ self.components.T).to(x.dtype)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        self._fitted()
        tensor(z, "z", floating=True)
        if z.dim() != 2 or z.shape[1] != self.d:
            raise ValueError(f"z must have shape (N, {self.d}), got {tuple(z.shape)}")
        return (z.double() @ self.components + self.mean).to(z.dtype)
