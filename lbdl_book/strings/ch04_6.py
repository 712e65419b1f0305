"""§4.6 Normalizing layers."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # comparison with PyTorch
    "norm_vs_torch": ("largest relative difference with PyTorch — BatchNorm2d, 3 training steps: {bn_train:.1e} "
                      "(outputs and gradients), {bn_stats:.1e} (running estimates); evaluation step: {bn_eval:.1e}; "
                      "LayerNorm: {ln:.1e}",
                      "与 PyTorch 的最大相对差异——BatchNorm2d 训练 3 步：{bn_train:.1e}（输出与梯度），"
                      "{bn_stats:.1e}（滑动估计）；评估一步：{bn_eval:.1e}；LayerNorm：{ln:.1e}"),
    # Figure 4.9
    "norm_batch_norm": ("Batch normalization", "批量归一化"),
    "norm_layer_norm": ("Layer normalization", "层归一化"),
    "norm_axis_hw": ("$H, W$", "$H, W$"),
    "norm_group_error": ("largest difference between the layers and the groups of Figure 4.9 standardised one by "
                         "one: {error:.1e}",
                         "两个层的输出与把图 4.9 中各组逐一标准化的结果之间的最大差异：{error:.1e}"),
    # dependence on the batch
    "norm_batch_row": ("B = {size:>3}: spread of the output of sample 0 {spread:.3f}, mean distance to its "
                       "evaluation output {gap:.3f}; layer norm: spread {ln:g}",
                       "B = {size:>3}：样本 0 输出的波动 {spread:.3f}，与评估模式输出的平均距离 {gap:.3f}；"
                       "层归一化的波动 {ln:g}"),
    "norm_slope": ("slope of log(spread) against log(B), for B >= 16: {slope:.2f} (an average of B values: -0.5)",
                   "B >= 16 时 log(波动) 对 log(B) 的斜率：{slope:.2f}（B 个值的平均：-0.5）"),
    "norm_span": ("output of sample 0 in channel {d} over {repeats} batches of 4: its values span {span:.2f}",
                  "样本 0 在通道 {d} 的输出，在 {repeats} 个大小为 4 的批量中取值范围为 {span:.2f}"),
    "norm_batch_of": ("batches of {size}", "批量大小 {size}"),
    "norm_eval_output": ("evaluation mode", "评估模式"),
    "norm_output_of_sample": ("output of sample 0, channel {d}", "样本 0 在通道 {d} 的输出"),
    "norm_density": ("density", "密度"),
    "norm_spread": ("spread over batches", "不同批量间的波动"),
    "norm_gap": ("distance to evaluation output", "与评估模式输出的距离"),
    "norm_reference": ("$\\propto 1/\\sqrt{{B}}$", "$\\propto 1/\\sqrt{{B}}$"),
    "norm_batch_size": ("batch size $B$", "批量大小 $B$"),
    # training
    "norm_variant_none": ("no normalization", "无归一化"),
    "norm_variant_he": ("no normalization, He init", "无归一化，He 初始化"),
    "norm_variant_batch": ("batch normalization", "批量归一化"),
    "norm_variant_layer": ("layer normalization", "层归一化"),
    "norm_train_row": ("{name}: final training loss {loss:.3f}, validation accuracy {acc:.1%}",
                       "{name}：最终训练损失 {loss:.3f}，验证准确率 {acc:.1%}"),
    "norm_training_loss": ("training loss", "训练损失"),
    "norm_check_claim": ("both layers match PyTorch, Figure 4.9, batch dependence, training with normalization",
                         "两个层与 PyTorch 一致、图 4.9、对批量的依赖、归一化对训练的作用"),
    # exercises
    "norm_fold_error": ("folded linear layer against linear + batch norm: largest difference {error:.1e}",
                        "折叠后的线性层与“线性层 + 批量归一化”的最大差异：{error:.1e}"),
    "norm_bias_gradient": ("largest gradient component: bias {bias:.1e}, weights {weight:.1e}",
                           "梯度分量的最大绝对值：偏置 {bias:.1e}，权重 {weight:.1e}"),
    "norm_unbiased": ("average over the batches: biased variance {biased:.3f}, unbiased variance {unbiased:.3f} "
                      "(true variance 4)",
                      "对所有批量取平均：有偏方差 {biased:.3f}，无偏方差 {unbiased:.3f}（真实方差为 4）"),
}
