"""§4.1 The notion of layer."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    "layer_described": ("{layers} modules in the Sequential, {boxes} boxes drawn once the repeats are folded; "
                        "{params:,} trainable parameters",
                        "Sequential 中有 {layers} 个模块，合并重复部分后画出 {boxes} 个方框；可训练参数共 {params:,} 个"),
    "layer_parameter": ("parameter", "参数"),
    "layer_buffer": ("buffer", "缓冲区"),
    "layer_row": ("{name:<24} shape {shape:<8} numel {count:<4} requires_grad={grad!s:<6} {kind}",
                  "{name:<24} 形状 {shape:<8} 元素数 {count:<4} requires_grad={grad!s:<6} {kind}"),
    "layer_totals": ("{params} trainable values, {buffers} values in buffers; the state_dict holds {keys} tensors",
                     "可训练的值共 {params} 个，缓冲区中的值共 {buffers} 个；state_dict 保存 {keys} 个张量"),
    "layer_hyper": ("hyper-parameters: in_features={inputs}, out_features={outputs}, eps={eps}, momentum={momentum}, "
                    "negative_slope={slope}",
                    "超参数：in_features={inputs}，out_features={outputs}，eps={eps}，momentum={momentum}，"
                    "negative_slope={slope}"),
    "layer_optimizer": ("gradient descent updated {count} values, those of the parameters; the buffers have no gradient",
                        "梯度下降更新了 {count} 个值，都是参数的值；缓冲区没有梯度"),
    "layer_change_row": ("{name:<24} largest change {change:.2e}", "{name:<24} 最大变化 {change:.2e}"),
    "layer_grad_row": ("{name:<9} largest |gradient| {grad:.2e}, rounding bound {bound:.2e}, ratio {ratio:.1e}",
                       "{name:<9} 梯度最大绝对值 {grad:.2e}，舍入误差上界 {bound:.2e}，两者之比 {ratio:.1e}"),
    "layer_all_trained": ("every layer trained", "所有层都参与训练"),
    "layer_first_frozen": ("first layer frozen", "冻结第一层"),
    "layer_checked": ("describe, parameter counts, parameters and buffers, the redundant bias, freezing",
                      "describe、参数计数、参数与缓冲区、多余的偏置、冻结"),
}
