"""§6.7: the gridworld and Catch (lbdl_book/data/games.py), value iteration, Q-learning
and DQN (lbdl_book/models/dqn.py); Gymnasium is the oracle for the Env interface and the
frame stacking, and CartPole-v1 is a second environment for the same agent."""

import math

import gymnasium                       # a pinned test dependency (requirements.txt): the oracle of the Env interface
import numpy as np
import pytest
import torch
from torch import nn

from lbdl_book.data.games import Catch, GridWorld
from lbdl_book.models.dqn import (FrameStack, QNetwork, ReplayMemory, dqn_loss, epsilon_greedy, play, q_learning,
                                  train_dqn, value_iteration, win_rate)
from lbdl_book.nn.activations import ReLU
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.linear import Linear


# --- Catch --------------------------------------------------------------------------------

def test_catch_passes_gymnasiums_env_checker():
    from gymnasium.utils.env_checker import check_env

    env = Catch()
    assert isinstance(env, gymnasium.Env)
    check_env(env, skip_render_check=False)
    assert env.observation_space.shape == (10, 8) and env.action_space.n == 3


def test_catch_is_deterministic_under_a_seed():
    def episode(seed):
        env = Catch()
        obs, info = env.reset(seed=seed)
        actions = np.random.default_rng(1).integers(3, size=9)
        out = [obs]
        for a in actions:
            obs, reward, terminated, truncated, info = env.step(int(a))
            out.append(obs * (1 + reward))
            if terminated:
                break
        return np.stack(out)

    assert np.array_equal(episode(7), episode(7))
    assert any(not np.array_equal(episode(7), episode(s)) for s in range(8, 12))


def _tracker(env, info):
    """The paddle moves towards where the ball will land (the game is known here)."""
    (row, col), speed = info["ball"], info["speed"]
    for _ in range(env.height - 1 - row):
        col += speed
        if not 0 <= col < env.width:
            speed, col = -speed, (-col if col < 0 else 2 * (env.width - 1) - col)
    target = min(max(col, 0), env.width - 2)
    return 1 + int(np.sign(target - info["paddle"]))


def test_catch_rewards_episode_length_and_every_start_is_winnable():
    env = Catch()
    for options in env.starts():
        obs, info = env.reset(options=options)
        assert obs.dtype == np.float32 and (obs == Catch.BALL).sum() == 1 and (obs == Catch.PADDLE).sum() == 2
        for t in range(env.height - 1):
            obs, reward, terminated, truncated, info = env.step(_tracker(env, info))
            assert truncated is False and terminated == (t == env.height - 2)
            assert reward == (1.0 if terminated else 0.0)
    assert len(env.starts()) == 8 * 3 * 7
    # A paddle that never moves misses a ball that lands away from it: reward −1.
    env.reset(options={"ball": 0, "speed": 0, "paddle": 6})
    rewards = [env.step(1)[1] for _ in range(9)]
    assert rewards == [0.0] * 8 + [-1.0]


def test_catch_ball_bounces_off_the_walls():
    env = Catch()
    _, info = env.reset(options={"ball": 1, "speed": -1, "paddle": 0})
    columns = [env.step(1)[4]["ball"][1] for _ in range(4)]
    assert columns == [0, 1, 2, 3]


def test_catch_bad_inputs():
    env = Catch()
    with pytest.raises(ValueError, match="reset"):
        env.step(1)
    env.reset(seed=0)
    for action in (3, -1, 1.0, "left", None, True):
        with pytest.raises(ValueError, match="action"):
            env.step(action)
    for _ in range(9):
        env.step(1)
    with pytest.raises(ValueError, match="over"):
        env.step(1)
    with pytest.raises(ValueError, match="ball"):
        env.reset(options={"ball": 8})
    with pytest.raises(ValueError, match="options"):
        env.reset(options={"colour": 1})
    with pytest.raises(ValueError, match="height"):
        Catch(height=2)


