"""The small CLIP of §6.6 (lbdl_book.models.clip): the loss against the formula written
out term by term, the invariances of the embeddings, shapes, parameter counts, the
tokenizer, zero-shot and retrieval measures on hand-made cases, bad inputs."""

import math

import pytest
import torch

from lbdl_book.data.scenes import generate_scenes
from lbdl_book.models import clip as C
from lbdl_book.models import gpt

U64 = 2.0 ** -53
U32 = 2.0 ** -24


def tiny(**options) -> C.CLIP:
    torch.manual_seed(0)
    sizes = dict(context=8, image_size=16, image_channels=(4, 8), text_dim=8, text_layers=1, num_heads=2,
                 embed_dim=4)
    return C.CLIP(**{**sizes, **options})


def direct_loss(f: torch.Tensor, g: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """The loss of §6.6 with explicit loops: l_{m,n} = s · f(i_m)·g(t_n) / (|f(i_m)| |g(t_n)|);
    row m (image m against every text) must predict m, column n (text n against every
    image) must predict n; the 2N cross-entropies are averaged."""
    n = len(f)
    l = [[s * sum(f[m, e] * g[k, e] for e in range(f.shape[1])) / (f[m].norm() * g[k].norm())
          for k in range(n)] for m in range(n)]
    total = 0
    for m in range(n):                                   # image m: softmax over the texts n
        total = total - l[m][m] + torch.log(sum(torch.exp(l[m][k]) for k in range(n)))
    for k in range(n):                                   # text n: softmax over the images m
        total = total - l[k][k] + torch.log(sum(torch.exp(l[m][k]) for m in range(n)))
    return total / (2 * n)


@pytest.mark.parametrize("n, e, s", [(1, 3, 2.0), (5, 4, 1.0), (7, 3, 14.3)])
def test_loss_equals_the_formula_values_and_gradients_in_float64(n, e, s):
    torch.manual_seed(n)
    f = torch.randn(n, e, dtype=torch.float64, requires_grad=True)
    g = torch.randn(n, e, dtype=torch.float64, requires_grad=True)
    scale = torch.tensor(s, dtype=torch.float64, requires_grad=True)
    ours = C.clip_loss(f, g, scale)
    ours.backward()
    grads = [f.grad.clone(), g.grad.clone(), scale.grad.clone()]
    for x in (f, g, scale):
        x.grad = None
    reference = direct_loss(f, g, scale)
    reference.backward()
    # Each logit is a dot product of e unit-vector terms times s (error ≲ e·u·s after the two
    # normalisations); each log-sum-exp adds ≲ n·u·max|l|; the loss averages them: 8(n + e)·u·(1 + s)
    # bounds both computations' rounding, and the gradients (of the same order of magnitude) likewise.
    bound = 8 * (n + e) * U64 * (1 + s)
    assert abs(ours.item() - reference.item()) <= bound
    for mine, theirs in zip(grads, (f.grad, g.grad, scale.grad)):
        assert (mine - theirs).abs().max().item() <= bound


def test_hand_made_losses():
    # All logits equal: every row and column is uniform over N, the loss is log N.
    assert C.contrastive_loss(torch.zeros(4, 4, dtype=torch.float64)).item() == pytest.approx(math.log(4), abs=8 * U64)
    # A diagonal far above the rest: the loss goes to 0 (exp(-50) ~ 2e-22 per term).
    assert C.contrastive_loss(50 * torch.eye(3, dtype=torch.float64)).item() < 1e-20
    # Rows and columns play the same part: transposing the matrix leaves the loss unchanged.
    logits = torch.randn(5, 5, dtype=torch.float64)
    assert C.contrastive_loss(logits).item() == C.contrastive_loss(logits.T).item()
    # One-directional losses differ on an asymmetric matrix: the seeds' "n = m" version would
    # reward the wrong pairs; a matrix whose rows are right but columns wrong is penalised.
    rows_right = torch.tensor([[5.0, 0.0], [6.0, 7.0]], dtype=torch.float64)   # column 0 prefers row 1
    rows_only = torch.nn.functional.cross_entropy(rows_right, torch.arange(2))
    assert C.contrastive_loss(rows_right) > rows_only


def test_embeddings_are_unit_vectors_and_the_similarity_ignores_the_scale_of_the_features():
    model = tiny().double().eval()
    images = torch.rand(3, 3, 16, 16, dtype=torch.float64)
    tokens = torch.tensor([[2, 5, 1, 0], [3, 1, 0, 0], [4, 6, 7, 1]])
    with torch.no_grad():
        f, g = model.encode_image(images), model.encode_text(tokens)
    assert f.shape == (3, 4) and g.shape == (3, 4)
    # a norm of E = 4 squares: rounding error ≤ 4·E·u
    assert (f.norm(dim=1) - 1).abs().max() <= 4 * 4 * U64 and (g.norm(dim=1) - 1).abs().max() <= 4 * 4 * U64
    raw_f, raw_g = torch.randn(3, 4, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64)
    base = C.similarity_logits(raw_f, raw_g, 3.0)
    scaled = C.similarity_logits(raw_f * torch.tensor([[2.0], [1e-3], [7.0]], dtype=torch.float64), 5 * raw_g, 3.0)
    # cosines of 4-vectors, computed twice: each within ~8·E·u of the exact one, times s = 3
    assert (base - scaled).abs().max() <= 2 * 8 * 4 * U64 * 3
    assert base.abs().max() <= 3 * (1 + 8 * 4 * U64)             # |cosine| ≤ 1


def test_permuting_the_batch_permutes_the_matrix():
    model = tiny().double().eval()
    torch.manual_seed(1)
    images = torch.rand(4, 3, 16, 16, dtype=torch.float64)
    tokens = torch.tensor([[2, 5, 1, 0], [3, 1, 0, 0], [4, 6, 7, 1], [9, 1, 0, 0]])
    perm = torch.tensor([2, 0, 3, 1])
    with torch.no_grad():
        logits = model(images, tokens)
        permuted = model(images[perm], tokens[perm])
    assert logits.shape == (4, 4)
    # The same sums in another batch order: at most a reassociation of each sum of K ≤ 192
    # terms in each of the few (< 10) matrix products on the way, relative error ≤ 10·K·u, times s.
    bound = 10 * 192 * U64 * model.scale().item()
    assert (permuted - logits[perm][:, perm]).abs().max() <= bound


def test_the_text_embedding_is_read_at_eos_and_ignores_what_follows():
    model = tiny().double().eval()
    a = torch.tensor([[2, 5, 1, 0, 0, 0]])
    b = torch.tensor([[2, 5, 1, 7, 3, 4]])          # other tokens after <eos>: causal attention never sees them
    c = torch.tensor([[2, 6, 1, 0, 0, 0]])          # a different word before <eos>
    with torch.no_grad():
        ga, gb, gc = model.encode_text(a), model.encode_text(b), model.encode_text(c)
    # same operations on the same values up to the kernels' blocking: a few sums of ≤ 4·8 terms
    assert (ga - gb).abs().max() <= 10 * 32 * U64
    assert (ga - gc).abs().max() > 1e-3


def test_parameter_counts_are_exact():
    model = C.CLIP()
    counts = C.parameter_count(model)
    widths = (3, 16, 32, 64, 128)
    assert counts == {
        # CNN: 3×3 convolutions without bias, a BN (γ, β) per stage, the projection 128 → 32 with bias
        "image": sum(9 * a * b for a, b in zip(widths, widths[1:])) + 2 * sum(widths[1:]) + 128 * 32 + 32,
        "text": gpt.parameter_count(len(C.VOCABULARY), 12, 48, 2, hidden_dim=96),
        "projection": 48 * 32, "scale": 1}
    # CNN: 9·(3·16 + 16·32 + 32·64 + 64·128) = 97,200 + BN 480 + 4,128;
    # GPT: 42·48 + 12·48 + 2 × (9,504 + 9,456) + 96 (tied output layer: no more).
    assert counts["image"] == 101_808 and counts["text"] == 40_608
    assert sum(counts.values()) == sum(p.numel() for p in model.parameters()) == 143_953


def test_the_image_encoder_keeps_the_largest_response_wherever_it_is():
    """The global max pooling: moving an object by whole cells of the last map (2^(L−1)
    pixels), away from the borders, leaves the embedding unchanged up to rounding."""
    model = tiny(image_size=64, image_channels=(4, 8, 8)).double().eval()
    image = torch.zeros(1, 3, 64, 64, dtype=torch.float64)
    image[0, :, 20:26, 20:24] = torch.rand(3, 6, 4, dtype=torch.float64)
    # 2 and 1 cells of the 16 × 16 map (4 px each); the receptive field (18 px) never reaches the borders
    moved = torch.roll(image, shifts=(8, 4), dims=(2, 3))
    with torch.no_grad():
        a, b = model.encode_image(image), model.encode_image(moved)
    # the same sums of ≤ 9·8 terms on the same values: bitwise equal or within a few ulps
    assert (a - b).abs().max() <= 4 * 72 * U64
    assert a.shape == (1, 4)


def test_large_batches_are_encoded_in_chunks_with_the_same_result():
    model = tiny().double().eval()
    images = torch.rand(600, 3, 16, 16, dtype=torch.float64)
    with torch.no_grad():
        chunked = model.encode_image(images)                          # 256 + 256 + 88 images
        whole = torch.nn.functional.normalize(model.image_encoder(images), dim=-1)
    # every layer treats each image on its own in eval mode: the same sums (≤ 9·8 terms), whatever the batch
    assert chunked.shape == (600, 4) and (chunked - whole).abs().max() <= 4 * 72 * U64


def test_tokenizer_round_trips_the_captions_of_both_languages():
    tokenizer = C.CaptionTokenizer()
    scenes = generate_scenes(300, seed=5)
    for lang in ("en", "zh"):
        texts = C.captions_of(scenes, lang)
        tokens = tokenizer.encode(texts)
        assert tokens.shape[1] <= C.CLIP().text_encoder.context
        assert ((tokens == 1).sum(1) == 1).all()                 # one <eos> per caption
        assert tokenizer.decode(tokens) == texts
    assert tokenizer.words("蓝色十字的左边有一个红色大圆盘") == ["蓝色", "十字", "的", "左边", "有一个", "红色", "大", "圆盘"]
    assert tokenizer.encode(["a red disc"], length=6).tolist() == [[2, 6, 11, 1, 0, 0]]
    with pytest.raises(ValueError, match="vocabulary"):
        tokenizer.encode(["a red dog"])
    with pytest.raises(ValueError, match="length"):
        tokenizer.encode(["a red disc"], length=3)


def test_zero_shot_probabilities_on_a_hand_made_case():
    images = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], dtype=torch.float64)
    classes = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    p = C.zero_shot_probabilities(images, classes, math.log(3))
    # cosines (1, 0), (0, 1), (1/√2, 1/√2): softmax of ln 3 · cos
    expected = torch.tensor([[0.75, 0.25], [0.25, 0.75], [0.5, 0.5]], dtype=torch.float64)
    assert (p - expected).abs().max() <= 16 * U64


