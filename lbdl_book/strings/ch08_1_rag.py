"""§8.1 Retrieval-augmented generation (rag_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    "rag_world": ("{docs} documents about {facts} invented countries ({train} training facts, {test} held out); "
                  "{questions} questions about the held-out facts. Examples:",
                  "{docs} 篇文档，讲 {facts} 个虚构国家（训练事实 {train} 个，留出 {test} 个）；关于留出事实的问题共 "
                  "{questions} 个。例子："),
    "rag_bm25_top": ("BM25 for {query!r}:", "BM25 对问题 {query!r} 的检索结果："),
    "rag_hit": ("  {score:6.2f}  {doc}{mark}", "  {score:6.2f}  {doc}{mark}"),
    "rag_right": ("   ← the right document", "   ← 正确文档"),
    "rag_encoder": ("retriever trained in {seconds:.1f} s CPU: {params:,} trainable parameters, InfoNCE loss "
                    "{first:.2f} → {last:.4f}",
                    "检索器训练用时 {seconds:.1f} 秒 CPU：可训练参数 {params:,} 个，InfoNCE 损失 {first:.2f} → {last:.4f}"),
    "rag_recall_head": ("recall@k on the {n} questions about held-out facts ({m} documents):",
                        "在关于留出事实的 {n} 个问题上的前 k 召回率（共 {m} 篇文档）："),
    "rag_recall_row": ("  {name:<26} k = 1: {r1:.3f}   k = 3: {r3:.3f}   k = 5: {r5:.3f}",
                       "  k = 1：{r1:.3f}   k = 3：{r3:.3f}   k = 5：{r5:.3f}   {name}"),
    "rag_bm25": ("BM25", "BM25"),
    "rag_bow": ("bag of words (untrained)", "词袋（未训练）"),
    "rag_embedding": ("embedding (trained)", "嵌入（训练后）"),
    "rag_top": ("top {k} of {name}", "{name}：前 {k} 篇"),
    "rag_generator": ("generator: GPT with {params:,} parameters, trained in {seconds:.0f} s CPU on {n:,} prompts for "
                      "{epochs} epochs (loss {first:.2f} → {last:.3f})",
                      "生成器：参数 {params:,} 个的 GPT，在 {n:,} 个提示上训练 {epochs} 轮，用时 {seconds:.0f} 秒 CPU"
                      "（损失 {first:.2f} → {last:.3f}）"),
    "rag_answers_head": ("answer accuracy on the {n} questions about held-out facts:",
                         "在关于留出事实的 {n} 个问题上回答的准确率："),
    "rag_answer_row": ("  {name:<32} {acc:.3f} ± {se:.3f}", "  {acc:.3f} ± {se:.3f}   {name}"),
    "rag_none": ("no documents", "不给文档"),
    "rag_oracle": ("the right document (oracle)", "只给正确文档（理想检索）"),
    "rag_chance": ("  chance: 1/{n} = {p:.3f}", "  随机猜测：1/{n} = {p:.3f}"),
    "rag_flops_row": ("  {length:>6} tokens: {flops:.2e} multiply-adds, {share:.0%} of them in Q Kᵀ and the weighted sum",
                      "  {length:>6} 个词元：{flops:.2e} 次乘加，其中 {share:.0%} 在 Q Kᵀ 与加权求和"),
    "rag_times": ("attention on {lengths} tokens: {times} ms (median); slope of log time against log length "
                  "between the two largest: {slope:.2f}",
                  "{lengths} 个词元上的注意力：{times} 毫秒（中位数）；最长两者之间，对数时间对对数长度的斜率：{slope:.2f}"),
    "rag_fit": ("a context of {context:,} tokens holds {docs:,} documents of {words} tokens beside the question",
                "{context:,} 个词元的上下文，除问题外能放下 {docs:,} 篇 {words} 个词元的文档"),
    "rag_checked": ("the trained embedding retriever beats BM25 at k = 1; retrieval lifts the "
                    "answers from chance; the generator does better with the embedding's best document than with its "
                    "three best; attention cost grows as the square of the context",
                    "训练后的嵌入检索器在 k = 1 时胜过 BM25；检索让回答远高于随机猜测；生成器拿到嵌入检索器排名第一的"
                    "文档时比拿到前三篇时答得更好；注意力的代价随上下文长度的平方增长"),
    "rag_axis_k": ("k (documents kept)", "k（保留的文档数）"),
    "rag_axis_recall": ("recall@k, held-out questions", "前 k 召回率（留出问题）"),
    "rag_axis_accuracy": ("answer accuracy, held-out questions", "回答准确率（留出问题）"),
    "rag_ex_idf": ("{word!r} is in {n} of {N} documents, idf = {idf:.4f}; score of {doc!r}: by hand {hand:.6f}, "
                   "bm25_scores {lib:.6f}",
                   "{N} 篇文档中有 {n} 篇含 {word!r}，idf = {idf:.4f}；{doc!r} 的得分：手算 {hand:.6f}，"
                   "bm25_scores 给出 {lib:.6f}"),
    "rag_ex_random": ("random retriever, recall@{k}: measured {measured:.3f}, expected k/M = {expected:.3f}",
                      "随机检索器的前 {k} 召回率：实测 {measured:.3f}，期望 k/M = {expected:.3f}"),
}