def test_frame_stack_matches_gymnasiums_wrapper():
    from gymnasium.wrappers import FrameStackObservation

    ours, theirs = FrameStack(Catch(), 4), FrameStackObservation(Catch(), 4, padding_type="reset")
    a, _ = ours.reset(seed=3)
    b, _ = theirs.reset(seed=3)
    assert np.array_equal(a, np.asarray(b)) and a.shape == (4, 10, 8)
    for action in [0, 2, 2, 1, 0, 1, 2, 0, 1]:
        a, ra, ta, _, _ = ours.step(action)
        b, rb, tb, _, _ = theirs.step(action)
        assert np.array_equal(a, np.asarray(b)) and ra == rb and ta == tb


# --- tabular ------------------------------------------------------------------------------

def test_value_iteration_and_q_learning_reach_the_same_q_star():
    world, gamma = GridWorld(), 0.9
    q_star = value_iteration(world.transitions(), gamma)
    q = q_learning(world, gamma, episodes=2000, seed=0)
    # Deterministic moves and α = 1: Q-learning's updates are exact Bellman backups, so the two differ
    # by rounding only: each backup rounds at most twice (|Q| <= 1), and the errors contract by γ.
    bound = 4 * 2**-53 / (1 - gamma) + 1e-12             # + the stopping tolerance of value iteration
    assert np.abs(q - q_star).max() <= bound
    assert q_star.max() == pytest.approx(1.0) and q_star[world.start].max() == pytest.approx(gamma**5)


def test_value_iteration_solves_the_bellman_equation_with_slip():
    world, gamma = GridWorld(slip=0.2), 0.9
    P, R, terminal = world.transitions()
    assert np.allclose(P.sum(-1), np.where(terminal, 0, 1)[:, None], atol=1e-15)
    q_star = value_iteration((P, R, terminal), gamma, tol=1e-12)
    # Oracle: evaluate the greedy policy exactly by solving the linear system Q = R + γ P Π Q.
    pi = q_star.argmax(1)
    S, A = R.shape
    select = np.zeros((S, S * A))
    select[np.arange(S), np.arange(S) * A + pi] = ~terminal
    exact = np.linalg.solve(np.eye(S * A) - gamma * P.reshape(S * A, S) @ select, R.reshape(-1)).reshape(S, A)
    assert np.abs(exact - q_star).max() <= 1e-12 + 1e-12      # tol of value iteration + the solve's rounding


# --- DQN ----------------------------------------------------------------------------------

def test_q_network_shapes_parameters_and_fused_paths():
    net = QNetwork()
    x = torch.rand(5, 4, 10, 8)
    assert net(x).shape == (5, 3)
    assert sum(p.numel() for p in net.parameters()) == (4 * 16 * 9 + 16) + (16 * 32 * 9 + 32) + (640 * 128 + 128) \
        + (128 * 3 + 3)
    book = set_fused(QNetwork(), False)
    book.load_state_dict(net.state_dict())
    # Sums of at most 640 terms of magnitude O(1): a few hundred float32 roundings.
    assert torch.allclose(net(x), book(x), atol=640 * 2**-24 * 10, rtol=0)
    with pytest.raises(ValueError, match="shape"):
        net(torch.rand(5, 3, 10, 8))


