"""§4.9 Token embedding."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # the layer
    "emb_shapes": ("{n} distinct characters: tokens X of shape {x}, table M of shape {w}, output Y of shape {y}",
                   "共 {n} 个不同的字符：词元张量 X 的形状为 {x}，嵌入表 M 的形状为 {w}，输出 Y 的形状为 {y}"),
    "emb_first_tokens": ("first sequence: {chars} -> tokens {ids}", "第一个序列：{chars} -> 词元 {ids}"),
    "emb_first_vector": ("vector of {char}: {vector}", "{char} 的向量：{vector}"),
    "emb_same_as_torch": ("same output as torch.nn.Embedding with the same weights: {same}",
                          "与加载了相同权重的 torch.nn.Embedding 输出相同：{same}"),
    # one-hot product
    "emb_timing": ("one-hot product {product:.2f} ms, lookup {lookup:.3f} ms: the lookup is {ratio:,.0f} times faster",
                   "独热向量乘法 {product:.2f} ms，查表 {lookup:.3f} ms：查表快 {ratio:,.0f} 倍"),
    # gradient
    "emb_times": ("×{k}", "×{k}"),
    "emb_row": ("row $n$ of the table (token)", "嵌入表的第 $n$ 行（词元）"),
    "emb_gradient_norm": ("norm of $\\partial \\mathcal{{L}} / \\partial M[n]$",
                          "$\\partial \\mathcal{{L}} / \\partial M[n]$ 的范数"),
    "emb_sum_check": ("row 7: largest difference from the sum of its three upstream gradients {error:.1e}",
                      "第 7 行：与其三个上游梯度之和的最大差值为 {error:.1e}"),
    "emb_gpt2": ("GPT-2 (smallest): token table {table:,} parameters, of {total:,} in all ({share:.1%})",
                 "GPT-2（最小的模型）：词元嵌入表有 {table:,} 个参数，占全部 {total:,} 个参数的 {share:.1%}"),
    # the clock language
    "emb_clock_report": ("held-out loss after training {loss_untied:.3f} untied, {loss_tied:.3f} tied (floor log 5 = "
                         "{floor:.3f}); tokens whose nearest neighbour is an adjacent hour: {before:.0%} before "
                         "training, {untied:.0%} after (untied), {tied:.0%} (tied)",
                         "训练后在留出数据上的损失：不绑定 {loss_untied:.3f}，绑定 {loss_tied:.3f}（下限 log 5 = "
                         "{floor:.3f}）；最近邻是相邻钟点的词元比例：训练前 {before:.0%}，训练后 {untied:.0%}"
                         "（不绑定）、{tied:.0%}（绑定）"),
    "emb_before": ("random table (before training)", "随机初始化的嵌入表（训练前）"),
    "emb_untied": ("trained, separate output layer", "训练后，输出层单独设权重"),
    "emb_tied": ("trained, output layer tied", "训练后，输出层与嵌入表绑定"),
    "emb_tied_report": ("parameters of the clock model: {untied} with a separate output layer, {tied} with tied weights",
                        "钟点模型的参数量：输出层单独设权重时 {untied} 个，权重绑定时 {tied} 个"),
    "emb_checked": ("lookup = one-hot product = torch.nn.Embedding, sparse gradient, GPT-2 table, learned ring, "
                    "weight tying",
                    "查表 = 独热向量乘法 = torch.nn.Embedding、稀疏梯度、GPT-2 嵌入表、学到的环、权重绑定"),
    # exercises
    "emb_ex_moved": ("rows moved in the second step: SGD {sgd}, Adam {adam}", "第二步中移动了的行：SGD {sgd}，Adam {adam}"),
    "emb_gpt2_small": ("small", "最小的模型"),
    "emb_gpt2_largest": ("largest", "最大的模型"),
    "emb_ex_gpt2": ("GPT-2 {name}: {total:.1f} M parameters, token table {table:.1f} M ({share:.1%}); an untied output "
                    "layer would add {table:.1f} M",
                    "GPT-2 {name}：共 {total:.1f} M 个参数，词元嵌入表 {table:.1f} M（占 {share:.1%}）；"
                    "不做权重绑定的输出层会再增加 {table:.1f} M"),
    "emb_ex_padding": ("row 0 (padding): {row}; gradient of the table: {grad}", "第 0 行（填充）：{row}；嵌入表的梯度：{grad}"),
}
