"""Chapter 3, §3.2 autoregressive models (keys prefixed ``ar_``)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # the chain rule on a toy vocabulary
    "ar_sequence": ("sequence $(x_1, x_2, x_3)$", "序列 $(x_1, x_2, x_3)$"),
    "ar_probability": ("probability", "概率"),
    "ar_chain_rule": ("chain rule $\\hat P(x_1)\\,\\hat P(x_2 | x_1)\\,\\hat P(x_3 | x_1, x_2)$",
                      "链式法则 $\\hat P(x_1)\\,\\hat P(x_2 | x_1)\\,\\hat P(x_3 | x_1, x_2)$"),
    "ar_chain_rule_check": (
        "sum of the 27 chain-rule probabilities: {total:.6f}; total variation distance to the sampled "
        "frequencies: {tv:.4f}",
        "27 个序列的链式法则概率之和：{total:.6f}；与采样频率之间的总变差距离：{tv:.4f}",
    ),
    "ar_sampled": ("frequency in {n:,} sequences sampled token by token", "逐词元采样 {n:,} 个序列得到的频率"),
    # Figure 3.1
    "ar_fig_blue": ("$l_s$ depends on $x_t$ ($s > t$): one pass computes every $l_s$",
                    "$l_s$ 依赖于 $x_t$（$s > t$）：一次前向计算得到所有 $l_s$"),
    "ar_fig_red": ("sampling: $x_t$ is drawn from $l_t$, then fed back", "采样：由 $l_t$ 抽取 $x_t$，再送回输入"),
    "ar_fig_inputs": ("inputs", "输入"),
    "ar_fig_logits": ("logits", "logits"),
    # Jacobian heat maps
    "ar_causal_title": ("causal: window $x_{{t-4}} \\dots x_{{t-1}}$", "因果：窗口 $x_{{t-4}} \\dots x_{{t-1}}$"),
    "ar_noncausal_title": ("not causal: window $x_{{t-2}} \\dots x_{{t+1}}$", "非因果：窗口 $x_{{t-2}} \\dots x_{{t+1}}$"),
    "ar_output_position": ("output position $t$ (logits $l_t$)", "输出位置 $t$（logits $l_t$）"),
    "ar_input_position": ("input position $s$ (token $x_s$)", "输入位置 $s$（词元 $x_s$）"),
    "ar_dependency": ("$\\max |\\partial l_t / \\partial e_s|$", "$\\max |\\partial l_t / \\partial e_s|$"),
    # one pass versus T passes
    "ar_one_pass": (
        "one pass: {one:.2f} ms; {T} passes, one per position: {many:.1f} ms ({ratio:.0f}× slower); "
        "largest difference between the logits: {diff:.1e}",
        "一次前向：{one:.2f} 毫秒；逐位置 {T} 次前向：{many:.1f} 毫秒（慢 {ratio:.0f} 倍）；两种算法的 logits 最大差异：{diff:.1e}",
    ),
    # tokenizer
    "ar_tokenizer_summary": (
        "{name}: {chars:,} characters → {tokens:,} tokens ({ratio:.2f} tokens per character), "
        "vocabulary {alphabet} characters + {merges} merges",
        "{name}：{chars:,} 个字符 → {tokens:,} 个词元（每个字符 {ratio:.2f} 个词元），词表为 {alphabet} 个字符 + {merges} 次合并",
    ),
    "ar_english": ("English", "英文"),
    "ar_chinese": ("Chinese", "中文"),
    "ar_first_merges": ("first merges:", "最先学到的合并："),
    "ar_longest_tokens": ("longest tokens:", "最长的词元："),
    "ar_unknown_character": ("unknown character: {error}", "未知字符：{error}"),
    "ar_num_merges": ("number of merges", "合并次数"),
    "ar_segmentation": (
        "{name}, {merges} merges: {tokens} tokens for {chars} characters ({ratio:.2f} per character)",
        "{name}，{merges} 次合并：{chars} 个字符切成 {tokens} 个词元（每个字符 {ratio:.2f} 个）",
    ),
    # training a character-level model
    "ar_dataset": (
        "{K} characters in the vocabulary; {train:,} training characters, {val:,} validation characters "
        "(the last two paragraphs)",
        "词表含 {K} 个字符；训练集 {train:,} 个字符，验证集 {val:,} 个字符（最后两段）",
    ),
    "ar_perplexity_table": ("perplexity:", "困惑度："),
    "ar_unigram_val": ("character frequencies (unigram), validation text", "字符频率（一元模型），验证文本"),
    "ar_uniform": ("uniform model", "均匀分布模型"),
    "ar_unigram": ("character frequencies (unigram)", "字符频率（一元模型）"),
    "ar_model_train": ("causal model, training text", "因果模型，训练文本"),
    "ar_model_val": ("causal model, validation text", "因果模型，验证文本"),
    "ar_perplexity": ("perplexity", "困惑度"),
    "ar_val_curve": ("causal model, validation", "因果模型，验证集"),
    "ar_train_curve": ("causal model, training (running mean)", "因果模型，训练集（本轮平均）"),
    "ar_claims": ("chain rule, causality, one-pass training, BPE round trip, perplexity",
                  "链式法则、因果性、一次前向的训练、BPE 精确还原、困惑度"),
    "ar_cheat": ("validation perplexity of the non-causal model: {cheat:.2f} (causal model: {causal:.2f})",
                 "非因果模型的验证困惑度：{cheat:.2f}（因果模型：{causal:.2f}）"),
    "ar_context_row": ("context {context}: training perplexity {train:5.2f}, validation perplexity {val:5.2f}",
                       "context = {context}：训练困惑度 {train:5.2f}，验证困惑度 {val:5.2f}"),
    "ar_sample_header": ("samples, each starting from the prompt {prompt!r}:", "采样结果，均以 {prompt!r} 开头："),
}
