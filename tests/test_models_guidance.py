"""Conditioning and guidance (lbdl_book.models.guidance): the scene data and the judge,
the CLIP score and the guidance hook against their formulas, DDIM on a hand-made
denoiser whose answer is known exactly, the measures on hand-made cases, shapes,
parameter counts and bad inputs."""

import math

import pytest
import torch
import torch.nn.functional as F

from lbdl_book.data.scenes import COLOURS, SHAPES
from lbdl_book.models import clip as C
from lbdl_book.models import guidance as G
from lbdl_book.models.diffusion import NoiseSchedule, UNet, ddpm_sample, to_pixels

U32 = 2.0 ** -24


def tiny_clip() -> C.CLIP:
    torch.manual_seed(0)
    return C.CLIP(context=8, image_size=16, image_channels=(4, 8), text_dim=8, text_layers=1, num_heads=2,
                  embed_dim=4).eval()


def test_object_scenes_hold_one_large_object_and_are_seeded():
    images, colours, shapes = G.object_scenes(40, seed=3)
    assert images.shape == (40, 3, G.SIZE, G.SIZE) and images.min() >= 0 and images.max() <= 1
    assert colours.shape == shapes.shape == (40,)
    assert 0 <= colours.min() and colours.max() < len(COLOURS) and 0 <= shapes.min() and shapes.max() < len(SHAPES)
    again = G.object_scenes(40, seed=3)
    assert torch.equal(images, again[0]) and torch.equal(colours, again[1]) and torch.equal(shapes, again[2])
    # Each image shows its object's colour: the pixel closest to the palette colour is within the shade range.
    from lbdl_book.data.scenes import RGB
    for image, colour in zip(images[:10], colours[:10]):
        distance = (image - RGB[colour].view(3, 1, 1)).norm(dim=0)
        assert distance.min() < 0.2


def test_judge_shapes_parameters_and_loss():
    judge = G.SceneJudge()
    # conv 3×3 without bias + BN (2 per channel) per stage, then Linear(64, 9)
    expected = (9 * 3 * 16 + 2 * 16) + (9 * 16 * 32 + 2 * 32) + (9 * 32 * 64 + 2 * 64) + 64 * 9 + 9
    assert sum(p.numel() for p in judge.parameters()) == expected == 24_281
    logits = judge.eval()(torch.rand(5, 3, G.SIZE, G.SIZE))
    assert logits.shape == (5, len(COLOURS) + len(SHAPES))
    targets = torch.tensor([[0, 1], [4, 3], [2, 0], [1, 2], [3, 3]])
    direct = F.cross_entropy(logits[:, :5], targets[:, 0]) + F.cross_entropy(logits[:, 5:], targets[:, 1])
    assert torch.equal(G.judge_loss(logits, targets), direct)
    c, s, pc, ps = judge.read(torch.rand(5, 3, G.SIZE, G.SIZE))
    assert c.shape == s.shape == pc.shape == ps.shape == (5,) and (pc >= 1 / 5).all() and (ps >= 1 / 4).all()
    with pytest.raises(ValueError, match="images"):
        judge(torch.rand(2, 3, 16, 16))
    with pytest.raises(ValueError, match="size"):
        G.SceneJudge(size=30)


def test_scene_models_parameters():
    models = G.scene_models()
    assert sum(p.numel() for p in models.denoiser.parameters()) == 162_019
    assert sum(p.numel() for p in models.judge.parameters()) == 24_281
    assert models.denoiser(torch.randn(2, 3, G.SIZE, G.SIZE), torch.tensor([1, 50])).shape == (2, 3, G.SIZE, G.SIZE)
    assert G.scene_schedule().steps == 50
    with pytest.raises(TypeError, match="denoiser"):
        models(torch.randn(1, 3, 32, 32))


def test_match_rate_counts_what_the_judge_reads():
    judge = G.SceneJudge().eval()
    with torch.no_grad():                       # a judge that always answers colour 2, shape 1
        last = judge.body[-1]
        last.weight.zero_()
        last.bias.copy_(torch.tensor([0, 0, 5.0, 0, 0, 0, 5.0, 0, 0]))
    images = torch.rand(4, 3, G.SIZE, G.SIZE)
    rate = G.match_rate(judge, images, torch.tensor([2, 2, 0, 2]), torch.tensor([1, 0, 1, 3]))
    assert rate == {"colour": 0.75, "shape": 0.5, "both": 0.25, "n": 4}


def test_clip_scores_are_the_scaled_cosine_and_differentiable():
    model = tiny_clip()
    pixels = torch.rand(3, 3, 8, 8, requires_grad=True)
    g = F.normalize(torch.randn(3, 4), dim=-1)
    scores = G.clip_scores(model, pixels, g)
    up = F.interpolate(pixels, size=(16, 16), mode="bilinear", align_corners=False)
    direct = model.scale() * (F.normalize(model.image_encoder(up), dim=-1) * g).sum(1)
    assert torch.allclose(scores, direct, rtol=0, atol=64 * U32 * model.scale().item())
    scores.sum().backward()
    assert pixels.grad is not None and pixels.grad.abs().sum() > 0
    one = G.clip_scores(model, pixels.detach(), g[0])            # one prompt for every image
    assert torch.allclose(one, G.clip_scores(model, pixels.detach(), g[:1].expand(3, -1)), rtol=0, atol=0)
    with pytest.raises(ValueError, match="text_features"):
        G.clip_scores(model, pixels.detach(), torch.randn(2, 4))
    with pytest.raises(TypeError, match="clip_model"):
        G.clip_scores(torch.nn.Linear(2, 2), pixels.detach(), g)


