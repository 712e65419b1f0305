"""lbdl_book.diagrams: the book's depiction convention (§4.1), drawn by hand or read off a model."""

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.patches import FancyBboxPatch, Rectangle
from torch import nn

from lbdl_book import diagrams
from lbdl_book.diagrams import Box, Repeat, Residual, Signal, describe, draw_stack, format_shape, layer_label
from lbdl_book.nn.activations import GELU, LeakyReLU, ReLU


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def boxes(fig):
    return [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]


# --- describe --------------------------------------------------------------------------

def test_describe_records_boxes_shapes_and_trainable_flags():
    model = nn.Sequential(nn.Linear(50, 25), ReLU(), nn.BatchNorm1d(25), nn.Dropout(0.2), nn.Linear(25, 2))
    items, shapes = describe(model, torch.randn(8, 50))
    assert items == [Signal("$X$"), Box("fully-conn", "", True), Box("relu"), Box("batchnorm", "", True),
                     Box("dropout", "p=0.2"), Box("fully-conn", "", True), Signal("$Y$")]
    assert shapes == [(50,), (25,), (25,), (25,), (25,), (2,), (2,)]
    # a frozen layer is drawn light: only parameters with requires_grad count as trainable
    model[0].requires_grad_(False)
    items, _ = describe(model, torch.randn(8, 50), input_name=None, output_name=None)
    assert [b.trainable for b in items] == [False, False, True, False, True]


def test_describe_collapses_repeated_runs_into_repeat_groups():
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(),
                          *[layer for _ in range(4) for layer in (nn.Linear(16, 16), nn.Tanh())],
                          nn.Linear(16, 1))
    items, shapes = describe(model, torch.randn(5, 3))
    fc, tanh = Box("fully-conn", "", True), Box("tanh")
    assert items == [Signal("$X$"), fc, tanh, Repeat([fc, tanh], 4, shapes=[(16,), (16,)]), fc, Signal("$Y$")]
    assert shapes == [(3,), (16,), (16,), (16,), (1,), (1,)]
    # without collapsing, every call is a box
    flat, flat_shapes = describe(model, torch.randn(5, 3), collapse=False)
    assert len(flat) == len(model) + 2 and len(flat_shapes) == len(flat)


def test_nested_repeats_and_shape_changes_break_runs():
    block = lambda: [nn.Conv2d(4, 4, 3, padding=1), nn.ReLU()]
    model = nn.Sequential(*block(), *block(), nn.MaxPool2d(1), *block(), *block(), nn.MaxPool2d(1),
                          nn.Conv2d(4, 8, 3, padding=1), nn.ReLU())
    items, _ = describe(model, torch.randn(1, 4, 8, 8), input_name=None, output_name=None)
    conv, relu = Box("conv-2d", "k=3 p=1", True), Box("relu")
    inner = Repeat([conv, relu], 2, shapes=[(4, 8, 8)] * 2)
    assert items == [Repeat([inner, Box("maxpool", "k=1")], 2, shapes=[(4, 8, 8)] * 2), conv, relu]


def test_shared_weights_are_not_drawn_as_copies():
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.act = nn.Linear(6, 6), nn.ReLU()

        def forward(self, x):
            return self.act(self.fc(self.act(self.fc(x))))

    items, _ = describe(Shared(), torch.randn(2, 6), input_name=None, output_name=None)
    assert items == [Box("fully-conn", "", True), Box("relu")] * 2       # the same fc twice: no ×2 frame


def test_call_order_atomic_blocks_and_tuple_outputs():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm, self.attention = nn.LayerNorm(8), nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            y = self.norm(x)
            return x + self.attention(y, y, y)[0]      # returns (output, weights): the first tensor counts

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(8, 3)                # registered first, called last
            self.embed = nn.Embedding(10, 8)
            self.block = Block()

        def forward(self, tokens):
            return self.head(self.block(self.embed(tokens)))

    tokens = torch.randint(0, 10, (2, 5))
    items, shapes = describe(Model(), tokens)
    assert [i.name for i in items] == ["$X$", "embed", "layernorm", "mha", "fully-conn", "$Y$"]
    assert items[3] == Box("mha", "H=2", True, 1.6)            # has a submodule: drawn taller
    assert shapes == [(5,), (5, 8), (5, 8), (5, 8), (5, 3), (5, 3)]
    items, _ = describe(Model(), tokens, atomic=(Block,), input_name=None, output_name=None)
    assert items == [Box("embed", "V=10", True), Box("block", "", True, 1.6), Box("fully-conn", "", True)]
    # without the batch dimension removed
    _, shapes = describe(Model(), tokens, batch_dim=False)
    assert shapes[0] == (2, 5) and shapes[-1] == (2, 5, 3)


