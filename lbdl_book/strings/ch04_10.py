"""§4.10 Positional encoding."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # blindness
    "pos_equivariance": ("attention: |f(permuted x) - permuted f(x)| <= {attention:.1e}; convolution: "
                         "|f(shifted x) - shifted f(x)| <= {conv:.1e}",
                         "注意力：|f(置换后的 x) - 置换后的 f(x)| <= {attention:.1e}；卷积："
                         "|f(平移后的 x) - 平移后的 f(x)| <= {conv:.1e}"),
    "pos_sentence_a": ("dog bites man", "狗 咬 人"),
    "pos_dog": ("output at \"{word}\" in \"{a}\" vs \"{b}\": largest difference {without:.1e} without a positional "
                "encoding, {with_:.2f} with one",
                "“{a}”与“{b}”中“{word}”处的输出：不加位置编码时最大差值为 {without:.1e}，加上位置编码后为 {with_:.2f}"),
    # the sinusoidal encoding
    "pos_wavelengths": ("D = {dim}: wavelengths from {first:.2f} to {last:,.0f} positions",
                        "D = {dim}：波长从 {first:.2f} 个位置到 {last:,.0f} 个位置"),
    "pos_dimension": ("dimension $d$", "维度 $d$"),
    "pos_position": ("position $t$", "位置 $t$"),
    "pos_position_s": ("position $s$", "位置 $s$"),
    "pos_matrix": ("pos-enc$[t, d]$, $D = {dim}$", "pos-enc$[t, d]$，$D = {dim}$"),
    "pos_column": ("$d = {d}$", "$d = {d}$"),
    "pos_value": ("pos-enc$[t, d]$", "pos-enc$[t, d]$"),
    # rotation and similarity
    "pos_similarity_report": ("offset 7 as one rotation: largest error {rotation:.1e}; similarity from positions 0, 20 "
                              "and 50: largest spread {spread:.1e}; decreasing up to offset {rise}; highest value at "
                              "offsets 8 to 63: {beyond:.2f} of the maximum D/2",
                              "偏移 7 作为同一个旋转：最大误差 {rotation:.1e}；从位置 0、20、50 出发的相似度曲线："
                              "最大差距 {spread:.1e}；直到偏移 {rise} 都单调下降；偏移 8 到 63 上的最大值为上限 D/2 的 "
                              "{beyond:.2f}"),
    "pos_gram": ("dot products of the encodings", "位置编码两两之间的点积"),
    "pos_from": ("from position $s = {s}$", "从位置 $s = {s}$ 出发"),
    "pos_offset": ("offset $k$", "偏移 $k$"),
    "pos_dot": ("$\\langle$pos-enc$[s]$, pos-enc$[s + k]\\rangle$", "$\\langle$pos-enc$[s]$, pos-enc$[s + k]\\rangle$"),
    # explorer
    "pos_normalised_dot": ("similarity / (D/2)", "相似度 / (D/2)"),
    "pos_explorer_title": ("below 1/2 from offset {half}; highest at offsets ≥ 16: {worst:.2f}",
                           "从偏移 {half} 起低于 1/2；偏移 ≥ 16 处的最大值：{worst:.2f}"),
    "pos_profile_row": ("T = {base:>6,}, D = {dim:>3}: below 1/2 from offset {half}; highest at offsets >= 16: "
                        "{highest:.2f}; average over offsets 20 to 511: {far:+.2f}",
                        "T = {base:>6,}，D = {dim:>3}：从偏移 {half} 起低于 1/2；偏移 >= 16 处的最大值 {highest:.2f}；"
                        "偏移 20 到 511 上的平均值 {far:+.2f}"),
    "pos_base": ("base $T$", "底数 $T$"),
    "pos_dim": ("dimension $D$", "维度 $D$"),
    # the previous-token task
    "pos_task_report": ("test accuracy: no encoding {none:.1%} (order-blind bound {bound:.1%}), sinusoidal "
                        "{sinusoidal:.1%}, learned {learned:.1%}",
                        "测试准确率：不加位置编码 {none:.1%}（不看顺序时的上界 {bound:.1%}），正弦编码 {sinusoidal:.1%}，"
                        "可学习编码 {learned:.1%}"),
    "pos_long_report": ("sinusoidal model on sequences of {length}: accuracy {within:.1%} at the trained positions, "
                        "{past:.1%} beyond; claim check, extrapolation to longer sequences (accuracy > 90 %): {verdict}",
                        "正弦编码模型在长度为 {length} 的序列上：训练过的位置准确率 {within:.1%}，之后的位置 {past:.1%}；"
                        "论断检验，外推到更长的序列（准确率 > 90%）：{verdict}"),
    "pos_reproduced": ("reproduced", "已复现"),
    "pos_not_reproduced": ("not reproduced at this scale", "在这个规模上未能复现"),
    "pos_learned_error": ("learned encoding: ValueError: {error}", "可学习编码：ValueError: {error}"),
    # exercises
    "pos_ex_exponent": ("columns with a value above 0.01: {informative} of 32; largest value of column 2: {column2:.1e}",
                        "取值曾超过 0.01 的列：32 列中有 {informative} 列；第 2 列的最大值：{column2:.1e}"),
    "pos_ex_rope": ("scores (query position, key position): (5, 2) {s5_2:.6f}, (105, 102) {s105_102:.6f}, "
                    "(1000, 997) {s1000_997:.6f}, (5, 4) {s5_4:.6f}",
                    "分数（查询位置，键位置）：(5, 2) {s5_2:.6f}，(105, 102) {s105_102:.6f}，"
                    "(1000, 997) {s1000_997:.6f}，(5, 4) {s5_4:.6f}"),
    "pos_checked": ("position blindness, offsets as rotations, similarity depending on the offset only, "
                    "previous-token task, extrapolation",
                    "位置盲、偏移即旋转、相似度只依赖于偏移、前一个词元任务、外推"),
}
