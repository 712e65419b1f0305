"""§4.8 Attention layers."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # Figure 4.11
    "att_fig411_report": ("the query gives key {k} the weight {a:.2f} (the 8 weights sum to {total:.3f}); "
                          "Y_q differs from V_{k} by {gap:.0%} of the norm of V_{k}",
                          "查询给键 {k} 的权重为 {a:.2f}（8 个权重之和为 {total:.3f}）；"
                          "Y_q 与 V_{k} 之差是 V_{k} 范数的 {gap:.0%}"),
    "att_fig411_left": ("(4.1) scores of $Q_q$ against the keys", "（4.1）$Q_q$ 与各个键的分数"),
    "att_fig411_right": ("(4.2) values averaged with the scores", "（4.2）用分数对值加权平均"),
    # scaling
    "att_scaling_row": ("D_QK = {d:>3}: var(Q·K) = {var:7.1f}, after scaling {var_scaled:.2f}; row entropy "
                        "{h_raw:.2f} unscaled, {h_scaled:.2f} scaled (uniform: 3.00)",
                        "D_QK = {d:>3}：var(Q·K) = {var:7.1f}，缩放后 {var_scaled:.2f}；行熵：不缩放 {h_raw:.2f}，"
                        "缩放 {h_scaled:.2f}（均匀分布为 3.00）"),
    "att_unscaled": ("without $1/\\sqrt{{D^{{QK}}}}$", "不乘 $1/\\sqrt{{D^{{QK}}}}$"),
    "att_scaled": ("with $1/\\sqrt{{D^{{QK}}}}$", "乘以 $1/\\sqrt{{D^{{QK}}}}$"),
    "att_dot_variance": ("variance of the scores", "分数的方差"),
    "att_row_entropy": ("entropy of a row of $A$ (nats)", "$A$ 每行的熵（奈特）"),
    "att_uniform": ("uniform over 20 keys", "20 个键上的均匀分布"),
    # Figure 4.12, masks, dropout
    "att_dropout": ("dropout", "Dropout"),
    "att_empty_row_ours": ("ours: ValueError: {error}", "我们的实现：ValueError：{error}"),
    "att_empty_row_torch": ("F.scaled_dot_product_attention (PyTorch {version}) for that query: {row}",
                            "F.scaled_dot_product_attention（PyTorch {version}）对这个查询的输出：{row}"),
    "att_causal_mask_title": ("causal mask $M$", "因果掩码 $M$"),
    "att_dependence_causal": ("dependence, causal", "依赖关系（因果）"),
    "att_dependence_full": ("dependence, no mask", "依赖关系（无掩码）"),
    "att_key_k": ("key $k$", "键 $k$"),
    "att_query_q": ("query $q$", "查询 $q$"),
    "att_input_s": ("input $X_s$", "输入 $X_s$"),
    "att_output_t": ("output $Y_t$", "输出 $Y_t$"),
    "att_dropout_report": ("dropout p = 0.3 in training: {zeroed:.1%} of the weights set to 0, rows now sum to "
                           "{low:.2f}–{high:.2f}, {mean:.3f} on average; in evaluation, A is unchanged: {same}",
                           "训练时 Dropout p = 0.3：{zeroed:.1%} 的权重被置 0，各行之和变为 {low:.2f}–{high:.2f}，"
                           "平均 {mean:.3f}；评估时 A 保持不变：{same}"),
    # permutations
    "att_perm_keys_values": ("keys and values permuted together: output changes by {gap:.1e} (invariance)",
                             "键和值一起置换：输出变化 {gap:.1e}（不变性）"),
    "att_perm_queries": ("queries permuted: output equals the permuted output up to {gap:.1e} (equivariance)",
                         "置换查询：输出与置换后的原输出相差 {gap:.1e}（等变性）"),
    "att_perm_layer": ("self-attention layer, sequence permuted: up to {gap:.1e} (equivariance)",
                       "自注意力层，置换序列：相差 {gap:.1e}（等变性）"),
    "att_perm_layer_causal": ("the same with the causal mask: {gap:.2f}, the order now matters",
                              "加上因果掩码后同样的操作：相差 {gap:.2f}，顺序变得重要了"),
    # explorer
    "att_no_mask": ("no mask", "无掩码"),
    "att_causal": ("causal", "因果"),
    "att_mask_slider": ("mask", "掩码"),
    "att_factor_slider": ("factor on $1/\\sqrt{{D^{{QK}}}}$", "$1/\\sqrt{{D^{{QK}}}}$ 的倍数"),
    "att_keys_axis": ("keys", "键"),
    "att_queries_axis": ("queries", "查询"),
    "att_explorer_title": ("mean entropy of the rows: {entropy:.2f} nats", "各行的平均熵：{entropy:.2f} 奈特"),
    # quadratic cost
    "att_time_row": ("N = {n:>5}: ours {ours:8.2f} ms, PyTorch {torch:7.2f} ms, ratio {ratio:.1f}",
                     "N = {n:>5}：我们的实现 {ours:8.2f} 毫秒，PyTorch {torch:7.2f} 毫秒，比值 {ratio:.1f}"),
    "att_slopes": ("log-log slopes on the three longest sequences: ours {ours:.2f}, PyTorch {torch:.2f}, "
                   "linear attention {linear:.2f}",
                   "在最长的三个序列上的双对数斜率：我们的实现 {ours:.2f}，PyTorch {torch:.2f}，线性注意力 {linear:.2f}"),
    "att_ours": ("attention (ours), slope {slope:.2f}", "attention（我们的实现），斜率 {slope:.2f}"),
    "att_torch": ("F.scaled_dot_product_attention, slope {slope:.2f}",
                  "F.scaled_dot_product_attention，斜率 {slope:.2f}"),
    "att_linear": ("linear attention, slope {slope:.2f}", "线性注意力，斜率 {slope:.2f}"),
    "att_quadratic_guide": ("$\\propto N^2$", "$\\propto N^2$"),
    "att_length": ("sequence length $N$", "序列长度 $N$"),
    "att_seconds": ("time (s)", "时间（秒）"),
    "att_memory": ("N = {n}: the attention matrix {shape} takes {mib:.0f} MiB in float32; at N = {n_long:,}, one "
                   "such matrix would take {gib:.0f} GiB, per head and per sequence",
                   "N = {n}：注意力矩阵 {shape} 以 float32 存储占 {mib:.0f} MiB；N = {n_long:,} 时，"
                   "每个头、每条序列的一个这样的矩阵就要 {gib:.0f} GiB"),
    # multi-head attention
    "att_for_each_head": ("for $h = 1, \\dots, H$", "对 $h = 1, \\dots, H$"),
    "att_shapes": ("x_q {x_q}, x_kv {x_kv} → self-attention {y_self}, cross-attention {y_cross}, weights {a}",
                   "x_q {x_q}，x_kv {x_kv} → 自注意力 {y_self}，交叉注意力 {y_cross}，权重 {a}"),
    "att_torch_gaps": ("largest difference from nn.MultiheadAttention: self {self:.1e}, cross {cross:.1e}, "
                       "causal {causal:.1e}",
                       "与 nn.MultiheadAttention 的最大差异：自注意力 {self:.1e}，交叉注意力 {cross:.1e}，"
                       "因果 {causal:.1e}"),
    "att_book_gap": ("head by head, with the book's equations: largest difference {gap:.1e}",
                     "按书中公式逐个头计算：最大差异 {gap:.1e}"),
    "att_count_row": ("D = {D:>3}, H = {H:>2}, D_QK = {dqk:>3}, D_V = {dv:>3}: formula {formula:>9,}, counted "
                      "{ours:>9,}, nn.MultiheadAttention {torch}",
                      "D = {D:>3}，H = {H:>2}，D_QK = {dqk:>3}，D_V = {dv:>3}：公式 {formula:>9,}，实际计数 "
                      "{ours:>9,}，nn.MultiheadAttention {torch}"),
    # exercises
    "att_ex_jacobian": ("mean Frobenius norm of the Jacobian: unscaled {raw:.3f}, scaled {scaled:.3f}, ratio {ratio:.2f}",
                        "雅可比矩阵的平均 Frobenius 范数：不缩放 {raw:.3f}，缩放 {scaled:.3f}，比值 {ratio:.2f}"),
    "att_ex_heads": ("parameters: {multi:,} (8 heads) and {single:,} (1 head); attention weights: {a_multi:,} and "
                     "{a_single:,}",
                     "参数：{multi:,}（8 个头）与 {single:,}（1 个头）；注意力权重个数：{a_multi:,} 与 {a_single:,}"),
    "att_ex_future": ("scores multiplied by the mask: the {rows} queries give the future a total weight of {weight:.2f}",
                      "用掩码乘分数：{rows} 个查询分给未来位置的权重总和为 {weight:.2f}"),
    "att_ex_padding": ("largest difference between the padded batch and the sequence alone: {gap:.1e}",
                       "带填充的批量与单独处理该序列的最大差异：{gap:.1e}"),
    "att_checked": ("Eq. 4.1–4.2, Figures 4.11–4.13, scaling, causal mask, dropout, permutations, quadratic cost, "
                    "multi-head layer = PyTorch, parameter count",
                    "式 4.1–4.2、图 4.11–4.13、缩放、因果掩码、Dropout、置换、二次成本、多头注意力层与 PyTorch 一致、"
                    "参数量"),
}