def test_recall_at_k_on_a_hand_made_case():
    sim = torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.3, 0.8], [0.7, 0.6, 0.1]])
    # rank of the diagonal: 1 in row 0, 2 in row 1, 3 in row 2
    assert [C.recall_at_k(sim, k) for k in (1, 2, 3)] == [1 / 3, 2 / 3, 1.0]
    # columns (text → image): column 0 ranks row 0 first, column 1 ranks row 1 second, column 2 row 2 last
    assert [C.recall_at_k(sim.T, k) for k in (1, 2, 3)] == [1 / 3, 2 / 3, 1.0]
    # duplicated captions: row 2's caption equals row 0's, so column 0 is a hit for it too
    positives = torch.eye(3, dtype=torch.bool)
    positives[2, 0] = positives[0, 2] = True
    assert C.recall_at_k(sim, 1, positives) == 2 / 3


def test_held_out_pairs_and_single_object_labels():
    scenes = generate_scenes(200, seed=3, max_objects=1)
    labels = C.single_object_labels(scenes)
    assert labels.shape == (200, 3)
    expected = torch.tensor([(c, s) in C.HELD_OUT for c, s, _ in labels.tolist()])
    assert torch.equal(C.held_out_mask(scenes), expected)
    assert C.held_out_mask(scenes, pairs=[]).sum() == 0
    with pytest.raises(ValueError, match="one visible object"):
        C.single_object_labels(generate_scenes(50, seed=3, min_objects=2))
    assert C.object_prompts(0, 1) == ["a small red disc", "a large red disc"]
    assert C.object_prompts(4, 4, "zh") == ["一个紫色小十字", "一个紫色大十字"]
    assert len(C.object_prompts(None, 2)) == 10


