"""The plain and residual networks of He et al.'s depth study (§5.2.2, `depth_study_net`):
shapes, parameter counts, the plain/residual switch, equality with the same networks built
from torch.nn layers, errors.

Tolerances: as in test_models_resnet.py, the torch twin differs only in the order of the
floating-point sums, so the two agree within `_bounds.chain` of the reference, in float64.
"""

import copy

import pytest
import torch
from torch import nn

from _bounds import assert_within, chain, chain_sizes
from lbdl_book.models.resnet import BasicBlock, depth_study_net
from lbdl_book.nn.conv import Conv2d
from lbdl_book.nn.linear import Linear
from test_models_resnet import assert_same_as_torch_twin, randomize_batchnorm_


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("blocks", [1, 3, 5])
def test_depth_is_6n_plus_2_and_shapes(blocks):
    for residual in (False, True):
        model = depth_study_net(blocks, residual=residual)
        weight_layers = [m for name, m in model.named_modules()
                         if isinstance(m, (Conv2d, Linear)) and ".shortcut." not in name]
        assert len(weight_layers) == 6 * blocks + 2
        assert model(torch.randn(5, 1, 8, 8)).shape == (5, 10)


def test_parameter_counts():
    # conv 3x3 + BN for each of the two convolutions of a block: 9 C_in C_out + 9 C_out^2 + 4 C_out;
    # the residual version adds a 1x1 shortcut with its BN where the shape changes.
    assert count(BasicBlock(8, 8, residual=False)) == count(BasicBlock(8, 8)) == 2 * 9 * 64 + 4 * 8
    assert count(BasicBlock(4, 8, 2)) == count(BasicBlock(4, 8, 2, residual=False)) + 4 * 8 + 2 * 8
    plain, residual = depth_study_net(5, residual=False), depth_study_net(5, residual=True)
    assert count(residual) - count(plain) == (4 * 8 + 2 * 8) + (8 * 16 + 2 * 16)     # two shortcuts
    assert count(plain) == 29_574 and count(residual) == 29_782


def test_plain_and_residual_blocks_compute_their_equations():
    torch.manual_seed(0)
    block = BasicBlock(6, 6).eval()
    randomize_batchnorm_(block, seed=2)
    x = torch.randn(3, 6, 8, 8)
    with torch.no_grad():
        assert torch.equal(block(x), torch.relu(block.branch(x) + x))
        block.residual = False
        assert torch.equal(block(x), torch.relu(block.branch(x)))
    down = BasicBlock(4, 8, 2).eval()
    with torch.no_grad():
        y = torch.randn(2, 4, 8, 8)
        assert torch.equal(down(y), torch.relu(down.branch(y) + down.shortcut(y)))
        assert down(y).shape == (2, 8, 4, 4)
    assert BasicBlock(4, 8, 2, residual=False).shortcut is None


@pytest.mark.parametrize("residual", [False, True])
def test_equals_its_torch_twin_in_train_and_eval_mode(residual):
    torch.manual_seed(0)
    model = depth_study_net(2, residual=residual, channels=(4, 6, 8))
    randomize_batchnorm_(model, seed=1)
    x = torch.randn(4, 1, 8, 8)
    for train in (True, False):
        assert_same_as_torch_twin(copy.deepcopy(model), x, train)


def test_fused_and_book_paths_agree():
    torch.manual_seed(0)
    fast = depth_study_net(2, residual=True).to(torch.float64)
    book = depth_study_net(2, residual=True, fused=False).to(torch.float64)
    book.load_state_dict(fast.state_dict())
    x = torch.randn(4, 1, 8, 8, dtype=torch.float64)
    stages, terms = chain_sizes(book, x)
    reference = fast(x)
    assert_within(book(x), reference, chain(reference, stages=stages, terms=terms))


def test_errors():
    with pytest.raises(ValueError, match="blocks_per_stage"):
        depth_study_net(0, residual=True)
    with pytest.raises(TypeError, match="residual"):
        BasicBlock(4, 4, residual=1)
    with pytest.raises(ValueError, match="channels"):
        depth_study_net(1, residual=True, channels=())
    with pytest.raises(ValueError, match="BasicBlock expects"):
        BasicBlock(4, 4)(torch.randn(1, 3, 8, 8))
    with pytest.raises(ValueError, match="x must have shape"):
        depth_study_net(1, residual=False)(torch.randn(2, 1, 7, 7))
    with pytest.raises(TypeError, match="dtype"):
        depth_study_net(1, residual=False)(torch.randn(2, 1, 8, 8, dtype=torch.float64))
