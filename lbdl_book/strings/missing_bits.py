"""The missing bits: the opening page (the models of the five pages)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    "mb_map_page": ("page", "页面"),
    "mb_map_model": ("model (at the size the page trains)", "模型（按页面上训练的大小）"),
    "mb_map_params": ("parameters", "参数"),
    "mb_map_rnn": ("Recurrent neural networks", "循环神经网络"),
    "mb_map_autoencoders": ("Autoencoders", "自编码器"),
    "mb_map_gan": ("Generative adversarial networks", "生成对抗网络"),
    "mb_map_gnn": ("Graph neural networks", "图神经网络"),
    "mb_map_ssl": ("Self-supervised training", "自监督训练"),
    "mb_map_total": ("largest model: {largest:,} parameters, {ratio:,.0f} times fewer than BERT-base ({base:,})",
                     "最大的模型有 {largest:,} 个参数，是 BERT-base（{base:,} 个）的 {ratio:,.0f} 分之一"),
    "mb_map_checked": ("every model of the missing bits builds, with the parameter counts given on its page",
                       "“缺失的部分”中的每个模型都能构建，参数数量与各页给出的一致"),
}
