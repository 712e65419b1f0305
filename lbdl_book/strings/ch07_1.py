"""§7.1 Text generation (tg_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # a language model writes
    "tg_gpt3": ("GPT-3 by the formula of §5.3: {count:.1f} billion parameters; feed-forward width 4D = {hidden:,}; "
                "the misprinted 49,512 would add {extra:.2f} billion",
                "按 §5.3 的公式计算 GPT-3：{count:.1f} × 10⁹ 个参数；前馈宽度 4D = {hidden:,}；"
                "误印的 49,512 会多出 {extra:.2f} × 10⁹ 个参数"),
    "tg_char_gpt": ("the shipped char-GPT ({params:,} parameters), three samples at temperature 1:",
                    "随包的字符级 GPT（{params:,} 个参数），温度 1 下的三个样本："),
    "tg_next": ("most probable next characters: {text}\nnucleus size: {nucleus}",
                "最可能的下一个字符：{text}\n核的大小：{nucleus}"),
    # the trade-off
    "tg_table_header": ("decoding took {seconds:.1f} s of CPU time\n     setting  log-lik./char     distinct-2"
                        "       distinct-3   text after the first prompt",
                        "解码用时 {seconds:.1f} 秒 CPU 时间\n        设置   每字符对数似然     distinct-2"
                        "       distinct-3   第一个提示之后的文本"),
    "tg_setting_greedy": ("greedy", "贪心"),
    "tg_setting_beam": ("beam (B = 4)", "束搜索（B = 4）"),
    "tg_setting_val": ("real text", "真实文本"),
    "tg_curve_temperature": ("temperature τ", "温度 τ"),
    "tg_curve_top_k": ("top-k", "top-k"),
    "tg_curve_top_p": ("top-p (nucleus)", "top-p（核采样）"),
    "tg_val_text": ("validation text", "验证文本"),
    "tg_axis_likelihood": ("log-likelihood per character under the model (nats)", "模型给出的每字符对数似然（奈特）"),
    "tg_axis_distinct": ("distinct-{n} (share of distinct character {n}-grams)",
                         "distinct-{n}（不同字符 {n}-gram 的占比）"),
    "tg_samples_title": ("{setting}: log-likelihood {ll:.2f} nats/char, distinct-3 {d3:.2f} (means over 16 prompts)",
                         "{setting}：对数似然 {ll:.2f} 奈特/字符，distinct-3 {d3:.2f}（16 个提示的均值）"),
    "tg_slider_setting": ("setting", "设置"),
    # knowledge in the weights
    "tg_facts_sizes": ("{facts} invented facts; {sentences} training sentences, {words} words in the vocabulary, "
                       "{held_out} held-out prompts. The phrasings of one paraphrase fact:",
                       "{facts} 条虚构事实；{sentences} 个训练句子，词表 {words} 个词，{held_out} 个留出的提示。"
                       "一条“改写”组事实的各种说法："),
    "tg_held_out": ("held out", "留出"),
    "tg_trained": ("trained ", "训练"),
    "tg_facts_trained": ("fact model: {params:,} parameters, {epochs} epochs in {seconds:.1f} s of CPU time; "
                         "training loss {first:.2f} → {last:.2f}",
                         "事实模型：{params:,} 个参数，{epochs} 轮，用时 {seconds:.1f} 秒 CPU 时间；"
                         "训练损失 {first:.2f} → {last:.2f}"),
    "tg_cond_paraphrase_trained": ("paraphrase facts, trained phrasings", "改写组，训练过的说法"),
    "tg_cond_paraphrase_held": ("paraphrase facts, held-out phrasing", "改写组，留出的说法"),
    "tg_cond_reversal_trained": ("reversal facts, country first (trained)", "逆转组，国家在前（训练过）"),
    "tg_cond_reversal_held": ("reversal facts, capital first (held out)", "逆转组，首都在前（留出）"),
    "tg_cond_unseen": ("unseen facts, all phrasings", "未见组，所有说法"),
    "tg_cond_row": ("{name:<44} {n:4d} prompts: accuracy {acc:6.1%}, mean rank of the answer {rank:5.1f} ± {rank_se:.1f}",
                    "{name:<18} {n:4d} 个提示：准确率 {acc:6.1%}，正确答案的平均名次 {rank:5.1f} ± {rank_se:.1f}"),
    "tg_chance": ("chance ({chance:.1%})", "随机猜测（{chance:.1%}）"),
    "tg_accuracy": ("greedy completion accuracy", "贪心补全的准确率"),
    "tg_checked": ("GPT-3's count and width; the nucleus grows with p; each step of temperature, top-k and top-p, "
                   "and greedy against beam search, changes the likelihood beyond 3 standard errors, and distinct-3 "
                   "rises from τ = 0.5 to 1.5 and from greedy and beam search to τ = 1.5; real text is less likely "
                   "than the samples at τ = 1 and as varied; the beam score is the log-likelihood; held-out paraphrases "
                   "are completed, reversed phrasings and unseen facts are not, with a trace of the reverse "
                   "association",
                   "GPT-3 的参数量与宽度；核随 p 变大；温度、top-k、top-p 的每一步以及贪心与束搜索之间，似然的变化都超过 "
                   "3 个标准误；从 τ = 0.5 到 1.5、从贪心和束搜索到 τ = 1.5，distinct-3 都上升；真实文本不如 τ = 1 "
                   "的样本可能，多样性相当；束的得分就是对数似然；留出的改写说法能补全，反向说法和未见事实不能，"
                   "但反向关联留有痕迹"),
    "tg_group_rank": ("reversed prompts ({n}): the greedy answer is a country {countries:.0%} of the time; mean rank "
                      "of the right country among the 12 of the group {rank:.2f} (a guess: 6.50 ± {se:.2f})",
                      "反向提示（{n} 个）：贪心答案是国家名的比例为 {countries:.0%}；正确国家在本组 12 个国家中的平均名次 "
                      "{rank:.2f}（随机猜测：6.50 ± {se:.2f}）"),
    # exercises
    "tg_ex_beam": ("beam {beam}: best score of the 4 prompts {scores}", "束宽 {beam}：4 个提示的最佳得分 {scores}"),
    "tg_ex_untied": ("untied embeddings: mean rank of the right country among the 12 of the group {rank:.2f} "
                     "(a guess: 6.50 ± {se:.2f}; tied: {tied:.2f}); held-out paraphrases completed: {held:.1%}",
                     "不绑定嵌入：正确国家在本组 12 个国家中的平均名次 {rank:.2f}（随机猜测：6.50 ± {se:.2f}；"
                     "绑定时：{tied:.2f}）；留出改写说法的补全准确率：{held:.1%}"),
}
