"""§5.3 Attention models: the Transformer."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # Figures 5.6 and 5.7
    "tf_feed_forward": ("feed-forward block", "前馈块"),
    "tf_self_attention": ("self-attention block", "自注意力块"),
    "tf_cross_attention": ("cross-attention block", "交叉注意力块"),
    "tf_encoder": ("encoder", "编码器"),
    "tf_decoder": ("decoder", "解码器"),
    "tf_block_counts": ("parameters with D = {dim}, H = {hidden}: feed-forward {ffw:,} (formula "
                        "2DH + H + 3D = {ffw_formula:,}), self-attention {att:,} and cross-attention {cross:,} "
                        "(formula 4D² + 6D = {att_formula:,})",
                        "D = {dim}、H = {hidden} 时的参数量：前馈块 {ffw:,}（公式 2DH + H + 3D = {ffw_formula:,}），"
                        "自注意力块 {att:,}，交叉注意力块 {cross:,}（公式 4D² + 6D = {att_formula:,}）"),
    "tf_base_count": ("Transformer-base: layers {blocks:,}, shared table {embedding:,}, in all {total:,} parameters; "
                      "with three separate tables {untied:,}; 65 million would need a vocabulary of {vocab:,.0f}",
                      "Transformer-base：各层 {blocks:,}，共享的词表矩阵 {embedding:,}，合计 {total:,} 个参数；"
                      "若用三张独立的表则为 {untied:,}；要凑成 6,500 万，词表需有 {vocab:,.0f} 个词元"),
    "tf_model_counts": ("the model of Figure 5.7 below: {params:,} parameters (formula: {formula:,}); "
                        "D = {dim}, {heads} heads, H = {hidden}, {layers} encoder and {layers} decoder layers",
                        "下面图 5.7 的模型：{params:,} 个参数（公式给出 {formula:,}）；D = {dim}，{heads} 个头，"
                        "H = {hidden}，编码器与解码器各 {layers} 层"),
    # the task, training and decoding
    "tf_example": ("source         {src}\ndecoder input  {inp}\ntarget         {tgt}",
                   "源序列       {src}\n解码器输入   {inp}\n目标         {tgt}"),
    "tf_split": ("{train:,} training pairs and {test:,} test pairs, {length_min} to {length_max} digits; "
                 "test strings that also occur in the training set: {overlap}",
                 "训练对 {train:,} 个，测试对 {test:,} 个，长度 {length_min} 到 {length_max} 位；"
                 "同时出现在训练集中的测试串：{overlap} 个"),
    "tf_trained": ("{steps} steps of AdamW (warm-up {warmup}, cosine, peak rate {lr:g}) in {seconds:.1f} s; "
                   "training loss of the last epoch {loss:.4f}",
                   "AdamW 训练 {steps} 步（预热 {warmup} 步，余弦衰减，峰值学习率 {lr:g}），耗时 {seconds:.1f} 秒；"
                   "最后一轮的训练损失 {loss:.4f}"),
    "tf_teacher_forced": ("teacher forcing on the test set: loss {loss:.4f}, {tokens:.2%} of the tokens right",
                          "测试集上的教师强制：损失 {loss:.4f}，词元正确率 {tokens:.2%}"),
    "tf_exact": ("greedy decoding of the {count:,} test sources: {exact:.2%} exactly right, in {seconds:.2f} s",
                 "对 {count:,} 个测试源序列做贪心解码：完全正确 {exact:.2%}，耗时 {seconds:.2f} 秒"),
    "tf_decoded": ("{src:<20} → {out:<20} {mark}", "{src:<20} → {out:<20} {mark}"),
    # cross-attention
    "tf_source_position": ("source token", "源序列词元"),
    "tf_output_position": ("output token", "输出词元"),
    "tf_layer": ("decoder layer", "解码器层"),
    "tf_example_index": ("test example", "测试样例"),
    "tf_map_title": ("cross-attention, decoder layer {layer} (mean of the heads)",
                     "交叉注意力，解码器第 {layer} 层（各头平均）"),
    "tf_mirror": ("share of output digits whose strongest cross-attention is on the mirrored source digit: "
                  "layer 1 {first:.1%}, layer 2 {second:.1%}",
                  "最强交叉注意力落在镜像位置源数字上的输出数字占比：第 1 层 {first:.1%}，第 2 层 {second:.1%}"),
    # pre-norm and post-norm
    "tf_pre_norm": ("pre-norm (LBDL, GPT-2)", "前置归一化（LBDL、GPT-2）"),
    "tf_post_norm": ("post-norm (Vaswani et al.)", "后置归一化（Vaswani 等）"),
    "tf_warmup_title": ("{layers} + {layers} layers, peak rate {lr:g}", "{layers} + {layers} 层，峰值学习率 {lr:g}"),
    "tf_no_warmup": ("{norm}, no warm-up", "{norm}，无预热"),
    "tf_with_warmup": ("{norm}, warm-up", "{norm}，有预热"),
    "tf_training_loss": ("training loss", "训练损失"),
    "tf_run": ("test loss {loss:.3f}   {name}", "测试损失 {loss:.3f}   {name}"),
    # exercises
    "tf_ex_layers": ("D = 768: encoder layer {enc:,}, decoder layer {dec:,}",
                     "D = 768：编码器层 {enc:,}，解码器层 {dec:,}"),
    "tf_ex_decode": ("L = {length}: {positions:>2} decoder positions, {seconds:.3f} s",
                     "L = {length}：处理 {positions:>2} 个解码器位置，耗时 {seconds:.3f} 秒"),
    "tf_check_claim": ("{exact:.1%} of the test strings reversed exactly, anti-diagonal cross-attention, "
                       "post-norm stuck without warm-up",
                       "{exact:.1%} 的测试串倒序完全正确，交叉注意力呈反对角线，后置归一化无预热时停滞不前"),
}