def test_describe_leaves_the_model_as_it_was():
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout(0.5))
    model.train()
    model[2].eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    describe(model, 5 + 3 * torch.randn(16, 4))
    assert model.training and model[1].training and not model[2].training
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)        # batchnorm statistics untouched
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_layer_labels_show_non_default_hyper_parameters():
    assert layer_label(nn.Conv2d(3, 8, 5)) == ("conv-2d", "k=5")
    assert layer_label(nn.Conv2d(3, 8, (3, 1), stride=2, padding=1, dilation=2, bias=False)) == (
        "conv-2d", "k=3×1 s=2 p=1 d=2 bias=False")
    assert layer_label(nn.MaxPool2d(3, stride=2)) == ("maxpool", "k=3 s=2")
    assert layer_label(nn.MaxPool2d(2)) == ("maxpool", "k=2")
    assert layer_label(nn.Linear(3, 2, bias=False)) == ("fully-conn", "bias=False")
    assert layer_label(LeakyReLU()) == layer_label(nn.LeakyReLU()) == ("leaky-relu", "")
    assert layer_label(LeakyReLU(0.1)) == ("leaky-relu", "a=0.1")
    assert layer_label(GELU("tanh")) == ("gelu", "tanh approx.")
    assert layer_label(nn.Bilinear(2, 2, 2)) == ("bilinear", "")                  # fallback: the class name
    assert layer_label(nn.Linear(2, 2), {nn.Linear: lambda m: ("fc", f"{m.out_features}")}) == ("fc", "2")
    assert layer_label(nn.Linear(2, 2), {"Linear": lambda m: ("dense", "")}) == ("dense", "")


def test_the_book_components_are_drawn_like_their_torch_twins():
    from lbdl_book.nn.attention import MultiHeadAttention
    from lbdl_book.nn.conv import Conv1d, Conv2d
    from lbdl_book.nn.dropout import Dropout
    from lbdl_book.nn.embedding import Embedding
    from lbdl_book.nn.linear import Linear
    from lbdl_book.nn.norm import BatchNorm1d, BatchNorm2d, LayerNorm
    from lbdl_book.nn.pooling import AvgPool2d, MaxPool2d
    pairs = [(Linear(3, 2), nn.Linear(3, 2)), (Linear(3, 2, bias=False), nn.Linear(3, 2, bias=False)),
             (Conv2d(3, 8, 5), nn.Conv2d(3, 8, 5)), (Conv1d(2, 4, 3, stride=2, padding=1), nn.Conv1d(2, 4, 3, 2, 1)),
             (Conv2d(3, 8, (3, 1), stride=2, padding=1, dilation=2, bias=False),
              nn.Conv2d(3, 8, (3, 1), stride=2, padding=1, dilation=2, bias=False)),
             (MaxPool2d(2), nn.MaxPool2d(2)), (MaxPool2d(3, stride=2), nn.MaxPool2d(3, stride=2)),
             (AvgPool2d(2), nn.AvgPool2d(2)), (BatchNorm1d(4), nn.BatchNorm1d(4)), (BatchNorm2d(4), nn.BatchNorm2d(4)),
             (LayerNorm(4), nn.LayerNorm(4)), (Dropout(0.2), nn.Dropout(0.2)), (Embedding(10, 4), nn.Embedding(10, 4)),
             (MultiHeadAttention(8, 2), nn.MultiheadAttention(8, 2))]
    for ours, theirs in pairs:
        assert layer_label(ours) == layer_label(theirs), (ours, theirs)
    assert layer_label(MultiHeadAttention(8, 2)) == ("mha", "H=2")
    # our attention layer calls its W^O (a Linear) as a module: drawn as one box when atomic
    block = nn.Sequential(LayerNorm(8), MultiHeadAttention(8, 2))
    items, _ = describe(block, torch.randn(2, 5, 8), atomic=(MultiHeadAttention,), input_name=None, output_name=None)
    assert items == [Box("layernorm", "", True), Box("mha", "H=2", True, 1.6)]


# --- draw_stack ------------------------------------------------------------------------

def test_draw_stack_the_example_of_section_4_1():
    fig = draw_stack([Signal("$X$"), Repeat([Box("$f$", trainable=True)], "K"), Box("$g$", "$n=4$"), Signal("$Y$")],
                     shapes=["32×32", None, None, "4×4"])
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    assert texts(fig) == ["$X$", "32×32", "$f$", "$\\times K$", "$g$", "$n=4$", "$Y$", "4×4"]
    assert [matplotlib.colors.to_hex(b.get_facecolor()) for b in boxes(fig)] == [diagrams.DARK, diagrams.LIGHT]
    hyper = ax.texts[5]
    assert matplotlib.colors.to_hex(hyper.get_color()) == matplotlib.colors.to_hex(diagrams.BLUE)
    frames = [p for p in ax.patches if isinstance(p, Rectangle) and not isinstance(p, FancyBboxPatch)]
    assert len(frames) == 1 and frames[0].get_linestyle() not in ("-", "solid")      # dashed
    # the frame surrounds f and nothing else
    f_box = boxes(fig)[0].get_bbox()
    frame = frames[0].get_bbox()
    assert frame.x0 < f_box.x0 and frame.y0 < f_box.y0 and f_box.y1 < frame.y1
    assert frame.y0 > boxes(fig)[1].get_bbox().y1
    # the figure is sized to the stack: taller than wide, a few inches
    w, h = fig.get_size_inches()
    assert 1 < w < h < 4


