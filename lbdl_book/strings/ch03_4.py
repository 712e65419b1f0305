"""Chapter 3, §3.4 backpropagation."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    "bp_forward_pass": ("forward pass", "前向传播"),
    "bp_backward_pass": ("backward pass", "反向传递"),
    "bp_forward": ("forward", "前向"),
    "bp_backward": ("backward", "反向"),
    "bp_layer_d": ("layer $d$", "第 $d$ 层"),
    "bp_grad_activations": (r"$\|\nabla \ell_{{|x^{{(d)}}}}\|$ (activations)", r"$\|\nabla \ell_{{|x^{{(d)}}}}\|$（激活值）"),
    "bp_grad_weights": (r"$\|\nabla \ell_{{|W_d}}\|$ (weights)", r"$\|\nabla \ell_{{|W_d}}\|$（权重）"),
    "bp_gain": ("gain {gain:g}", "增益 {gain:g}"),
    "bp_gain_slider": ("initial gain $g$", "初始化增益 $g$"),
    "bp_activation_slider": ("activation", "激活函数"),
    "bp_norms_title": (r"{activation}, gain {gain:g}: $\|\nabla \ell_{{|x^{{(0)}}}}\| \,/\, \|\nabla \ell_{{|x^{{(D)}}}}\|$ = {ratio:.1e}",
                       r"{activation}，增益 {gain:g}：$\|\nabla \ell_{{|x^{{(0)}}}}\| \,/\, \|\nabla \ell_{{|x^{{(D)}}}}\|$ = {ratio:.1e}"),
    "bp_depth": ("depth $D$", "深度 $D$"),
    "bp_saved_mib": ("activations kept (MiB)", "保存的激活值（MiB）"),
    "bp_no_checkpointing": ("no checkpointing", "不用检查点"),
    "bp_checkpointing": (r"checkpointing, $\sqrt{{D}}$ segments", r"检查点，$\sqrt{{D}}$ 段"),
    "bp_time_ms": ("time (ms)", "时间（毫秒）"),
    "bp_plain_short": ("plain", "普通"),
    "bp_checkpointed_short": ("checkpointed", "检查点"),
    "bp_recompute": ("recomputation", "重新计算"),
    "bp_without_clipping": ("without clipping", "不裁剪"),
    "bp_with_clipping": ("clipped at τ = {tau:g}", "裁剪阈值 τ = {tau:g}"),
    "bp_grad_norm": (r"gradient norm $\|g\|$", r"梯度范数 $\|g\|$"),
    "bp_threshold": (r"threshold $\tau$", r"阈值 $\tau$"),
    # printed lines
    "bp_by_hand": ("loss {loss:.4f}; {count} parameter tensors; largest difference between the hand-written "
                   "and the autograd gradients: {error:.1e}",
                   "损失 {loss:.4f}；共 {count} 个参数张量；手写梯度与 autograd 梯度的最大差异：{error:.1e}"),
    "bp_wide_setup": ("{depth} layers of width {width}, batch of {batch}, on {device}",
                      "{depth} 层，宽度 {width}，批大小 {batch}，设备 {device}"),
    "bp_flops_line": ("matrix products: forward {forward:.2f} GFLOP, backward {backward:.2f} GFLOP, "
                      "ratio {ratio:.2f} = (2D - 1)/D",
                      "矩阵乘法：前向 {forward:.2f} GFLOP，反向 {backward:.2f} GFLOP，比值 {ratio:.2f} = (2D - 1)/D"),
    "bp_time_line": ("time: forward {forward:.1f} ms, backward {backward:.1f} ms, ratio {ratio:.2f}",
                     "时间：前向 {forward:.1f} 毫秒，反向 {backward:.1f} 毫秒，比值 {ratio:.2f}"),
    "bp_memory_line": ("kept at depth {depth}: {plain:.2f} MiB without checkpointing, {checkpointed:.2f} MiB with "
                       "{segments} segments; at inference: {inference} bytes",
                       "深度 {depth}：不用检查点保存 {plain:.2f} MiB，分 {segments} 段做检查点保存 {checkpointed:.2f} MiB；"
                       "推理时：{inference} 字节"),
    "bp_checkpoint_cost": ("checkpointing the wide perceptron in {segments} segments: {time:.2f}x the time "
                           "of forward + backward",
                           "把宽感知机分成 {segments} 段做检查点：前向加反向的时间是原来的 {time:.2f} 倍"),
    "bp_gain_line": ("gain {gain:g}: |grad x(0)| / |grad x(D)| = {ratio:.1e}; |grad W1| / |grad WD| = {spread:.1e}; "
                     "largest |grad Wd| = {largest:.1e}",
                     "增益 {gain:g}：|grad x(0)| / |grad x(D)| = {ratio:.1e}；|grad W1| / |grad WD| = {spread:.1e}；"
                     "最大的 |grad Wd| = {largest:.1e}"),
    "bp_clip_compare": ("norm before clipping: ours {ours:.4f}, PyTorch {theirs:.4f}; largest difference after "
                        "clipping {error:.1e}",
                        "裁剪前的范数：我们的 {ours:.4f}，PyTorch 的 {theirs:.4f}；裁剪后的最大差异 {error:.1e}"),
    "bp_runs_line": ("{name}: final losses {losses}, median {median:.3f}; saturated units {saturated:.0%}; "
                     "longest step {step:.2f}",
                     "{name}：最终损失 {losses}，中位数 {median:.3f}；饱和单元 {saturated:.0%}；最大步长 {step:.2f}"),
    "bp_constant_loss": ("loss of the best constant prediction: {loss:.3f}", "最优常数预测的损失：{loss:.3f}"),
    "bp_ex_memory": ("plain: {plain} bytes = 24 x {unit}; checkpointed: {saved} + {recomputed} bytes = (4 + 6) x {unit}",
                     "不用检查点：{plain} 字节 = 24 x {unit}；用检查点：{saved} + {recomputed} 字节 = (4 + 6) x {unit}"),
    "bp_ex_memory_gpt": ("96 layers of width 12,288 on 2,048 vectors: {gib:.0f} GiB",
                         "96 层、宽度 12,288、2,048 个向量：{gib:.0f} GiB"),
    "bp_ex_small_lr": ("no clipping, lr 0.003: median final loss {small:.3f}; clipped, lr 0.03: {clipped:.3f}",
                       "不裁剪、学习率 0.003：最终损失中位数 {small:.3f}；裁剪、学习率 0.03：{clipped:.3f}"),
    "bp_fd_row": ("h = {h:.0e}: largest |finite difference − backpropagation| = {error:.1e} "
                  "({relative:.1e} of the largest gradient component)",
                  "h = {h:.0e}：|有限差分 − 反向传播| 的最大值 = {error:.1e}（为最大梯度分量的 {relative:.1e}）"),
    "bp_fd_cost": ("{params} parameters: finite differences evaluate the model {evaluations} times, {fd:.1f} ms; "
                   "backpropagation {bp:.2f} ms; ratio {ratio:.0f}",
                   "{params} 个参数：有限差分要把模型计算 {evaluations} 次，用时 {fd:.1f} 毫秒；"
                   "反向传播 {bp:.2f} 毫秒；两者之比 {ratio:.0f}"),
    "bp_modes": ("P = {params} parameters, forward pass {flops:,} FLOP; whole gradient: forward mode {forward:.0f}x "
                 "that, reverse mode {reverse:.2f}x; largest difference between the two gradients {error:.1e}",
                 "P = {params} 个参数，前向传播 {flops:,} FLOP；求整个梯度：前向模式是它的 {forward:.0f} 倍，"
                 "反向模式是 {reverse:.2f} 倍；两种梯度的最大差异 {error:.1e}"),
    "bp_first_norms": ("gradient norm at the first step, without clipping: {norms}",
                       "不裁剪时第一步的梯度范数：{norms}"),
    "bp_check_claim": ("backward = autograd, time and memory costs, vanishing and exploding gradients, clipping",
                       "反向传递 = autograd，时间与内存开销，梯度消失与爆炸，梯度裁剪"),
}
