"""Chapter 3, §3.3: gradient descent."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # Figure 3.2
    "gd_w1": ("$w_1$", "$w_1$"),
    "gd_w2": ("$w_2$", "$w_2$"),
    "gd_gradient_title": ("the gradient is orthogonal to the level lines",
                          "梯度与等值线正交"),
    "gd_trajectory_title": ("gradient descent from random starting points",
                            "从随机起点出发的梯度下降"),
    "gd_orthogonality": ("level lines vs autograd gradients: median |cos| = {median:.4f}, "
                         "99th percentile {p99:.4f} ({count} segments); largest |cos| / (h‖H‖/‖∇L‖) = {worst:.2f}",
                         "等值线与自动微分梯度：|cos| 的中位数 = {median:.4f}，"
                         "99% 分位数 {p99:.4f}（共 {count} 段）；|cos| / (h‖H‖/‖∇L‖) 的最大值 = {worst:.2f}"),
    "gd_steepest": ("steepest of 3,600 directions vs −∇L: largest angle {angle:.2f}° over {count} points",
                    "3,600 个方向中下降最快者与 −∇L 的夹角：{count} 个点中最大 {angle:.2f}°"),
    "gd_step_lengths": ("mean step length: first 20 steps {early:.4f}, last 100 steps {late:.4f}",
                        "平均步长：前 20 步 {early:.4f}，最后 100 步 {late:.4f}"),
    # learning rate
    "gd_lr_slider": ("learning rate $\\eta$ ($2/\\lambda_{{\\max}}$ = {critical:g})",
                     "学习率 $\\eta$（$2/\\lambda_{{\\max}}$ = {critical:g}）"),
    "gd_lr_title": ("$\\eta$ = {lr:g} = {ratio:.2f} × $2/\\lambda_{{\\max}}$: {regime}",
                    "$\\eta$ = {lr:g} = {ratio:.2f} × $2/\\lambda_{{\\max}}$：{regime}"),
    "gd_regime_slow": ("slow", "缓慢"),
    "gd_regime_fast": ("fast", "快速"),
    "gd_regime_zigzag": ("overshoots, converges slowly", "来回越过谷底，收敛缓慢"),
    "gd_regime_diverges": ("diverges", "发散"),
    "gd_loss_log": ("loss $\\mathcal{{L}}(w_n)$ (log scale)", "损失 $\\mathcal{{L}}(w_n)$（对数坐标）"),
    "gd_threshold": ("divergence threshold found by bisection: η = {measured:.4f}; 2/λ_max = {predicted:.4f} "
                     "(the 300-step test flags divergence from η = {flagged:.4f})",
                     "二分法测得的发散阈值：η = {measured:.4f}；2/λ_max = {predicted:.4f}"
                     "（300 步的判据从 η = {flagged:.4f} 起判为发散）"),
    # local minima
    "gd_basins": ("narrow well: local minimum at w = {w:.4f}, loss {loss:.3f}, curvature λ = {local:.1f}, "
                  "so 2/λ = {critical:.4f}; global minimum w = 0: curvature {glob:.1f}; ridge between them at w = {barrier:.3f}",
                  "窄井：局部极小值点 w = {w:.4f}，损失 {loss:.3f}，曲率 λ = {local:.1f}，故 2/λ = {critical:.4f}；"
                  "全局最小值点 w = 0：曲率 {glob:.1f}；两者之间的山脊位于 w = {barrier:.3f}"),
    "gd_basins_row": ("η = {lr:<5g} runs that end in the narrow well: {trapped} of {count}",
                      "η = {lr:<5g} 最终落在窄井里的运行：{count} 次中有 {trapped} 次"),
    "gd_basins_label": ("$\\eta$ = {lr:g}", "$\\eta$ = {lr:g}"),
    "gd_w": ("$w$", "$w$"),
    "gd_start": ("starting point $w_0$", "起点 $w_0$"),
    "gd_final_loss": ("loss after 200 steps", "200 步后的损失"),
    # stochastic gradient descent
    "gd_eq32": ("Eq. 3.2: |mean of the {n} per-sample gradients − ∇L| = {error:.1e} (|∇L| = {norm:.2f})",
                "式 3.2：|{n} 个逐样本梯度的平均 − ∇L| = {error:.1e}（|∇L| = {norm:.2f}）"),
    "gd_noise_axis": ("error of the mini-batch gradient (RMS)", "小批量梯度的误差（均方根）"),
    "gd_noise_measured": ("measured over {k} mini-batches", "{k} 个小批量上的实测值"),
    "gd_noise_theory": ("$\\sigma\\sqrt{{(N-B)/(B(N-1))}}$", "$\\sigma\\sqrt{{(N-B)/(B(N-1))}}$"),
    "gd_noise_averaged": ("RMS error / $\\sqrt{{{k}}}$", "均方根误差 / $\\sqrt{{{k}}}$"),
    "gd_noise_bias": ("bias: |mean of the {k} estimates − ∇L|", "偏差：|{k} 个估计的平均 − ∇L|"),
    "gd_noise_row": ("B = {B:<4d} RMS error {rms:.3f} (theory {theory:.3f}), |mean − ∇L| = {bias:.4f}",
                     "B = {B:<4d} 均方根误差 {rms:.3f}（理论值 {theory:.3f}），|平均 − ∇L| = {bias:.4f}"),
    "gd_epochs_axis": ("per-sample gradients computed, in epochs ($N$ = {n})",
                       "已计算的逐样本梯度数，以轮次计（$N$ = {n}）"),
    "gd_excess_loss": ("$\\mathcal{{L}}(w) - \\mathcal{{L}}(w^*)$ (log scale)", "$\\mathcal{{L}}(w) - \\mathcal{{L}}(w^*)$（对数坐标）"),
    "gd_full_batch": ("gradient descent, $B = N$, $\\eta$ = {lr:.2f}", "梯度下降，$B = N$，$\\eta$ = {lr:.2f}"),
    "gd_sgd_batch": ("SGD, $B$ = {B}, $\\eta$ = {lr:.2f}", "SGD，$B$ = {B}，$\\eta$ = {lr:.2f}"),
    "gd_compute_row": ("{name:<9} steps {steps:>5}  excess loss after 1 epoch {one:.2e}, after {epochs} epochs {end:.2e}",
                       "{name:<9} 步数 {steps:>5}  1 轮后超额损失 {one:.2e}，{epochs} 轮后 {end:.2e}"),
    # Adam
    "gd_adam_vs_torch": ("our Adam vs torch.optim.Adam, {steps} steps: largest parameter difference {diff:.1e}; "
                         "weight_decay = λ vs the penalty (λ/2)‖w‖² in the loss: {penalty:.1e}",
                         "本书的 Adam 与 torch.optim.Adam 对照 {steps} 步：参数的最大差异 {diff:.1e}；"
                         "weight_decay = λ 与损失中的惩罚项 (λ/2)‖w‖² 对照：{penalty:.1e}"),
    "gd_axis_aligned": ("steep axis along $w_1$", "陡峭方向沿 $w_1$ 轴"),
    "gd_rotated": ("the same bowl rotated by 45°", "同一个碗旋转 45°"),
    "gd_gd_label": ("gradient descent, $\\eta$ = {lr:.4f}", "梯度下降，$\\eta$ = {lr:.4f}"),
    "gd_adam_label": ("Adam, $\\eta$ = {lr:g}", "Adam，$\\eta$ = {lr:g}"),
    "gd_adam_rotated_label": ("Adam, rotated bowl", "Adam，旋转后的碗"),
    "gd_check_claim": ("Figure 3.2, the threshold 2/λ_max, local minima, Eq. 3.2, SGD at equal compute, "
                       "Adam = torch.optim.Adam",
                       "图 3.2、阈值 2/λ_max、局部极小值、式 3.2、等计算量下的 SGD、Adam 与 torch.optim.Adam 一致"),
    "gd_steps_to": ("steps to divide the loss by 10⁴: gradient descent {gd}, Adam {adam}, Adam on the rotated bowl {adam_rot}",
                    "损失降到 1/10⁴ 所需步数：梯度下降 {gd}，Adam {adam}，旋转后的碗上的 Adam {adam_rot}"),
}
