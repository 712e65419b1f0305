"""§7.1 Reinforcement learning from human feedback (rlhf_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    "rlhf_web": ("web", "网络文本"),
    "rlhf_demos": ("demonstrations", "示范"),
    "rlhf_examples": ("{name}: {examples}", "{name}：{examples}"),
    "rlhf_parts_head": ("right  polite  rude   words  digits  score s*",
                        "答对   礼貌    粗鲁   词数   数字数  得分 s*"),
    "rlhf_parts_row": ("{right:5.3f}  {polite:5.3f}  {rude:5.3f}  {length:4.2f}   {digits:4.2f}   {score:+.3f}   {name}",
                       "{right:5.3f}  {polite:5.3f}  {rude:5.3f}  {length:4.2f}   {digits:4.2f}   {score:+.3f}   {name}"),
    "rlhf_pretrained": ("pre-trained policy: {params:,} parameters, shipped weights (full run: {seconds:.0f} s of CPU), "
                        "validation loss {loss:.3f} nats/token",
                        "预训练策略：{params:,} 个参数，随书权重（完整训练：CPU 时间 {seconds:.0f} 秒），"
                        "验证损失 {loss:.3f} 奈特/词元"),
    "rlhf_pretrained_name": ("pre-trained", "预训练模型"),
    "rlhf_sft_name": ("SFT", "SFT 模型"),
    "rlhf_pairs": ("{n:,} rated pairs for training, {held:,} held out; the first answer won {first:.1%} of the time",
                   "训练用的评分答案对 {n:,} 组，留出 {held:,} 组；第一个答案胜出的比例为 {first:.1%}"),
    "rlhf_accuracy": ("held-out pair accuracy: reward model {rm:.3f}, hidden score s* {true:.3f} (the ceiling), "
                      "chance 0.5; standard error ≤ {se:.3f}",
                      "留出答案对上的准确率：奖励模型 {rm:.3f}，隐藏得分 s* {true:.3f}（上限），随机猜测 0.5；"
                      "标准误差 ≤ {se:.3f}"),
    "rlhf_run": ("β = {beta}: {seconds:.1f} s; {answers}", "β = {beta}：用时 {seconds:.1f} 秒；{answers}"),
    "rlhf_table_head": ("reward r  true s*          KL (nats)         right  polite  words  digits",
                        "奖励 r    真实得分 s*      KL（奈特）        答对   礼貌    词数   数字数"),
    "rlhf_table_row": ("{reward:+7.3f}  {true:+.3f} ± {true_se:.3f}  {kl:7.3f} ± {kl_se:.3f}  "
                       "{right:5.3f}  {polite:5.3f}  {length:4.2f}   {digits:4.2f}   {name}",
                       "{reward:+7.3f}  {true:+.3f} ± {true_se:.3f}  {kl:7.3f} ± {kl_se:.3f}  "
                       "{right:5.3f}  {polite:5.3f}  {length:4.2f}   {digits:4.2f}   {name}"),
    "rlhf_probe": ("{text:<28} reward model {reward:+7.3f}   hidden score {score:+.2f}",
                   "{text:<28} 奖励模型 {reward:+7.3f}   隐藏得分 {score:+.2f}"),
    "rlhf_ideal": ("mean reward of the best answers to the evaluation questions {ideal:+.3f} ± {ideal_se:.3f} "
                   "(hidden score 1.5); of the β = 0 policy's answers {hacked:+.3f} ± {hacked_se:.3f} "
                   "(hidden score {hacked_true:+.3f})",
                   "评估问题的最佳答案的平均奖励 {ideal:+.3f} ± {ideal_se:.3f}（隐藏得分 1.5）；"
                   "β = 0 策略的答案 {hacked:+.3f} ± {hacked_se:.3f}（隐藏得分 {hacked_true:+.3f}）"),
    "rlhf_checked": ("SFT fixes the answers, the reward model's held-out accuracy, reward and true score rising with a "
                     "KL held below 1.5 nats for β = 0.5, reward hacking without the penalty",
                     "SFT 改正了答案、奖励模型在留出数据上的准确率、β = 0.5 时奖励与真实得分上升而 KL 保持在 1.5 奈特以下、"
                     "无惩罚时的奖励投机"),
    # figure
    "rlhf_axis_step": ("step", "步数"),
    "rlhf_axis_reward": ("reward model's reward", "奖励模型给出的奖励"),
    "rlhf_axis_true": ("hidden score s*", "隐藏得分 s*"),
    "rlhf_axis_kl": ("KL from the SFT model (nats)", "与 SFT 模型的 KL（奈特）"),
    "rlhf_sft_line": ("SFT model", "SFT 模型"),
    # exercises
    "rlhf_ex_grad": ("autograd ∂L/∂(r_w, r_l): {grad}\nσ(r_l − r_w): {expected}",
                     "autograd 求得的 ∂L/∂(r_w, r_l)：{grad}\nσ(r_l − r_w)：{expected}"),
    "rlhf_ex_beta": ("β = {beta:>4}: π* = ({p}), E[r] = {reward:.3f}, KL = {kl:.3f} nats",
                     "β = {beta:>4}：π* = ({p})，E[r] = {reward:.3f}，KL = {kl:.3f} 奈特"),
    "rlhf_ex_offset": ("Bradley–Terry loss: {plain:.12f}; with 10·d added to the rewards: {shifted:.12f}",
                       "Bradley–Terry 损失：{plain:.12f}；奖励加上 10·d 之后：{shifted:.12f}"),
}
