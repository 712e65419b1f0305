"""The missing bits, autoencoders (lbdl_book/models/autoencoder.py): shapes and parameter
counts, the closed-form KL against torch.distributions (values and gradients), the
reparameterisation trick, the ELBO terms, PCA and the k-NN classifier against
scikit-learn, and the fused and book paths."""

import math

import pytest
import torch
from sklearn.decomposition import PCA as SklearnPCA
from sklearn.neighbors import KNeighborsClassifier

from lbdl_book.models.autoencoder import (PCA, VAE, Autoencoder, VAEOutput, add_noise, elbo_terms, gaussian_kl,
                                          knn_accuracy, negative_elbo, reparameterize)
from lbdl_book.nn.fused import set_fused

U64 = 2.0**-53          # float64 unit roundoff
U32 = 2.0**-24          # float32 unit roundoff


def linear_params(sizes):
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


# --- shapes and parameter counts ----------------------------------------------------------

def test_autoencoder_shapes_and_parameter_count():
    model = Autoencoder(2, (1, 8, 8), (128,))
    assert sum(p.numel() for p in model.parameters()) == 17_218 == linear_params((64, 128, 2)) + linear_params(
        (2, 128, 64))
    x = torch.rand(5, 1, 8, 8)
    z = model.encode(x)
    assert z.shape == (5, 2) and model.decode(z).shape == (5, 1, 8, 8) and model(x).shape == (5, 1, 8, 8)
    out = model(x)
    assert ((out > 0) & (out < 1)).all()
    deep = Autoencoder(3, (2, 4, 4), (16, 8))
    assert sum(p.numel() for p in deep.parameters()) == linear_params((32, 16, 8, 3)) + linear_params((3, 8, 16, 32))
    assert deep(torch.rand(2, 2, 4, 4)).shape == (2, 2, 4, 4)


def test_vae_shapes_parameter_count_and_samples():
    model = VAE(2, (1, 8, 8), (256,))
    assert sum(p.numel() for p in model.parameters()) == 34_884 == linear_params((64, 256, 4)) + linear_params(
        (2, 256, 64))
    x = torch.rand(6, 1, 8, 8)
    out = model(x)
    assert isinstance(out, VAEOutput)
    assert out.logits.shape == (6, 1, 8, 8) and out.mean.shape == out.logvar.shape == (6, 2)
    mean, logvar = model.encode(x)
    torch.testing.assert_close(mean, out.mean, rtol=0, atol=0)
    samples = model.sample(7, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (7, 1, 8, 8) and ((samples > 0) & (samples < 1)).all()
    again = model.sample(7, generator=torch.Generator().manual_seed(0))
    assert torch.equal(samples, again)


# --- the KL term: closed form against torch.distributions ---------------------------------

def test_gaussian_kl_matches_torch_distributions_values_and_gradients():
    torch.manual_seed(0)
    mean = (3 * torch.randn(200, 5, dtype=torch.float64)).requires_grad_()
    logvar = (2 * torch.randn(200, 5, dtype=torch.float64)).requires_grad_()
    ours = gaussian_kl(mean, logvar)
    q = torch.distributions.Normal(mean, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros_like(mean), torch.ones_like(mean))
    reference = torch.distributions.kl_divergence(q, p).sum(-1)
    # Each of the J = 5 terms involves a handful of roundings (exp, log, squares, a division in torch's
    # formula) of quantities of size ≲ μ² + σ² + |log σ²| + 1; the sums add J terms. 16·u per unit of size.
    scale = (mean**2 + logvar.exp() + logvar.abs() + 1).sum(-1).detach()
    assert ((ours - reference).abs().detach() <= 16 * U64 * scale).all()
    assert (ours >= 0).all()
    weights = torch.randn(200, dtype=torch.float64)
    g_ours = torch.autograd.grad((ours * weights).sum(), (mean, logvar))
    g_ref = torch.autograd.grad((reference * weights).sum(), (mean, logvar))
    for a, b, size in zip(g_ours, g_ref, (mean.abs(), logvar.exp() + 1)):
        # d/dμ = μ, d/dlogvar = (σ² − 1)/2, times a weight: a few roundings on terms of that size.
        bound = 16 * U64 * (size.detach() + 1) * weights.abs()[:, None]
        assert ((a - b).abs() <= bound).all()


def test_gaussian_kl_is_zero_at_the_prior_and_float32():
    assert gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)).eq(0).all()
    mean, logvar = torch.tensor([[1.0, -2.0]]), torch.tensor([[0.0, math.log(4.0)]])
    expected = 0.5 * ((1 + 1 - 1 - 0) + (4 + 4 - 1 - math.log(4.0)))
    assert abs(gaussian_kl(mean, logvar).item() - expected) <= 16 * U32 * 10


def test_the_slipped_kl_formula_is_minus_the_kl():
    """½ Σ (1 + log σ² − μ² − σ²), printed as "the KL" by some notes, is −KL: never positive."""
    torch.manual_seed(1)
    mean, logvar = 2 * torch.randn(1000, 3, dtype=torch.float64), 2 * torch.randn(1000, 3, dtype=torch.float64)
    slipped = 0.5 * (1 + logvar - mean**2 - logvar.exp()).sum(-1)
    scale = (mean**2 + logvar.exp() + logvar.abs() + 1).sum(-1)
    assert ((slipped + gaussian_kl(mean, logvar)).abs() <= 16 * U64 * scale).all()
    assert (slipped <= 0).all()


