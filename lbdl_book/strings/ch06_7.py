"""§6.7 Reinforcement learning (rl_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # the gridworld
    "rl_grid": ("the gridworld (S start, G goal +1, P pit −1, # wall):\n{layout}\n{states} states, actions: {actions}; "
                "γ = {gamma}",
                "网格世界（S 起点，G 终点 +1，P 陷阱 −1，# 墙）：\n{layout}\n共 {states} 个状态，动作：{actions}；"
                "γ = {gamma}"),
    "rl_agree": ("largest gap between Q-learning and value iteration: {gap:.1e}; V*(start) = {start:.4f} "
                 "({moves} moves to the goal)",
                 "Q 学习与价值迭代之间的最大差距：{gap:.1e}；V*(起点) = {start:.4f}（离终点 {moves} 步）"),
    "rl_dir_up": ("up", "上"),
    "rl_dir_right": ("right", "右"),
    "rl_dir_down": ("down", "下"),
    "rl_dir_left": ("left", "左"),
    "rl_vi": ("value iteration (from the tables)", "价值迭代（由转移表求解）"),
    "rl_ql": ("Q-learning (from played transitions)", "Q 学习（由交互得到的转移）"),
    "rl_goal": ("goal", "终点"),
    "rl_pit": ("pit", "陷阱"),
    # Catch
    "rl_episode": ("the paddle stood still: reward {reward:+.0f} (the ball drifted {speed:+d} column per step); "
                   "{starts} possible starts",
                   "球拍一动不动：奖励 {reward:+.0f}（球每步横向移动 {speed:+d} 列）；共有 {starts} 种开局"),
    "rl_params": ("{params:,} parameters; output for one state: {shape}", "参数 {params:,} 个；一个状态的输出形状：{shape}"),
    "rl_live": ("live run: {steps} steps ({episodes} episodes) in {seconds:.1f} s; greedy agent wins {wins} of the "
                "{games} starts; mean loss of the last 100 steps {loss:.3f}",
                "现场训练：{steps} 步（{episodes} 个回合），用时 {seconds:.1f} 秒；贪婪智能体在 {games} 种开局中赢 {wins} 局；"
                "最后 100 步的平均损失 {loss:.3f}"),
    "rl_shipped": ("shipped weights: {steps:,} steps ({episodes:,} episodes), {seconds:.0f} s on {device}",
                   "随包提供的权重：{steps:,} 步（{episodes:,} 个回合），在 {device} 上用时 {seconds:.0f} 秒"),
    "rl_win_rate": ("the shipped agent wins {wins} of the {games} starts ({rate:.1%}); a paddle that never moves "
                    "wins {stay}",
                    "随包权重的智能体在 {games} 种开局中赢 {wins} 局（{rate:.1%}）；一动不动的球拍赢 {stay} 局"),
    "rl_step": ("environment step", "环境步数"),
    "rl_win_share": ("share of episodes won", "获胜回合的比例"),
    "rl_live_title": ("live run (50-episode windows)", "现场训练（每 50 个回合平均）"),
    "rl_shipped_title": ("full run (200-episode windows)", "完整训练（每 200 个回合平均）"),
    # Figure 6.5 and the demo
    "rl_greedy": ("the agent plays", "智能体自己玩"),
    "rl_pushed": ("paddle pushed left for 4 steps", "球拍先被推向左边 4 步"),
    "rl_ideal": ("±γ^(8 − t), γ = {gamma}", "±γ^(8 − t)，γ = {gamma}"),
    "rl_event_bounce": ("the ball has bounced off the left wall (no change: the network saw it coming)",
                        "球已从左墙反弹（价值不变：网络早已预见）"),
    "rl_event_lost": ("the pushed paddle can no longer reach the ball: the value drops",
                      "被推开的球拍再也赶不上球：价值随之下跌"),
    "rl_event_catch": ("last step before the catch: V close to 1, the reward is one step away",
                       "接住球前的最后一步：V 接近 1，奖励只差一步"),
    "rl_event_miss": ("last step before the miss: V below zero", "漏接前的最后一步：V 已低于零"),
    "rl_frame_age": ("t − {age}", "t − {age}"),
    "rl_action_0": ("left", "左移"),
    "rl_action_1": ("stay", "不动"),
    "rl_action_2": ("right", "右移"),
    "rl_step_title": ("pushed game, t = {t}: V(S_t) = {v:+.2f}", "被推开的一局，t = {t}：V(S_t) = {v:+.2f}"),
    "rl_checked": ("Q-learning reaches Q* of value iteration; the shipped DQN wins at least 90% of Catch's starts; "
                   "V(S_t) follows γ^(8 − t) in a won game, and drops at the step where a catch becomes impossible",
                   "Q 学习得到与价值迭代相同的 Q*；随包权重的 DQN 在 Catch 的开局中至少赢 90%；"
                   "赢下的一局里 V(S_t) 随 γ^(8 − t) 上升；接球变得不可能的那一步，V 随即下跌"),
    # exercises
    "rl_slip": ("greedy actions that change with slip = 0.2 ((row, column) before → after): {changed}\n"
                "V*(start): {before:.3f} → {start:.3f}",
                "slip = 0.2 时改变的贪婪动作，格式为“(行, 列) 之前 → 之后”：{changed}\nV*(起点)：{before:.3f} → {start:.3f}"),
    "rl_markov": ("same first image: {same}; the ball lands in column {left} (drifting left) and {right} "
                  "(drifting right)",
                  "第一帧完全相同：{same}；球分别落在第 {left} 列（向左漂移）和第 {right} 列（向右漂移）"),
    "rl_atari": ("2013 DQN: {small:,} parameters; 2015 (Nature) DQN: {nature:,} parameters",
                 "2013 年的 DQN：参数 {small:,} 个；2015 年（Nature）的 DQN：参数 {nature:,} 个"),
}
