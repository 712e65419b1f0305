"""The missing bits: graph neural networks (mb_gnn_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # the karate club
    "mb_gnn_karate": ("Zachary's karate club: {nodes} members, {edges} friendships ({entries} entries in edge_index "
                      "{shape}); {hi} members sided with Mr. Hi (member 0), {officer} with the Officer (member 33); "
                      "degrees from {dmin} to {dmax}",
                      "Zachary 空手道俱乐部：{nodes} 名成员，{edges} 条友谊边（edge_index {shape} 中共 {entries} 项）；"
                      "{hi} 人站在 Mr. Hi（成员 0）一边，{officer} 人站在主席（成员 33）一边；度数从 {dmin} 到 {dmax}"),
    "mb_gnn_sum": ("book's layer (neighbour sum): output {shape}; largest gap to the explicit sum over neighbours "
                   "{gap:.1e}",
                   "书中的层（邻居求和）：输出形状 {shape}；与逐个邻居显式求和的最大差距 {gap:.1e}"),
    "mb_gnn_spectrum": ("largest eigenvalue of A: {rho:.2f} (a product by A can stretch a vector {rho:.2f}-fold); "
                        "eigenvalues of Â: from {low:.3f} to {high:.3f}",
                        "A 的最大特征值：{rho:.2f}（乘一次 A，向量最多被拉长 {rho:.2f} 倍）；Â 的特征值：从 {low:.3f} 到 {high:.3f}"),
    "mb_gnn_params": ("GCN {widths}: {params} parameters", "GCN {widths}：参数 {params} 个"),
    "mb_gnn_trained": ("{steps} steps from the labels of members 0 and 33: loss {first:.3f} → {last:.3f}; accuracy on "
                       "the other {n} members {acc:.1%} (wrong: {wrong})",
                       "只用成员 0 和 33 的标签训练 {steps} 步：损失 {first:.3f} → {last:.3f}；其余 {n} 名成员的准确率 "
                       "{acc:.1%}（分错：{wrong}）"),
    "mb_gnn_baseline": ("nearest leader (in hops): {right} right, {wrong} wrong, {ties} ties, expected accuracy "
                        "{expected:.1%} with ties settled by a coin; the larger faction alone: {majority:.1%}",
                        "最近的领袖（按跳数）：对 {right} 个，错 {wrong} 个，{ties} 个距离相等，平局掷硬币决定时期望准确率 "
                        "{expected:.1%}；全部猜人数较多的一派：{majority:.1%}"),
    "mb_gnn_seeds": ("accuracy on the other 32 members, 5 initialisations: {scores}",
                     "5 次不同初始化下其余 32 人的准确率：{scores}"),
    "mb_gnn_none": ("none", "无"),
    "mb_gnn_faction_0": ("Mr. Hi", "Mr. Hi"),
    "mb_gnn_faction_1": ("Officer", "主席"),
    "mb_gnn_labelled": ("labelled", "有标签"),
    "mb_gnn_wrong": ("wrongly predicted", "预测错误"),
    "mb_gnn_predicted": ("predicted: {name}", "预测：{name}"),
    "mb_gnn_step_title": ("after {step} training steps: {acc:.0%} of the other 32 right",
                          "训练 {step} 步后：其余 32 人中对 {acc:.0%}"),
    "mb_gnn_step": ("training step", "训练步数"),
    # the stochastic block model
    "mb_gnn_sbm": ("stochastic block model: {nodes} vertices in {blocks} blocks, {edges} edges ({inside:.0%} inside "
                   "a block), {features} features per vertex; {labelled} labelled vertices; connected: {connected}",
                   "随机块模型：{nodes} 个顶点分成 {blocks} 块，{edges} 条边（{inside:.0%} 在块内），每个顶点 {features} 维特征；"
                   "有标签的顶点 {labelled} 个；连通：{connected}"),
    "mb_gnn_depth_row": ("{layers:2d} layers: accuracy {acc:.1%} (runs: {runs}); spread of the last hidden layer "
                         "{spread:.3f}",
                         "{layers:2d} 层：准确率 {acc:.1%}（各次：{runs}）；最后一个隐藏层的分散度 {spread:.3f}"),
    "mb_gnn_propagation": ("spread of Â^k X: {spreads}; |λ₂| = {lam:.3f}, rate measured from k = 8 to 16: {rate:.3f}",
                           "Â^k X 的分散度：{spreads}；|λ₂| = {lam:.3f}，从 k = 8 到 16 测得的衰减率：{rate:.3f}"),
    "mb_gnn_layers": ("number of layers", "层数"),
    "mb_gnn_accuracy": ("accuracy on unlabelled vertices", "无标签顶点上的准确率"),
    "mb_gnn_chance": ("chance (1/3)", "随机猜测（1/3）"),
    "mb_gnn_k": ("$k$ (products by $\\hat A$)", "$k$（乘 $\\hat A$ 的次数）"),
    "mb_gnn_spread": ("spread of the vertices' directions", "顶点方向的分散度"),
    "mb_gnn_spread_prop": ("$\\hat A^k X$ (no weights)", "$\\hat A^k X$（无权重）"),
    "mb_gnn_spread_rate": ("$|\\lambda_2|^k$, scaled", "$|\\lambda_2|^k$（缩放后）"),
    "mb_gnn_spread_trained": ("trained GCN, last hidden layer ($k$ = layers − 1)",
                              "训练后的 GCN，最后一个隐藏层（$k$ = 层数 − 1）"),
    "mb_gnn_acc_title": ("accuracy against depth", "准确率随深度的变化"),
    "mb_gnn_spread_title": ("over-smoothing", "过平滑"),
    "mb_gnn_checked": ("the book's layer is the neighbour sum; Â has its eigenvalues in (−1, 1]; from two labels the "
                       "GCN gets at least 30 of the other 32 members right with every seed, above the nearest-leader "
                       "baseline; on the block model, accuracy peaks at a few layers and falls to chance by 16, while "
                       "the spread of Â^k X shrinks at the rate |λ₂|",
                       "书中的层就是邻居求和；Â 的特征值都在 (−1, 1] 内；只用两个标签，GCN 对每个随机种子都能把其余 32 "
                       "人中至少 30 人分对，胜过“最近的领袖”基线；在随机块模型上，准确率在几层时最高，到 16 层跌到随机水平，"
                       "而 Â^k X 的分散度以 |λ₂| 的速率缩小"),
    # exercises
    "mb_gnn_permuted": ("largest gap between GCN(permuted graph) and the permuted GCN output: {gap:.1e} (bound {bound:.1e})",
                        "GCN(置换后的图) 与置换后的 GCN 输出之间的最大差距：{gap:.1e}（上界 {bound:.1e}）"),
    "mb_gnn_growth": ("k = {k}: |A^k X| = {plain:.3g}, |Â^k X| = {normed:.3g}",
                      "k = {k}：|A^k X| = {plain:.3g}，|Â^k X| = {normed:.3g}"),
    "mb_gnn_plain_vs_norm": ("accuracy on the other 32 over 5 seeds: neighbour sum {plain}; normalised {normed}",
                             "5 个随机种子下其余 32 人的准确率：邻居求和 {plain}；归一化 {normed}"),
}