# --- the reparameterisation trick ---------------------------------------------------------

def test_reparameterize_gradients_and_statistics():
    mean = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    logvar = torch.tensor([0.0, math.log(9.0)], dtype=torch.float64, requires_grad=True)
    z = reparameterize(mean, logvar, torch.Generator().manual_seed(3))
    eps = torch.randn(2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    expected = mean.detach() + torch.exp(0.5 * logvar.detach()) * eps
    assert (z.detach() - expected).abs().max() <= 4 * U64 * (expected.abs().max() + 3 * eps.abs().max())
    z.sum().backward()
    assert torch.equal(mean.grad, torch.ones(2, dtype=torch.float64))                  # dz/dμ = 1, exactly
    dlogvar = 0.5 * torch.exp(0.5 * logvar.detach()) * eps                              # dz/dlogvar = σ ε / 2
    assert (logvar.grad - dlogvar).abs().max() <= 8 * U64 * dlogvar.abs().max()
    # many draws: mean μ and standard deviation σ, within 5 standard errors
    n = 200_000
    draws = reparameterize(torch.full((n,), 2.0, dtype=torch.float64), torch.full((n,), math.log(0.25), dtype=torch.float64),
                           torch.Generator().manual_seed(0))
    assert abs(draws.mean().item() - 2.0) < 5 * 0.5 / n**0.5
    assert abs(draws.std().item() - 0.5) < 5 * 0.5 / (2 * n) ** 0.5


# --- the ELBO terms -----------------------------------------------------------------------

def test_elbo_terms_match_bernoulli_log_prob_and_the_loss_is_their_mean():
    torch.manual_seed(2)
    logits = torch.randn(4, 1, 3, 3, dtype=torch.float64)
    x = (torch.rand(4, 1, 3, 3, dtype=torch.float64) > 0.5).double()
    mean, logvar = torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 2, dtype=torch.float64)
    output = VAEOutput(logits, mean, logvar)
    rec, kl = elbo_terms(output, x)
    log_prob = torch.distributions.Bernoulli(logits=logits).log_prob(x).flatten(1).sum(1)
    # 9 pixels per image, each −log p ≤ |logit| + log 2: a sum of 9 terms each off by a few roundings
    bound = 16 * U64 * (logits.abs() + 1).flatten(1).sum(1)
    assert ((rec + log_prob).abs() <= bound).all()
    assert torch.equal(kl, gaussian_kl(mean, logvar))
    assert torch.equal(negative_elbo(output, x), (rec + kl).mean())


