"""§8.1 Prompt engineering: chain of thought (pe_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    "pe_title_8_1": ("Figure 8.1 (reconstructed): the generated text is in bold",
                     "图 8.1（重构）：粗体为模型生成的文字"),
    "pe_prompt_1": ("Prompt 1: an example with its steps, then the question", "提示 1：先给带步骤的示例，再提问"),
    "pe_prompt_2": ("Prompt 2: the same, with \"Let's proceed step by step.\"",
                    "提示 2：同上，加上 \"Let's proceed step by step.\"（我们一步一步来）"),
    "pe_targets": ("{prompt}   direct target: {direct} | chain-of-thought target: {cot}",
                   "{prompt}   直接作答的目标：{direct}｜思维链的目标：{cot}"),
    "pe_ex_chains": ("whole chain right: {whole:.3f}, final answer right: {final:.3f}",
                     "整条链都正确：{whole:.3f}；最终答案正确：{final:.3f}"),
    "pe_without": ("without chain of thought", "不用思维链"),
    "pe_with": ("with chain of thought", "使用思维链"),
    "pe_model": ("GPT of {params:,} parameters; 6 models (2 targets × {seeds} seeds) trained in {seconds:.1f} s",
                 "GPT，{params:,} 个参数；6 个模型（2 种目标 × {seeds} 个随机种子）共训练 {seconds:.1f} 秒"),
    "pe_example": ("{prompt}  →  {output}   (right answer: {truth})", "{prompt}  →  {output}（正确答案：{truth}）"),
    "pe_row": ("{steps} step(s): direct {direct:.2f} ± {se_direct:.2f}, chain of thought {cot:.2f} ± {se_cot:.2f}",
               "{steps} 步：直接作答 {direct:.2f} ± {se_direct:.2f}，思维链 {cot:.2f} ± {se_cot:.2f}"),
    "pe_axis_steps": ("number of operations in the problem", "题目中的运算个数"),
    "pe_axis_accuracy": ("accuracy of the final answer", "最终答案的准确率"),
    "pe_checked": ("chain of thought helps at every length", "思维链在每种长度上都有帮助"),
    "pe_title": ("Same model, same data, same steps: only the target differs",
                 "同样的模型、数据和训练步数，只有目标不同"),
}
