"""§3.7 The benefits of scale."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # Figure 3.6: Kaplan et al.'s fits
    "scale_test_loss": ("test loss (nats per token)", "测试损失（奈特/词元）"),
    "scale_panel_compute": ("compute", "计算量"),
    "scale_panel_data": ("dataset size", "数据集大小"),
    "scale_panel_parameters": ("parameters", "参数量"),
    "scale_axis_compute": ("PF-days, non-embedding", "PF-days，不含嵌入层"),
    "scale_axis_data": ("tokens", "词元数"),
    "scale_axis_parameters": ("non-embedding", "不含嵌入层"),
    "scale_tenfold": ("{name}: ×10 multiplies the predicted loss by {factor:.3f} ({percent:.1f} % lower)",
                      "{name}：增大到 10 倍，预测损失乘以 {factor:.3f}（降低 {percent:.1f}%）"),
    "scale_compute_constants": ("compute law with the figure's C_c = 2.3e8 or Eq. (1.3)'s 3.1e8 PF-days: "
                                "the predicted loss differs by {percent:.2f} %",
                                "计算量定律取图中的 C_c = 2.3e8 或式 (1.3) 的 3.1e8 PF-days："
                                "预测损失相差 {percent:.2f}%"),
    # the sweep
    "scale_student_parameters": ("parameters $N$ of the student", "学生网络的参数量 $N$"),
    "scale_relative_loss": ("test loss (MSE / variance of the targets)", "测试损失（均方误差 / 目标方差）"),
    "scale_train_points": ("{n:,} training points", "{n:,} 个训练点"),
    "scale_train_loss_label": ("training loss, {n:,} points", "训练损失，{n:,} 个点"),
    "scale_fit_label": ("fit: $L = {c:.2f}\\, N^{{{k:.2f}}}$", "拟合：$L = {c:.2f}\\, N^{{{k:.2f}}}$"),
    "scale_sweep_row": ("N = {n:>4}: test loss {big:.2e} with {n_big:,} points, "
                        "{small:.2e} with {n_small:,} points",
                        "N = {n:>4}：{n_big:,} 个点时测试损失 {big:.2e}，{n_small:,} 个点时 {small:.2e}"),
    "scale_sweep_span": ("the students span N = {low} to {high} parameters: {decades:.1f} decades",
                         "学生网络的参数量从 N = {low} 到 {high}：跨越 {decades:.1f} 个数量级"),
    "scale_sweep_fit": ("{n:,} training points: L ≈ {c:.3f} · N^({k:.3f}), R² = {r2:.4f}",
                        "{n:,} 个训练点：L ≈ {c:.3f} · N^({k:.3f})，R² = {r2:.4f}"),
    # Table 3.1
    "scale_tab_dataset": ("dataset", "数据集"),
    "scale_tab_year": ("year", "年份"),
    "scale_tab_count": ("size in items (as in LBDL)", "条目数（LBDL 原表）"),
    "scale_tab_images": ("{count} images", "{count} 张图像"),
    "scale_tab_books": ("{count} books", "{count} 本书"),
    "scale_tab_size": ("size in bytes", "字节数"),
    "scale_tab_per_item": ("bytes per item", "每条字节数"),
    "scale_tab_books_recount": ("books of 500,000 characters that fit", "按每本 50 万字符折算的书数"),
    "scale_tab_caption": ("Table 3.1 — Some public datasets (from LBDL), with two columns computed here.",
                          "表 3.1 —— 一些公开数据集（取自 LBDL），另加两列在此计算的数值。"),
    # Figure 3.7
    "scale_year": ("year", "年份"),
    "scale_training_cost": ("training cost (FLOP)", "训练成本（FLOP）"),
    "scale_domain_vision": ("computer vision", "计算机视觉"),
    "scale_domain_language": ("natural language processing", "自然语言处理"),
    "scale_domain_other": ("other", "其他"),
    "scale_energy_line": ("{energy} of A100 SXM at 16-bit peak", "{energy}（A100 SXM，16 位峰值）"),
    "scale_energy_report": ("A100 SXM: {flops:.3g} FLOP/s / {watts:.0f} W = {per_kwh:.3g} FLOP per kWh at peak",
                            "A100 SXM：{flops:.3g} FLOP/s ÷ {watts:.0f} W = 每 kWh {per_kwh:.3g} FLOP（按峰值）"),
    "scale_gpt3_report": ("GPT-3, {flop:.3g} FLOP: {days:,.0f} A100-days and {mwh:.0f} MWh at peak; "
                          "{measured:,} MWh estimated for the real run on V100 GPUs ({ratio:.1f} times more)",
                          "GPT-3，{flop:.3g} FLOP：按峰值需要 {days:,.0f} A100-天、{mwh:.0f} MWh；"
                          "实际在 V100 上训练的估计值为 {measured:,} MWh（是前者的 {ratio:.1f} 倍）"),
    "scale_all_models_report": ("all {count} models together: {gwh:.2f} GWh at peak, {fraction:.1e} of the "
                                "3920 TWh of US electricity in 2021",
                                "全部 {count} 个模型合计：按峰值 {gwh:.2f} GWh，"
                                "是美国 2021 年用电量 3920 TWh 的 {fraction:.1e}"),
    "scale_check_claim": ("scaling laws, power-law sweep, Table 3.1, training energy",
                          "缩放定律、幂律扫描、表 3.1、训练能耗"),
    "scale_doubling_report": ("exponential fit over {count} models: compute doubles every {months:.1f} months "
                              "(R² = {r2:.2f})",
                              "对 {count} 个模型做指数拟合：计算量每 {months:.1f} 个月翻一番（R² = {r2:.2f}）"),
}