def test_linear_probe_separates_separable_classes():
    torch.manual_seed(0)
    centres = torch.eye(3, 5) * 4
    labels = torch.arange(3).repeat(20)
    features = centres[labels] + 0.1 * torch.randn(60, 5)
    probe = C.linear_probe(features, labels, 3, epochs=100)
    assert torch.equal(probe(features).argmax(1), labels)


def test_class_embeddings_average_the_prompts():
    model = tiny(context=12, vocab_size=len(C.VOCABULARY)).double().eval()
    tokenizer = C.CaptionTokenizer()
    both = C.class_embeddings(model, tokenizer, [["a small red disc", "a large red disc"], ["a small blue cross"]])
    with torch.no_grad():
        each = model.encode_text(tokenizer.encode(["a small red disc", "a large red disc", "a small blue cross"]))
    mean = torch.nn.functional.normalize(each[:2].mean(0), dim=0)
    assert both.shape == (2, 4)
    assert (both[0] - mean).abs().max() <= 64 * U64 and (both[1] - each[2]).abs().max() <= 64 * U64


def test_bad_inputs():
    model = tiny()
    with pytest.raises(ValueError, match="eos"):
        model.encode_text(torch.tensor([[2, 3, 0]]))
    with pytest.raises(ValueError, match="tokens"):
        model.encode_text(torch.zeros(2, 9, dtype=torch.int64))            # longer than the context
    with pytest.raises(ValueError, match="text_features"):
        C.clip_loss(torch.randn(3, 4), torch.randn(2, 4))
    with pytest.raises(ValueError, match="logits"):
        C.contrastive_loss(torch.randn(2, 3))
    with pytest.raises(ValueError, match="scale"):
        C.similarity_logits(torch.randn(2, 4), torch.randn(2, 4), -1.0)
    with pytest.raises(ValueError, match="positives"):
        C.recall_at_k(torch.randn(2, 3), 1)
    with pytest.raises(ValueError, match="k"):
        C.recall_at_k(torch.randn(2, 2), 0)
    with pytest.raises(TypeError, match="clip"):
        C.PairTrainer(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="images"):
        model.encode_image(torch.rand(2, 3, 32, 32))                    # the model reads 16 × 16 images
    with pytest.raises(ValueError, match="image_size"):
        tiny(image_size=17)                                              # not a multiple of 2**(2 - 1)
    with pytest.raises(ValueError, match="image_channels"):
        tiny(image_channels=())


