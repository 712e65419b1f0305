"""The missing bits: recurrent neural networks (mb_rnn_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    "mb_rnn_shapes": ("{name}: input {x}, output {y}, last state {h}; {params:,} parameters",
                      "{name}：输入 {x}，输出 {y}，最后的状态 {h}；参数 {params:,} 个"),
    "mb_rnn_twin": ("{name} with the weights of torch.nn.{name}, float64: largest relative gap {out:.1e} on the "
                    "outputs, {grad:.1e} on the gradients (rounding bound {bound:.1e})",
                    "{name} 载入 torch.nn.{name} 的权重，float64：输出的最大相对差 {out:.1e}，梯度的最大相对差 {grad:.1e}"
                    "（舍入误差界 {bound:.1e}）"),
    "mb_rnn_task": ("marked recall at lag {lag}: inputs {x}, targets {y}; first sequence (symbols) {symbols}, "
                    "answer {answer}",
                    "间隔 {lag} 的标记回忆：输入 {x}，目标 {y}；第一条序列（符号）{symbols}，答案 {answer}"),
    "mb_rnn_gradient": ("lag {lag}, gradient reaching the input (min–max over {seeds} initialisations): {values}",
                        "间隔 {lag}，到达输入的梯度（{seeds} 次初始化的最小值–最大值）：{values}"),
    "mb_rnn_trained": ("{name}: {params:,} parameters, {steps} steps in {seconds:.1f} s (CPU time), held-out "
                       "accuracy {accuracy:.1%}",
                       "{name}：参数 {params:,} 个，{steps} 步，用时 {seconds:.1f} 秒（CPU 时间），留出集准确率 {accuracy:.1%}"),
    "mb_rnn_scan_equal": ("T = {length}: loop and scan differ by at most {gap:.1e}, at most {ratio:.1%} of the "
                          "rounding bound of each entry; dependent steps: {loop} for the loop, {scan} for the scan",
                          "T = {length}：循环与扫描最多相差 {gap:.1e}，每个元素的差都不超过其舍入误差界的 {ratio:.1%}；"
                          "前后依赖的步数：循环 {loop} 步，扫描 {scan} 步"),
    "mb_rnn_times": ("T = {length:>5}: loop {loop:7.2f} ms, scan {scan:6.2f} ms, ratio {ratio:5.1f}",
                     "T = {length:>5}：循环 {loop:7.2f} 毫秒，扫描 {scan:6.2f} 毫秒，比值 {ratio:5.1f}"),
    "mb_rnn_checked": ("the twins agree, the gradient vanishes for the plain RNN and not for the gated layers, the GRU "
                       "and the SSM solve the lag the RNN does not, the scan equals the loop and wins for long T",
                       "孪生实现一致；普通 RNN 的梯度消失而门控层不会；GRU 和 SSM 解决了 RNN 解决不了的间隔；扫描与循环结果相同，"
                       "并在 T 很长时更快"),
    # figures
    "mb_rnn_lag": ("lag (steps between the input and the last state)", "时间间隔（输入与最后状态之间的步数）"),
    "mb_rnn_grad_axis": (r"$\|\partial h_T / \partial x_t\|$ (median, min–max)",
                         r"$\|\partial h_T / \partial x_t\|$（中位数，最小值–最大值）"),
    "mb_rnn_rnn": ("Elman RNN", "Elman RNN"),
    "mb_rnn_gru0": ("GRU, update-gate bias 0", "GRU，更新门偏置 0"),
    "mb_rnn_gru": ("GRU, update-gate bias +2", "GRU，更新门偏置 +2"),
    "mb_rnn_lstm": ("LSTM, forget-gate bias +2", "LSTM，遗忘门偏置 +2"),
    "mb_rnn_ssm": ("selective SSM", "选择性 SSM"),
    "mb_rnn_steps": ("gradient steps", "梯度步数"),
    "mb_rnn_accuracy": ("held-out accuracy", "留出集准确率"),
    "mb_rnn_chance": ("chance", "随机猜测"),
    "mb_rnn_length": ("sequence length T", "序列长度 T"),
    "mb_rnn_seconds": ("time (s, median)", "时间（秒，中位数）"),
    "mb_rnn_loop": ("loop (T steps)", "循环（T 步）"),
    "mb_rnn_scan": (r"scan ($\lceil \log_2 T \rceil$ steps)", r"扫描（$\lceil \log_2 T \rceil$ 步）"),
    "mb_rnn_cov_maps": ("map $f_s$", "映射 $f_s$"),
    "mb_rnn_cov_positions": ("position $t$", "位置 $t$"),
    "mb_rnn_cov_title": ("scan steps done: {step}\neach position holds at most the last {width} maps",
                         "已做 {step} 步扫描\n每个位置至多存有最近 {width} 个映射"),
    "mb_rnn_cov_step": ("scan steps", "扫描步数"),
    # exercises
    "mb_rnn_keep": ("update-gate bias {bias:+.0f}: median gradient at lag {lag} = {value:.1e}",
                    "更新门偏置 {bias:+.0f}：间隔 {lag} 处梯度的中位数 = {value:.1e}"),
    "mb_rnn_closed": ("constant f: closed form and loop differ by at most {gap:.1e} over T = {length}",
                      "f 不随 t 变化：闭式解与循环在 T = {length} 内最多相差 {gap:.1e}"),
    "mb_rnn_count": ("{name}: {ours:,} parameters by the formula, {torch:,} in torch.nn.{name}",
                     "{name}：按公式 {ours:,} 个参数，torch.nn.{name} 中 {torch:,} 个"),
}
