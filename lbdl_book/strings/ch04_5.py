"""§4.5 Dropout."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # Figure 4.7 and the Monte Carlo mean
    "drop_input": ("input $X$", "输入 $X$"),
    "drop_train": ("training: $Y = X \\odot M / (1 - p)$", "训练：$Y = X \\odot M / (1 - p)$"),
    "drop_test": ("test: $Y = X$", "评估：$Y = X$"),
    "drop_fig_report": ("training mode: {zeros} of the 64 entries set to 0, the others multiplied by {scale:g}; "
                        "test mode returns X unchanged: {same}",
                        "训练模式：64 个元素中有 {zeros} 个被置 0，其余乘以 {scale:g}；评估模式原样返回 X：{same}"),
    "drop_mc_mean": ("mean of {draws:,} draws in training mode: largest relative deviation from X {dev:.4f} "
                     "(5 standard errors: {bound:.4f})",
                     "训练模式下 {draws:,} 次抽样的平均值：与 X 的最大相对偏差 {dev:.4f}（5 个标准误：{bound:.4f}）"),
    # groups of units
    "drop_group_size": ("group size $k$", "组的大小 $k$"),
    "drop_survival": ("probability that the whole group survives", "整组都被保留的概率"),
    "drop_measured": ("measured, $p = {p}$", "实测，$p = {p}$"),
    "drop_formula": ("$(1 - p)^k$", "$(1 - p)^k$"),
    "drop_group_report": ("p = {p}: a group of {k} units survives intact in {measured:.4f} of the draws; "
                          "(1 − p)^k = {expected:.4f}",
                          "p = {p}：{k} 个单元组成的组在 {measured:.4f} 的抽样中完整保留；(1 − p)^k = {expected:.4f}"),
    # Figure 4.8
    "drop_row_input": ("input\n{d} channels", "输入\n{d} 个通道"),
    "drop_row_entries": ("dropout\nper entry", "逐元素\nDropout"),
    "drop_row_channels": ("2D dropout\nper channel", "二维 Dropout\n逐通道"),
    "drop_neighbour_report": ("correlation of horizontally neighbouring pixels: {corr:.3f}\n"
                              "per-entry dropout: a dropped pixel is guessed from its surviving 3 × 3 neighbours "
                              "with a mean relative error of {entry_err:.1%}\n"
                              "2D dropout: a dropped channel has no surviving neighbour; relative error {channel_err:.0%}",
                              "水平相邻像素的相关系数：{corr:.3f}\n"
                              "逐元素 Dropout：被丢弃的像素可由 3 × 3 邻域中保留下来的像素推测，平均相对误差 {entry_err:.1%}\n"
                              "二维 Dropout：被丢弃的通道中没有任何保留下来的邻居；相对误差 {channel_err:.0%}"),
    # explorer
    "drop_p": ("drop probability $p$", "丢弃概率 $p$"),
    "drop_draw": ("random draw", "第几次随机抽样"),
    "drop_kind": ("dropout", "丢弃方式"),
    "drop_entries": ("per entry", "逐元素"),
    "drop_channels": ("per channel (2D)", "逐通道（二维）"),
    "drop_frame_title": ("{kind}, p = {p}: {zeros:.0%} zeros, mean of Y / mean of X = {ratio:.2f}",
                         "{kind}，p = {p}：{zeros:.0%} 为零，Y 的均值 / X 的均值 = {ratio:.2f}"),
    # train / eval
    "drop_modes": ("after model.train(): training flags {train}; two passes give the same output: {same_train}\n"
                   "after model.eval():  training flags {eval}; two passes give the same output: {same_eval}",
                   "model.train() 之后：training 标志 {train}；两次前向传播结果相同：{same_train}\n"
                   "model.eval() 之后： training 标志 {eval}；两次前向传播结果相同：{same_eval}"),
    # Monte Carlo dropout
    "drop_mc_band": ("MC dropout: mean ± 2 std", "MC Dropout：均值 ± 2 倍标准差"),
    "drop_mc_mean_label": ("MC dropout mean", "MC Dropout 均值"),
    "drop_eval_label": ("eval mode", "评估模式"),
    "drop_mc_report": ("training MSE {loss:.4f}; standard deviation of the {passes} passes: {near:.3f} where the data "
                       "are, {far:.3f} for |x| > 2.5 ({ratio:.1f} times more); |MC mean − eval-mode output| ≤ {gap:.3f} "
                       "on the data",
                       "训练 MSE {loss:.4f}；{passes} 次前向传播的标准差：数据所在区间为 {near:.3f}，|x| > 2.5 处为 {far:.3f}"
                       "（{ratio:.1f} 倍）；在数据区间上 |MC 均值 − 评估模式输出| ≤ {gap:.3f}"),
    "drop_checked": ("Figure 4.7, mean preserved, (1 − p)^k, Figure 4.8, train/eval, MC dropout",
                     "图 4.7、均值不变、(1 − p)^k、图 4.8、训练/评估模式、MC Dropout"),
}
