"""§8.2 Quantization (quant_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # precision
    "quant_accumulate": ("{dtype:>8}: 1 + {steps} steps of {step:g} = {value:.6f} (spacing of the numbers at 1: {spacing:.2g})",
                         "{dtype:>8}：1 加上 {steps} 次 {step:g} = {value:.6f}（1 附近相邻两数的间距：{spacing:.2g}）"),
    # one block in Q4_1
    "quant_bytes": ("the block in Q4_1, {n} bytes: {hex}", "该块的 Q4_1 编码，共 {n} 字节：{hex}"),
    "quant_header": ("d = {d:.6f}, m = {m:.6f}  (the block's entries run from {low:.6f} to {high:.6f})",
                     "d = {d:.6f}，m = {m:.6f}（该块的元素从 {low:.6f} 到 {high:.6f}）"),
    "quant_codes": ("codes q: {codes}", "编码 q：{codes}"),
    "quant_block_error": ("largest |x − x̃| = {error:.6f}  (d/2 = {half:.6f})",
                          "最大的 |x − x̃| = {error:.6f}（d/2 = {half:.6f}）"),
    # formats
    "quant_formula_offset": ("d·q + m", "d·q + m"),
    "quant_formula_zero": ("d·(q − {zero})", "d·(q − {zero})"),
    "quant_formula_scale": ("d·q", "d·q"),
    "quant_yes": ("yes", "是"),
    "quant_ours": ("no (ours)", "否（本书自定）"),
    "quant_col_format": ("format", "格式"),
    "quant_col_bits": ("bits per code", "每个编码的位数"),
    "quant_col_bytes": ("bytes per 32 weights", "每 32 个权重的字节数"),
    "quant_col_bpw": ("bits per weight", "每个权重的位数"),
    "quant_col_decode": ("decoded value", "解码值"),
    "quant_col_llama": ("llama.cpp's bytes", "与 llama.cpp 字节一致"),
    "quant_slider_format": ("format", "格式"),
    "quant_block_float": ("float weight $x$", "浮点权重 $x$"),
    "quant_block_decoded": ("decoded $\\tilde{{x}}$", "解码值 $\\tilde{{x}}$"),
    "quant_block_index": ("position in the block", "块内位置"),
    "quant_block_title": ("{fmt}: {levels} representable values, largest error {error:.4f}",
                          "{fmt}：可表示 {levels} 个值，最大误差 {error:.4f}"),
    # Figure 8.2
    "quant_axis_bytes": ("memory of the parameters (log scale)", "参数占用的内存（对数坐标）"),
    "quant_axis_perplexity": ("validation perplexity (log scale)", "验证集困惑度（对数坐标）"),
    "quant_model": ("{name}: {params:,} parameters, {blocks:,} of them in block-quantized matrices ({share:.1f} %)",
                    "{name}：{params:,} 个参数，其中 {blocks:,} 个位于分块量化的矩阵中（{share:.1f}%）"),
    "quant_f16_losses": ("float16 models: loss {loss_big:.4f} ({big}), {loss_small:.4f} ({small}) nats/char",
                         "float16 模型的损失：{loss_big:.4f}（{big}），{loss_small:.4f}（{small}）奈特/字符"),
    "quant_increase": ("{fmt} ({bpw:.1f} bits/weight): loss {big:+.4f} ± {se_big:.4f} (D = 64), "
                       "{small:+.4f} ± {se_small:.4f} (D = 32), ratio {ratio:.2f}",
                       "{fmt}（每个权重 {bpw:.1f} 位）：损失变化 {big:+.4f} ± {se_big:.4f}（D = 64），"
                       "{small:+.4f} ± {se_small:.4f}（D = 32），比值 {ratio:.2f}"),
    "quant_size_yes": ("verdict: at every format of at most 5 bits ({formats}), {big} loses less than 0.8× what {small} "
                       "loses, by more than 3 standard errors: the larger model tolerates quantization better",
                       "结论：在每个不超过 5 位的格式（{formats}）上，{big} 的损失增加都不到 {small} 的 0.8 倍，"
                       "差距超过 3 个标准误：较大的模型更耐受量化"),
    "quant_size_no": ("verdict: at no format of at most 5 bits ({formats}) does {big} lose clearly less than {small}: "
                      "the claim does not show at this scale",
                      "结论：在不超过 5 位的格式（{formats}）上，{big} 的损失增加没有一个明显小于 {small}："
                      "在这个规模上看不出书中的说法"),
    "quant_size_mixed": ("verdict: at some formats of at most 5 bits ({formats}) {big} loses clearly less than {small}, "
                         "at others not: the claim shows only in part at this scale",
                         "结论：在不超过 5 位的格式（{formats}）中，{big} 只在部分格式上明显少于 {small}："
                         "在这个规模上书中的说法只部分成立"),
    # mixed precision
    "quant_sensitivity": ("{role:>6} alone in Q2_L ({count:,} weights): loss {increase:+.4f}, "
                          "{per_k:.4f} per 1,000 weights",
                          "{role:>6} 单独用 Q2_L（{count:,} 个权重）：损失变化 {increase:+.4f}，"
                          "每千个权重 {per_k:.4f}"),
    "quant_alloc_book": ("the book's allocation (W^V and FFW in Q4_1, W^Q, W^K, W^O in Q2_L): {size:,} bytes, "
                         "loss {loss:.4f}, perplexity {perplexity:.3f}",
                         "书中的分配（W^V 和前馈层用 Q4_1，W^Q、W^K、W^O 用 Q2_L）：{size:,} 字节，"
                         "损失 {loss:.4f}，困惑度 {perplexity:.3f}"),
    "quant_alloc_opposite": ("the opposite (W^V and FFW in Q3_L, W^Q, W^K, W^O in Q5_1):       {size:,} bytes, "
                             "loss {loss:.4f}, perplexity {perplexity:.3f}",
                             "相反的分配（W^V 和前馈层用 Q3_L，W^Q、W^K、W^O 用 Q5_1）：{size:,} 字节，"
                             "损失 {loss:.4f}，困惑度 {perplexity:.3f}"),
    "quant_mixed_book": ("verdict: the book's allocation is better by {diff:.4f} nats/char (standard error {se:.4f})",
                         "结论：书中的分配更好，每字符低 {diff:.4f} 奈特（标准误 {se:.4f}）"),
    "quant_mixed_opposite": ("verdict: the opposite allocation is better by {diff:.4f} nats/char (standard error "
                             "{se:.4f}): the book's example does not hold for this model",
                             "结论：相反的分配更好，两者相差 {diff:.4f} 奈特/字符（标准误 {se:.4f}）："
                             "书中的例子对这个模型不成立"),
    "quant_mixed_tie": ("verdict: no difference beyond 3 standard errors ({diff:.4f} nats/char, standard error {se:.4f})",
                        "结论：两者之差没有超过 3 个标准误（{diff:.4f} 奈特/字符，标准误 {se:.4f}）"),
    # QAT
    "quant_ptq": ("post-training quantization to Q2_L:             loss {loss:.4f}, perplexity {perplexity:.2f}",
                  "训练后量化到 Q2_L：损失 {loss:.4f}，困惑度 {perplexity:.2f}"),
    "quant_control": ("{steps} steps of float fine-tuning, then Q2_L:   loss {loss:.4f}, perplexity {perplexity:.2f}",
                      "先做 {steps} 步浮点微调，再量化到 Q2_L：损失 {loss:.4f}，困惑度 {perplexity:.2f}"),
    "quant_qat": ("{steps} steps of quantization-aware training, Q2_L: loss {loss:.4f}, perplexity {perplexity:.2f}",
                  "{steps} 步量化感知训练，Q2_L：损失 {loss:.4f}，困惑度 {perplexity:.2f}"),
    "quant_qat_reference": ("(the float16 model: loss {loss:.4f}, perplexity {perplexity:.2f})",
                            "（float16 模型：损失 {loss:.4f}，困惑度 {perplexity:.2f}）"),
    # memory-bound inference
    "quant_per_token": ("{fmt:>5}: {gb:5.2f} GB read per token, at most {tokens:5.1f} tokens per second",
                        "{fmt:>5}：每个词元读取 {gb:5.2f} GB，每秒最多 {tokens:5.1f} 个词元"),
    "quant_times": ("one read of W: {read:.2f} ms; W × 1 column: {one:.2f} ms; W × 64 columns: {many:.2f} ms, "
                    "so per column {per_token:.3f} of the single product",
                    "读一遍 W：{read:.2f} 毫秒；W 乘 1 列：{one:.2f} 毫秒；W 乘 64 列：{many:.2f} 毫秒，"
                    "每列只花单列乘积的 {per_token:.3f}"),
    "quant_checked": ("float16 loses small updates; Q4_1's bytes and error bound; Figure 8.2's losses per format; "
                      "the larger model tolerates quantization better; the opposite allocation wins; QAT beats PTQ "
                      "and its control; single-stream products are memory-bound",
                      "float16 丢失小更新；Q4_1 的字节与误差界；图 8.2 中各格式的损失；较大的模型更耐受量化；"
                      "相反的位数分配胜出；量化感知训练胜过训练后量化及其对照；单流的矩阵乘积受内存限制"),
    # exercises
    "quant_ex_hand": ("d = {d:.6f}, m = {m:g}, codes {codes}; largest error {error:.4f}",
                      "d = {d:.6f}，m = {m:g}，编码 {codes}；最大误差 {error:.4f}"),
    "quant_ex_q40": ("Q4_0 gives back +1 → {plus:g} and −1 → {minus:g}", "Q4_0 还原的值：+1 → {plus:g}，−1 → {minus:g}"),
    "quant_ex_fit": ("formats that fit: {formats}; the densest, {fmt}, takes {gb:.2f} GB: at most {tokens:.1f} tokens "
                     "per second",
                     "放得下的格式：{formats}；其中最精细的 {fmt} 占 {gb:.2f} GB：每秒最多 {tokens:.1f} 个词元"),
}
