"""Chapter 3, §3.5: the value of depth."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    "depth_class": ("class {k}", "类别 {k}"),
    "depth_panel": ("$d$ = {d}", "$d$ = {d}"),
    "depth_decision_boundary": ("decision boundary", "决策边界"),
    "depth_best_line_raw": (
        "best straight line on the raw points: accuracy {acc:.3f}",
        "原始数据上最好的直线：准确率 {acc:.3f}",
    ),
    "depth_trained": (
        "{params} parameters; after {steps} steps: loss {loss:.4f}, training accuracy {acc:.3f}",
        "共 {params} 个参数；训练 {steps} 步后：损失 {loss:.4f}，训练准确率 {acc:.3f}",
    ),
    "depth_best_line_per_layer": (
        "best straight line on x^({d}): accuracy {acc:.3f}",
        "在 x^({d}) 上最好的直线：准确率 {acc:.3f}",
    ),
    "depth_explore_title": ("after {step} training steps, $d$ = {d}", "训练 {step} 步后，$d$ = {d}"),
    "depth_training_steps": ("training steps", "训练步数"),
    "depth_layers_applied": ("layers applied $d$", "经过的层数 $d$"),
    "depth_sawtooth_label": ("$k$ = {k}: {pieces} pieces", "$k$ = {k}：{pieces} 段"),
    "depth_sawtooth_ylabel": ("$\\mathrm{{tent}}^{{\\circ k}}(x)$", "$\\mathrm{{tent}}^{{\\circ k}}(x)$"),
    "depth_sawtooth_row": (
        "k = {k}: deep {deep_params} parameters, {pieces} pieces | one hidden layer: "
        "at least {units} units, {shallow_params} parameters",
        "k = {k}：深层网络 {deep_params} 个参数，{pieces} 段 | 单隐藏层：至少 {units} 个单元，"
        "{shallow_params} 个参数",
    ),
    "depth_check_claim": (
        "no line separates the raw moons, one separates x^(8); k layers make 2^k pieces",
        "原始数据不能被直线分开，x^(8) 可以；k 层得到 2^k 段",
    ),
    # exercises
    "depth_without_tanh": (
        "without tanh: accuracy {acc:.3f} <= best straight line {best:.3f}",
        "去掉 tanh：准确率 {acc:.3f} <= 最好的直线 {best:.3f}",
    ),
    "depth_hidden_units": (
        "one hidden layer within 54 parameters: H = {h} units",
        "54 个参数以内的单隐藏层网络：H = {h} 个单元",
    ),
    "depth_shallow_pieces": (
        "random shallow network with 16 units: {pieces} pieces; eight tent layers: {deep}",
        "16 个单元的随机浅层网络：{pieces} 段；8 层帐篷映射：{deep} 段",
    ),
    "depth_rings": (
        "width {width}: training accuracy {acc:.3f}, class 0 on {far:.1%} of the circle of radius 2",
        "宽度 {width}：训练准确率 {acc:.3f}，半径为 2 的圆上有 {far:.1%} 被判为类别 0",
    ),
    "depth_layer_gradients": (
        "gradient norm of each layer at the start: {norms}",
        "初始时各层梯度的范数：{norms}",
    ),
    "depth_sgd": (
        "learning rate {lr}: after {steps} steps, plain gradient descent {sgd:.3f}, Adam {adam:.3f}",
        "学习率 {lr}：训练 {steps} 步后，普通梯度下降 {sgd:.3f}，Adam {adam:.3f}",
    ),
}
