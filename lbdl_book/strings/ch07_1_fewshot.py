"""§7.1 Few-shot prediction (fs_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # figures
    "fs_shots": ("number of examples in the prompt (shots)", "提示中的示例数（shot 数）"),
    "fs_accuracy": ("accuracy of the answer", "回答的准确率"),
    "fs_model": ("the shipped GPT, {n:,} test prompts per point (±2 s.e.)",
                 "随书权重的 GPT，每个点 {n:,} 个测试提示（±2 个标准误）"),
    "fs_live": ("the live run ({seconds:.0f} s)", "现场训练（{seconds:.0f} 秒）"),
    "fs_chance": ("chance: a label word of the prompt at random", "随机水平：从提示里的标签词中随机挑一个"),
    "fs_ceiling": ("ceiling: an ideal reader of the prompt", "上限：理想读者"),
    "fs_epoch": ("pre-training epoch", "预训练轮次"),
    "fs_k_shots": ("{k} shots", "{k} 个示例"),
    "fs_attention": ("attention of the answer position (last layer, mean of heads)",
                     "回答位置的注意力（最后一层，各头平均）"),
    "fs_probability": ("probability of the next word", "下一个词的概率"),
    "fs_answer": ("answer: {word}", "正确答案：{word}"),
    # printed text
    "fs_sample": ("{n} training tasks, for example:", "{n} 个训练任务，例如："),
    "fs_model_size": ("GPT: {params:,} parameters, vocabulary of {vocab} words, context {context}",
                      "GPT：{params:,} 个参数，词表 {vocab} 个词，上下文 {context}"),
    "fs_live_done": ("live run: {steps} steps in {seconds:.1f} s of CPU time; answer loss {first:.2f} → {last:.2f}; "
                     "accuracy at 8 shots {acc:.1%}",
                     "现场训练：{steps} 步，CPU 时间 {seconds:.1f} 秒；回答处的损失 {first:.2f} → {last:.2f}；"
                     "8 个示例时准确率 {acc:.1%}"),
    "fs_shipped": ("shipped weights: {steps:,} steps, {seconds:.0f} s of CPU time (`make weights`)",
                   "随书权重：{steps:,} 步，CPU 时间 {seconds:.0f} 秒（`make weights`）"),
    "fs_row": ("{k} shots: accuracy {acc:6.1%}   chance {chance:6.1%}   ceiling {ceiling:6.1%}",
               "{k} 个示例：准确率 {acc:6.1%}   随机水平 {chance:6.1%}   上限 {ceiling:6.1%}"),
    "fs_attention_mass": ("attention of the query on the labels of its shape {same:.2f}, on the other labels "
                          "{other:.2f} (mean over the 8-shot prompts)",
                          "查询对同形状示例标签的注意力 {same:.2f}，对其他标签的注意力 {other:.2f}（8 个示例的提示上的平均）"),
    "fs_checked": ("the shipped GPT learns the rules of new prompts from their examples",
                   "随书权重的 GPT 能从提示中的示例学到新规则"),
}
