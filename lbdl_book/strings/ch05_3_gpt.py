"""§5.3 Generative Pre-trained Transformer."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # the model and its causality
    "gpt_model_summary": ("GPT: {params:,} parameters ({formula:,} by the formula), context C = {context}, D = {dim}, "
                          "{heads} heads, N = {layers} layers, output layer tied to the embedding: {tied}",
                          "GPT：{params:,} 个参数（按公式计算为 {formula:,}），上下文 C = {context}，D = {dim}，"
                          "{heads} 个头，N = {layers} 层，输出层与嵌入表共享权重：{tied}"),
    "gpt_causality": ("tokens after position {t} replaced: largest change of the logits at positions <= {t}: "
                      "{before:.1e}; at positions > {t}: {after:.2f}",
                      "替换位置 {t} 之后的词元：位置 <= {t} 的 logits 最大变化 {before:.1e}；"
                      "位置 > {t} 的 logits 最大变化 {after:.2f}"),
    # data and training
    "gpt_dataset": ("corpus: {chars:,} characters ({words:,} words), {V} distinct characters; training text "
                    "{train:,} characters, cut into {windows:,} windows of {T} + 1; validation text {val:,} characters",
                    "语料：{chars:,} 个字符（{words:,} 个英文单词），其中不同的字符 {V} 个；训练文本 {train:,} 个字符，"
                    "切成 {windows:,} 个长度为 {T} + 1 的窗口；验证文本 {val:,} 个字符"),
    "gpt_trained": ("GPT: {steps} gradient steps in {seconds:.1f} s; training loss {train:.3f}, validation loss "
                    "after each epoch {val}",
                    "GPT：{steps} 步梯度下降，用时 {seconds:.1f} 秒；训练损失 {train:.3f}，每轮之后的验证损失 {val}"),
    "gpt_step_times": ("one gradient step on a mini-batch (median of interleaved rounds): GPT {gpt:.1f} ms, "
                       "convolution {conv:.1f} ms (×{ratio:.1f})",
                       "一个小批量上的一次梯度计算（交替轮次的中位数）：GPT {gpt:.1f} 毫秒，卷积 {conv:.1f} 毫秒（×{ratio:.1f}）"),
    "gpt_conv_trained": ("causal convolution of §3.2: {params:,} parameters, {seconds:.1f} s of training",
                         "§3.2 的因果卷积模型：{params:,} 个参数，训练用时 {seconds:.1f} 秒"),
    "gpt_table_header": ("validation text: cross-entropy (nats per character) and perplexity",
                         "验证文本：交叉熵（每个字符的奈特数）与困惑度"),
    "gpt_uniform": ("uniform over the {V} characters", "{V} 个字符上的均匀分布"),
    "gpt_unigram": ("unigram: character frequencies", "一元模型：字符频率"),
    "gpt_conv": ("causal convolution (§3.2), 4 characters back", "因果卷积（§3.2），往回看 4 个字符"),
    "gpt_gpt": ("GPT, up to {C} characters back", "GPT，最多往回看 {C} 个字符"),
    "gpt_perplexity": ("validation perplexity (log scale)", "验证集困惑度（对数坐标）"),
    "gpt_context_length": ("characters of context before the predicted one", "被预测字符之前的上下文字符数"),
    "gpt_loss_per_position": ("validation loss (nats)", "验证损失（奈特）"),
    "gpt_conv_short": ("causal convolution (§3.2)", "因果卷积（§3.2）"),
    "gpt_gpt_short": ("GPT", "GPT"),
    "gpt_flat": ("GPT: mean validation loss {early:.3f} with 9 to 16 characters of context, {late:.3f} with 17 to {C}",
                 "GPT：上下文为 9 到 16 个字符时平均验证损失 {early:.3f}，为 17 到 {C} 个字符时 {late:.3f}"),
    "gpt_claim": ("claim check, {claim}: {verdict}", "论断检验，{claim}：{verdict}"),
    "gpt_claim_conv": ("the GPT predicts better than the 4-character convolution", "GPT 的预测优于只看 4 个字符的卷积模型"),
    "gpt_reproduced": ("reproduced", "已复现"),
    "gpt_not_reproduced": ("not reproduced at this scale", "在这个规模上未能复现"),
    # sampling
    "gpt_samples": ("temperature {temperature}: {known:.0%} of the generated words occur in the training text",
                    "温度 {temperature}：生成的单词中有 {known:.0%} 出现在训练文本里"),
    "gpt_unigram_sample": ("characters drawn independently from the unigram model: {known:.0%} of the words occur "
                           "in the training text",
                           "按一元模型独立抽取字符：只有 {known:.0%} 的单词出现在训练文本里"),
    "gpt_temperature": ("temperature $\\tau$", "温度 $\\tau$"),
    "gpt_top_k": ("top-$k$", "top-$k$"),
    "gpt_all": ("all", "全部"),
    "gpt_next_char": ("next character after '{prompt}'", "\u201c{prompt}\u201d之后的下一个字符"),
    "gpt_probability": ("probability", "概率"),
    "gpt_explorer_title": ("$\\tau$ = {temperature}, top-$k$ = {k}: entropy {entropy:.2f} nats, "
                           "{support} of {V} characters possible",
                           "$\\tau$ = {temperature}，top-$k$ = {k}：熵 {entropy:.2f} 奈特，{V} 个字符中有 {support} 个可能出现"),
    "gpt_explorer_sample": ("sample: {text}", "样本：{text}"),
    # attention maps
    "gpt_head_title": ("layer {layer}, head {head}", "第 {layer} 层，第 {head} 个头"),
    "gpt_key": ("looked-at character (key)", "被关注的字符（键）"),
    "gpt_query": ("position (query)", "位置（查询）"),
    "gpt_previous_table": ("mean attention on the previous character (uniform attention would give {uniform:.2f}):",
                           "对前一个字符的平均注意力（均匀注意力为 {uniform:.2f}）："),
    "gpt_previous_row": ("layer {layer}: {values}", "第 {layer} 层：{values}"),
    # GPT-2 small
    "gpt_part_embedding": ("token embedding", "词元嵌入"),
    "gpt_part_positional": ("positional encoding", "位置编码"),
    "gpt_part_attention": ("self-attention blocks", "自注意力块"),
    "gpt_part_feed_forward": ("feed-forward blocks", "前馈块"),
    "gpt_part_norm": ("final layernorm", "最后的层归一化"),
    "gpt_part_head": ("output layer (tied: 0)", "输出层（共享权重：0）"),
    "gpt_part_total": ("total", "合计"),
    "gpt_breakdown_header": ("GPT-2 small, built on the meta device (no memory allocated):",
                             "GPT-2 small，在 meta 设备上构建（不分配内存）："),
    "gpt_breakdown_row": ("  {count:>12,}  {share:6.1%}  {name}", "  {count:>12,}  {share:6.1%}  {name}"),
    "gpt_per_layer": ("one layer: {attention:,} (attention) + {feed_forward:,} (feed-forward) = {layer:,} = 12D² + 13D",
                      "一层：{attention:,}（注意力）+ {feed_forward:,}（前馈）= {layer:,} = 12D² + 13D"),
    "gpt_untied_total": ("with a separate output layer: {total:,}", "若输出层不共享权重：{total:,}"),
    "gpt_share": ("share of the parameters", "参数占比"),
    "gpt_tiny": ("our GPT\n({total:,})", "本节的 GPT\n（{total:,}）"),
    "gpt_small_label": ("GPT-2 small\n({total:,})", "GPT-2 small\n（{total:,}）"),
    "gpt_checked": ("causality, training below the uniform and unigram baselines, the comparison with the "
                    "convolution, sampling, causal attention maps, GPT-2 small = 124,439,808 parameters",
                    "因果性、训练后优于均匀分布与一元模型、与卷积模型的比较、采样、因果注意力图、"
                    "GPT-2 small = 124,439,808 个参数"),
    "gpt_yes": ("yes", "是"),
    "gpt_no": ("no", "否"),
    # exercises
    "gpt_ex_shares": ("token embedding: {small:.1%} of GPT-2 small ({total:,} parameters); GPT-3: {gpt3:,} parameters, "
                      "of which {share:.2%} in the embedding; the layers alone, 12ND²: {layers:,}",
                      "词元嵌入：占 GPT-2 small（{total:,} 个参数）的 {small:.1%}；GPT-3：{gpt3:,} 个参数，"
                      "嵌入占 {share:.2%}；仅各层 12ND²：{layers:,}"),
    "gpt_ex_misprint": ("H = 4D = {width:,}; the printed 49,512 would add {extra:,} parameters",
                        "H = 4D = {width:,}；印错的 49,512 会多出 {extra:,} 个参数"),
    "gpt_ex_tied_gradient": ("largest |grad(tied) − (grad as input + grad as output)|: {error:.1e}",
                             "|共享矩阵的梯度 −（作为输入的梯度 + 作为输出的梯度）| 的最大值：{error:.1e}"),
    "gpt_ex_rows": ("rows with a gradient: {input} of {V} as input, {output} of {V} as output",
                    "有梯度的行：作为输入时 {V} 行中有 {input} 行，作为输出时 {V} 行中有 {output} 行"),
    "gpt_ex_entropy": ("mean entropy of the next-character distribution (nats): {values}",
                       "下一个字符分布的平均熵（奈特）：{values}"),
    "gpt_ex_distinct": ("distinct 6-character strings in the last 60 greedy characters: {count} of 55",
                        "贪心解码最后 60 个字符中不同的 6 字符片段：55 个中有 {count} 个"),
}