def test_shapes_are_written_where_they_change():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10))
    fig = draw_stack(*describe(model, torch.randn(1, 1, 8, 8)))
    written = [s for s in texts(fig) if s.replace("×", "").isdigit()]
    # 1×8×8 beside X, 4×8×8 after the conv (not again after the relu), 4×4×4 after the pool,
    # 64 after the reshape, 10 beside Y only
    assert written == ["1×8×8", "4×8×8", "4×4×4", "64", "10"]


def test_residual_blocks_and_drawing_on_given_axes():
    block = Residual([Box("layernorm", trainable=True), Box("mha", "H=4", True, 1.6)])
    down = Residual([Box("conv-2d", "k=3 s=2 p=1", True)], shortcut=[Box("conv-2d", "k=1 s=2", True)])
    fig, ax = plt.subplots()
    assert draw_stack([Signal("$X$"), Repeat([block], "N"), down, Signal("$Y$")], ax=ax) is fig
    assert len(boxes(fig)) == 4
    assert texts(fig).count("$\\times N$") == 1
    # the frame of the repeat encloses the skip path of the residual inside it
    frame = [p for p in ax.patches if isinstance(p, Rectangle) and not isinstance(p, FancyBboxPatch)][0].get_bbox()
    ends = [v for p in ax.patches if type(p).__name__ == "FancyArrowPatch" for v in p._posA_posB]
    inside = [x for x, y in ends if frame.y0 <= y <= frame.y1]
    assert frame.x0 < min(inside) < min(b.get_bbox().x0 for b in boxes(fig)[:2])
    # the shortcut path of the second block runs left of its main path
    assert min(x for x, y in ends if y < frame.y0) < boxes(fig)[2].get_bbox().x0


def test_format_shape():
    assert format_shape((3, 224, 224)) == "3×224×224"
    assert format_shape(torch.Size([10])) == "10"
    assert format_shape(7) == "7" and format_shape("D×T") == "D×T" and format_shape(None) is None
    assert format_shape(()) == "scalar"
    with pytest.raises(TypeError, match="a shape must be a tuple of ints"):
        format_shape((2.5, 3))


def test_bad_arguments():
    with pytest.raises(ValueError, match="items must be a non-empty sequence"):
        draw_stack([])
    with pytest.raises(TypeError, match="items must contain only Box, Signal, Repeat, Residual, got str"):
        draw_stack(["relu"])
    with pytest.raises(ValueError, match="shapes must be None or a sequence of 2 shapes"):
        draw_stack([Box("a"), Box("b")], shapes=[(1,)])
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes or None, got str"):
        draw_stack([Box("a")], ax="left")
    with pytest.raises(ValueError, match="Box name must be a non-empty str, got ''"):
        Box("")
    with pytest.raises(TypeError, match="Box trainable must be a bool, got 1"):
        Box("a", trainable=1)
    with pytest.raises(ValueError, match=r"Box height must be a number in \(0, 10\], got 0"):
        Box("a", height=0)
    with pytest.raises(ValueError, match="Repeat times must be a positive int or a non-empty str, got 0"):
        Repeat([Box("a")], 0)
    with pytest.raises(ValueError, match="Repeat items must be a non-empty sequence"):
        Repeat([], 2)
    with pytest.raises(TypeError, match="Repeat items must contain only Box, Repeat, Residual, got Signal"):
        Repeat([Signal("X")], 2)
    with pytest.raises(TypeError, match="Residual shortcut must contain only Box items"):
        Residual([Box("a")], shortcut=[Repeat([Box("b")], 2)])
    with pytest.raises(TypeError, match="module must be a torch.nn.Module, got str"):
        describe("model", torch.randn(1))
    with pytest.raises(TypeError, match="example_input must be a tensor or a non-empty tuple of arguments, got list"):
        describe(nn.ReLU(), [1.0])
    with pytest.raises(TypeError, match="atomic must be a tuple of module classes"):
        describe(nn.ReLU(), torch.randn(1), atomic=nn.ReLU)
    with pytest.raises(ValueError, match="input_name must be a non-empty str"):
        describe(nn.ReLU(), torch.randn(1), input_name="")


def test_a_stack_without_signals_gets_arrows_in_and_out():
    fig = draw_stack([Box("fully-conn", trainable=True), Box("relu")], shapes=[(25,), (25,)])
    arrows = [p for p in fig.axes[0].patches if type(p).__name__ == "FancyArrowPatch"]
    ys = sorted(y for p in arrows for _, y in p._posA_posB)
    boxes_y = [b.get_bbox() for b in boxes(fig)]
    assert len(arrows) == 3                                   # into the first, between, out of the last
    assert ys[0] < min(b.y0 for b in boxes_y) and ys[-1] > max(b.y1 for b in boxes_y)
    assert texts(fig) == ["fully-conn", "25", "relu"]        # 25 written once, after the first layer