def test_the_pair_trainer_trains_both_encoders_through_fit():
    from lbdl_book.train import fit

    model = tiny(context=12, vocab_size=len(C.VOCABULARY))
    scenes = generate_scenes(16, size=16, seed=2)
    tokens = C.CaptionTokenizer().encode(C.captions_of(scenes), 12)
    before = [p.detach().clone() for p in (model.text_projection.weight, model.logit_scale)]
    trainer = C.PairTrainer(model)
    history = fit(trainer, trainer.loss, (scenes.images, tokens), epochs=2, lr=1e-2, batch_size=8,
                  optimizer="adam", progress=False)
    assert len(history["train_loss"]) == 2
    # Adam's first step moves every parameter with a non-zero gradient by about lr = 1e-2
    assert all((a - p).abs().max() > 1e-3 for a, p in zip(before, (model.text_projection.weight, model.logit_scale)))


def test_fused_and_book_computations_agree():
    """fused=True (default, PyTorch's kernels) and fused=False (the book's layers) compute the
    same logits from the same weights."""
    fast = tiny().double().eval()
    book = tiny(fused=False).double().eval()
    book.load_state_dict(fast.state_dict())
    images = torch.rand(3, 3, 16, 16, dtype=torch.float64)
    tokens = torch.tensor([[2, 5, 1, 0], [3, 1, 0, 0], [4, 6, 7, 1]])
    with torch.no_grad():
        a, b = fast(images, tokens), book(images, tokens)
    # the same sums in another order: each of the < 10 products of K ≤ 192 terms off by ≤ K·u, times s
    assert (a - b).abs().max() <= 10 * 192 * U64 * fast.scale().item()