def test_dqn_loss_is_eq_6_2_and_no_gradient_reaches_the_target_copy():
    torch.manual_seed(0)
    net = QNetwork()
    target = QNetwork()
    states, next_states = torch.rand(6, 4, 10, 8), torch.rand(6, 4, 10, 8)
    actions, rewards = torch.tensor([0, 1, 2, 2, 1, 0]), torch.tensor([0.0, 1, -1, 0, 0, 1])
    done = torch.tensor([False, True, True, False, False, True])
    loss = dqn_loss(net, target, states, actions, rewards, next_states, done, gamma=0.9)
    loss.backward()
    assert all(p.grad is None for p in target.parameters())
    with torch.no_grad():
        y = torch.where(done, rewards, rewards + 0.9 * target(next_states).max(1).values)
        manual = ((net(states)[torch.arange(6), actions] - y) ** 2).mean()
    assert torch.allclose(loss, manual, rtol=100 * 2**-24, atol=0)
    # The same network as its own target: the gradient is still only through Q(s_n, a_n; w).
    net.zero_grad()
    dqn_loss(net, net, states, actions, rewards, next_states, done, gamma=0.9).backward()
    grads = [p.grad.clone() for p in net.parameters()]
    net.zero_grad()
    with torch.no_grad():
        y = torch.where(done, rewards, rewards + 0.9 * net(next_states).max(1).values)
    ((net(states)[torch.arange(6), actions] - y) ** 2).mean().backward()
    assert all(torch.allclose(g, p.grad, rtol=1e-5, atol=1e-7) for g, p in zip(grads, net.parameters()))


def test_epsilon_greedy_and_replay_memory():
    net = QNetwork()
    state = torch.rand(4, 10, 8)
    assert epsilon_greedy(net, state, 0.0) == int(net(state[None]).argmax())
    g = torch.Generator().manual_seed(0)
    counts = np.bincount([epsilon_greedy(net, state, 1.0, g) for _ in range(3000)], minlength=3)
    # Uniform over 3 actions: each count is 1000 ± 4 standard deviations (sqrt(3000 · 1/3 · 2/3) ≈ 26).
    assert np.abs(counts - 1000).max() < 4 * math.sqrt(3000 * 2 / 9)
    memory = ReplayMemory(3, seed=0)
    for k in range(5):
        memory.push(torch.full((2,), float(k)), k % 3, float(k), torch.zeros(2), k == 4)
    assert len(memory) == 3
    states, actions, rewards, next_states, done = memory.sample(50)
    assert set(rewards.tolist()) == {2.0, 3.0, 4.0} and states.shape == (50, 2) and done.dtype == torch.bool
    with pytest.raises(ValueError, match="empty"):
        ReplayMemory(2).sample(1)


def test_the_same_agent_runs_on_gymnasiums_cartpole():
    env = gymnasium.make("CartPole-v1")
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Flatten(), Linear(4, 32), ReLU(), Linear(32, 2))
    before = [p.detach().clone() for p in mlp.parameters()]
    run = train_dqn(env, mlp, 400, stack=1, learn_start=100, target_every=50, seed=0, gamma=0.99)
    assert len(run.losses) == 301 and all(math.isfinite(x) for x in run.losses)
    assert len(run.returns) >= 1 and all(r >= 1 for r in run.returns)       # CartPole pays +1 per step alive
    assert any(not torch.equal(a, b) for a, b in zip(before, mlp.parameters()))
    episode = play(env, mlp, stack=1, seed=1)
    assert episode.q_values.shape == (len(episode.actions), 2)


def test_win_rate_counts_every_start_and_play_records_the_episode():
    losing = nn.Sequential(nn.Flatten(), Linear(320, 3))
    with torch.no_grad():
        losing[1].weight.zero_()
        losing[1].bias.copy_(torch.tensor([0.0, 1.0, 0.0]))            # always "stay"
    wins, games = win_rate(losing)
    # A paddle that stays wins the starts whose ball lands on its two columns: count them directly.
    env, expected = Catch(), 0
    for options in env.starts():
        env.reset(options=options)
        for _ in range(9):
            _, reward, *_ = env.step(1)
        expected += reward > 0
    assert games == 168 and wins == expected and 0 < wins < games
    episode = play(Catch(), losing, options={"ball": 0, "speed": 1, "paddle": 0}, forced={0: 2, 1: 2})
    assert episode.actions[:3] == [2, 2, 1] and episode.frames.shape == (10, 10, 8)
    assert episode.q_values.shape == (9, 3) and episode.rewards[:-1] == [0.0] * 8