def test_guidance_hook_is_strength_sigma2_gradient_at_x0():
    torch.manual_seed(1)
    denoiser = UNet((4, 8), in_channels=3, emb_dim=8, time_dim=8).eval()
    schedule = NoiseSchedule(25)
    model = tiny_clip()
    g = F.normalize(torch.randn(4), dim=0)
    wrapped, shift = G.clip_guidance(denoiser, schedule, model, g, 2.5)
    x, t = torch.randn(2, 3, 8, 8), 7
    with torch.no_grad():
        eps = wrapped(x, torch.full((2,), t), None)           # the sampler's call records ε̂
    got = shift(x, t)
    x0 = ((x - math.sqrt(1 - schedule.alpha_bars[t].item()) * eps) / math.sqrt(schedule.alpha_bars[t].item()))
    x0 = x0.requires_grad_(True)
    G.clip_scores(model, to_pixels(x0), g).sum().backward()
    expected = 2.5 * schedule.sigmas[t].item() ** 2 * x0.grad
    assert torch.allclose(got, expected, rtol=1e-4, atol=1e-6)
    _, zero = G.clip_guidance(denoiser, schedule, model, g, 0.0)
    assert torch.equal(zero(x, t), torch.zeros_like(x))
    _, late = G.clip_guidance(denoiser, schedule, model, g, 2.5, until=8)
    assert torch.equal(late(x, t), torch.zeros_like(x))       # t = 7 < until: no push
    _, early = G.clip_guidance(denoiser, schedule, model, g, 2.5, start=6)
    assert torch.equal(early(x, t), torch.zeros_like(x))      # t = 7 > start: no push
    wrapped_w, window = G.clip_guidance(denoiser, schedule, model, g, 2.5, until=7, start=7)
    with torch.no_grad():
        wrapped_w(x, torch.full((2,), t), None)
    assert torch.allclose(window(x, t), expected, rtol=1e-4, atol=1e-6)
    # In the sampler: strength 0 gives the unguided samples exactly (same generator).
    wrapped0, hook0 = G.clip_guidance(denoiser, schedule, model, g, 0.0)
    plain = ddpm_sample(denoiser, schedule, (2, 3, 8, 8), generator=torch.Generator().manual_seed(4))
    hooked = ddpm_sample(wrapped0, schedule, (2, 3, 8, 8), mean_shift=hook0, generator=torch.Generator().manual_seed(4))
    assert torch.equal(plain, hooked)
    with pytest.raises(ValueError, match="strength"):
        G.clip_guidance(denoiser, schedule, model, g, -1.0)


class _ExactDenoiser(torch.nn.Module):
    """The exact ε of a data distribution that is one point c: ε = (x − √ᾱ_t c)/√(1 − ᾱ_t)."""

    def __init__(self, schedule: NoiseSchedule, c: torch.Tensor):
        super().__init__()
        self.schedule, self.c = schedule, torch.nn.Parameter(c.clone(), requires_grad=False)

    def forward(self, x, t, labels=None):
        a = self.schedule.alpha_bars[t].view(-1, *([1] * (x.dim() - 1))).to(x)
        return (x - a.sqrt() * self.c) / (1 - a).sqrt()


@pytest.mark.parametrize("steps", [1, 5, 50])
def test_ddim_recovers_a_one_point_distribution_with_any_number_of_steps(steps):
    schedule = NoiseSchedule(50)
    c = torch.tensor([0.3, -0.7, 0.1])
    x = G.ddim_sample(_ExactDenoiser(schedule, c), schedule, (4, 3), steps,
                      generator=torch.Generator().manual_seed(0))
    # x̂_0 = c up to rounding; each step divides by √ᾱ_t ≥ e^{-5.1}: a float32 bound of
    # (|x| + |ε|)/√ᾱ_T · u per step, summed over the steps.
    bound = steps * 20 * math.exp(5.1) * U32
    assert (x - c).abs().max() <= bound


def test_ddim_is_deterministic_and_checks_steps():
    schedule = NoiseSchedule(25)
    torch.manual_seed(0)
    model = UNet((4, 8), in_channels=1, emb_dim=8, time_dim=8)
    noise = torch.randn(3, 1, 8, 8)
    a = G.ddim_sample(model, schedule, (3, 1, 8, 8), 4, noise=noise)
    assert torch.equal(a, G.ddim_sample(model, schedule, (3, 1, 8, 8), 4, noise=noise))
    with pytest.raises(ValueError, match="steps"):
        G.ddim_sample(model, schedule, (3, 1, 8, 8), 26)


def test_class_match_and_within_class_variance_on_hand_made_cases():
    class Fixed(torch.nn.Module):
        def forward(self, x):                   # logits favour class round(x[:, 0])
            return -10 * (torch.arange(3.0)[None] - x[:, :1]).abs()

    samples = torch.tensor([[0.0, 1.0], [1.0, 1.0], [2.0, 5.0], [1.0, 3.0]])
    labels = torch.tensor([0, 1, 1, 1])
    share, confidence = G.class_match(Fixed(), samples, labels)
    p = Fixed()(samples).softmax(1)
    assert share == 0.75 and math.isclose(confidence, p[torch.arange(4), labels].mean().item(), rel_tol=1e-6)
    # class 1: rows 1, 2, 3 → per-column variances (1/3·…): column 0 var([1,2,1]) = 1/3, column 1 var([1,5,3]) = 4
    assert math.isclose(G.within_class_variance(samples, labels), (1 / 3 + 4) / 2, rel_tol=1e-6)
    with pytest.raises(ValueError, match="labels"):
        G.within_class_variance(samples[:2], torch.tensor([0, 1]))