def test_vae_training_step_lowers_the_loss():
    torch.manual_seed(0)
    model = VAE(2, (1, 4, 4), (16,))
    prototypes = torch.tensor([[1.0, 1, 0, 0], [0, 0, 1, 1]]).repeat_interleave(4, 1).view(2, 1, 4, 4)
    x = prototypes[torch.arange(64) % 2]                      # two black-and-white images, 32 copies each
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    first = negative_elbo(model(x, generator=torch.Generator().manual_seed(0)), x).item()
    for _ in range(100):
        loss = negative_elbo(model(x, generator=gen), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    # at the start the decoder knows nothing (≈ 16 log 2 = 11.1 nats); two images need about one bit of code
    assert first > 10 and negative_elbo(model(x, generator=torch.Generator().manual_seed(0)), x).item() < 0.5 * first


# --- fused and book paths -----------------------------------------------------------------

@pytest.mark.parametrize("cls", [Autoencoder, VAE])
def test_fused_and_book_paths_agree(cls):
    torch.manual_seed(0)
    fused = cls(3, (1, 8, 8), (32,)).double()
    book = cls(3, (1, 8, 8), (32,), fused=False).double()
    book.load_state_dict(fused.state_dict())
    assert book.encoder[0].fused is False and fused.encoder[0].fused is True
    x = torch.rand(5, 1, 8, 8, dtype=torch.float64)
    if cls is VAE:
        a, b = fused(x, torch.Generator().manual_seed(1)).logits, book(x, torch.Generator().manual_seed(1)).logits
    else:
        a, b = fused(x), book(x)
    # Rounding of the four linear layers (encoder, decoder): a dot product of n terms is off by at most n·u·Σ|terms|,
    # and the errors are carried on by the later layers' |W|. The same network with |W|, |b| run on |x| bounds every
    # Σ|terms|; with at most 64 terms per sum, 4 layers and the reparameterised draw (σ ≤ e^{|logvar|/2}, one more
    # layer of the same size), 8·64·u times that magnitude bounds the gap (the sigmoid's slope is at most 1/4).
    magnitude = cls(3, (1, 8, 8), (32,)).double()
    with torch.no_grad():
        for p_abs, p in zip(magnitude.parameters(), fused.parameters()):
            p_abs.copy_(p.abs())
        h = magnitude.encoder(x.flatten(1).abs())
        if cls is VAE:
            mean, logvar = h.chunk(2, dim=1)
            h = mean + torch.exp(0.5 * logvar) * 4                    # |μ| + σ |ε|, |ε| ≤ 4 here
        size = magnitude.decoder(h).abs().max()
    eps = torch.randn(5, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert eps.abs().max() <= 4
    assert (a - b).abs().max() <= 8 * 64 * U64 * size
    set_fused(book, True)
    assert book.decoder[0].fused is True


# --- PCA and the k-NN classifier against scikit-learn -------------------------------------

def test_pca_matches_scikit_learn_and_eckart_young():
    from lbdl_book.data.digits import load_digits

    x_train, _, x_test, _ = load_digits(dtype=torch.float64)
    ours = PCA(5).fit(x_train)
    theirs = SklearnPCA(5, svd_solver="full").fit(x_train.flatten(1).numpy())
    ref_codes = torch.from_numpy(theirs.transform(x_test.flatten(1).numpy()))
    codes = ours.encode(x_test)
    signs = torch.sign((codes * ref_codes).sum(0))                                  # components are up to a sign
    # projections of 64 values ≤ 1 on unit vectors: a sum of 64 terms, each ≲ 1; the SVDs of two libraries agree
    # to rounding times the conditioning of each component, 1/(gap between its singular value and the next)
    s = torch.linalg.svdvals(x_train.flatten(1) - x_train.flatten(1).mean(0))
    gap = (s[:5] - s[1:6]).min() / s[0]
    assert (codes * signs - ref_codes).abs().max() <= 64 * 64 * U64 * 8 / gap
    rebuilt = ours.decode(codes)
    assert (rebuilt - torch.from_numpy(theirs.inverse_transform(ref_codes.numpy()))).abs().max() <= 64 * 64 * U64 * 8 / gap
    # Eckart-Young: the training reconstruction error is the energy of the discarded singular values
    train_rebuilt = ours.decode(ours.encode(x_train))
    residual = ((train_rebuilt - x_train.flatten(1)) ** 2).sum()
    # both sides are sums of N·D squares, and the SVD is backward stable (errors ≲ u·‖X‖ per entry): n·u·Σ|terms|
    assert abs(residual - (s[5:] ** 2).sum()) <= 4 * x_train.numel() * U64 * (s ** 2).sum()


def test_knn_accuracy_matches_scikit_learn():
    torch.manual_seed(0)
    train, test = torch.randn(300, 3, dtype=torch.float64), torch.randn(120, 3, dtype=torch.float64)
    y_train = (train[:, 0] > 0).long() + 2 * (train[:, 1] > 0.3).long()
    y_test = (test[:, 0] > 0).long() + 2 * (test[:, 1] > 0.3).long()
    for k in (1, 4, 7):
        ref = KNeighborsClassifier(n_neighbors=k).fit(train.numpy(), y_train.numpy())
        expected = (torch.from_numpy(ref.predict(test.numpy())) == y_test).double().mean().item()
        assert knn_accuracy(train, y_train, test, y_test, k=k) == expected


def test_add_noise_is_seeded_and_has_the_right_scale():
    x = torch.zeros(200_000)
    a, b = add_noise(x, 0.4, seed=5), add_noise(x, 0.4, seed=5)
    assert torch.equal(a, b) and not torch.equal(a, add_noise(x, 0.4, seed=6))
    n = len(x)
    assert abs(a.std().item() - 0.4) < 5 * 0.4 / (2 * n) ** 0.5 and abs(a.mean().item()) < 5 * 0.4 / n**0.5


# --- bad inputs ---------------------------------------------------------------------------

def test_bad_inputs_are_named():
    model = Autoencoder(2)
    with pytest.raises(ValueError, match="x must have shape"):
        model(torch.rand(3, 64))
    with pytest.raises(TypeError, match="dtype"):
        model(torch.rand(3, 1, 8, 8, dtype=torch.float64))
    with pytest.raises(ValueError, match="z must have shape"):
        model.decode(torch.rand(3, 5))
    with pytest.raises(ValueError, match="latent_dim"):
        VAE(0)
    with pytest.raises(ValueError, match="image_shape"):
        Autoencoder(2, image_shape=(1, 0, 8))
    with pytest.raises(ValueError, match="logvar"):
        gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="x must hold values in"):
        elbo_terms(VAEOutput(torch.zeros(1, 4), torch.zeros(1, 2), torch.zeros(1, 2)), torch.full((1, 4), 2.0))
    with pytest.raises(ValueError, match="k must be at most"):
        knn_accuracy(torch.rand(3, 2), torch.zeros(3, dtype=torch.long), torch.rand(2, 2),
                     torch.zeros(2, dtype=torch.long), k=4)
    with pytest.raises(ValueError, match="not fitted"):
        PCA(2).encode(torch.rand(3, 4))
    with pytest.raises(ValueError, match="at most"):
        PCA(5).fit(torch.rand(4, 3))
    with pytest.raises(ValueError, match="sigma"):
        add_noise(torch.rand(3), -1.0)
