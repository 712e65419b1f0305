"""The missing bits: autoencoders (mb_autoencoders_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # the data and the plain autoencoder
    "mb_autoencoders_data": ("{train} training and {test} test digits of shape {shape}; {params:,} parameters",
                             "训练数字 {train} 个、测试数字 {test} 个，形状 {shape}；参数 {params:,} 个"),
    "mb_autoencoders_trained": ("{epochs} epochs in {seconds:.1f} s (CPU time); test error {error:.4f} per pixel",
                                "{epochs} 轮，用时 {seconds:.1f} 秒（CPU 时间）；测试误差每像素 {error:.4f}"),
    "mb_autoencoders_knn": ("5-nearest-neighbour accuracy on the test digits: autoencoder code (2 numbers) {ae:.1%}, "
                            "PCA (2 components) {pca:.1%}, all 64 pixels {pixels:.1%}",
                            "5 近邻分类器在测试数字上的准确率：自编码器的编码（2 个数）{ae:.1%}，"
                            "PCA（2 个主成分）{pca:.1%}，全部 64 个像素 {pixels:.1%}"),
    "mb_autoencoders_ae_title": ("autoencoder, 2-D code (5-NN {acc:.0%})", "自编码器，二维编码（5 近邻 {acc:.0%}）"),
    "mb_autoencoders_pca_title": ("PCA, 2 components (5-NN {acc:.0%})", "PCA，2 个主成分（5 近邻 {acc:.0%}）"),
    "mb_autoencoders_size_row": ("code of {size:2d} numbers: autoencoder {ae:.4f}, PCA {pca:.4f} per pixel",
                                 "编码 {size:2d} 个数：自编码器 {ae:.4f}，PCA {pca:.4f}（每像素）"),
    "mb_autoencoders_seconds": ("trained in {seconds:.1f} s (CPU time)", "训练用时 {seconds:.1f} 秒（CPU 时间）"),
    "mb_autoencoders_ae": ("autoencoder", "自编码器"),
    "mb_autoencoders_pca": ("PCA", "PCA"),
    "mb_autoencoders_latent_size": ("size of the code J", "编码的维数 J"),
    "mb_autoencoders_mse": ("test error per pixel (MSE)", "测试误差（每像素 MSE）"),
    "mb_autoencoders_original": ("original", "原图"),
    # denoising
    "mb_autoencoders_dae_trained": ("{pairs:,} noisy/clean pairs, trained in {seconds:.1f} s (CPU time)",
                                    "{pairs:,} 对（含噪，干净）样本，训练用时 {seconds:.1f} 秒（CPU 时间）"),
    "mb_autoencoders_dae_noisy": ("noisy test digits, error per pixel: the noisy input {input:.4f}, plain "
                                  "autoencoder {plain:.4f}, denoising autoencoder {denoising:.4f}",
                                  "含噪测试数字的每像素误差：含噪输入本身 {input:.4f}，普通自编码器 {plain:.4f}，"
                                  "去噪自编码器 {denoising:.4f}"),
    "mb_autoencoders_dae_clean": ("clean test digits, error per pixel: plain {plain:.4f}, denoising {denoising:.4f}",
                                  "干净测试数字的每像素误差：普通 {plain:.4f}，去噪 {denoising:.4f}"),
    "mb_autoencoders_row_clean": ("clean", "干净"),
    "mb_autoencoders_row_noisy": ("noisy", "含噪"),
    "mb_autoencoders_row_plain": ("plain AE", "普通自编码器"),
    "mb_autoencoders_row_denoising": ("denoising AE", "去噪自编码器"),
    # the VAE
    "mb_autoencoders_kl_gap": ("largest gap to torch.distributions.kl_divergence: {gap:.1e}; smallest KL {low:.2e}",
                               "与 torch.distributions.kl_divergence 的最大差距：{gap:.1e}；最小的 KL 为 {low:.2e}"),
    "mb_autoencoders_vae_trained": ("{epochs} epochs in {seconds:.1f} s (CPU time); −ELBO on the training batches "
                                    "{first:.1f} → {last:.1f} nats per image",
                                    "{epochs} 轮，用时 {seconds:.1f} 秒（CPU 时间）；训练批量上的 −ELBO 从每幅图像 "
                                    "{first:.1f} 降到 {last:.1f} 奈特"),
    "mb_autoencoders_vae_terms": ("test digits, per image: reconstruction {rec:.1f} nats + KL {kl:.2f} nats; "
                                  "ELBO {elbo:.1f} nats",
                                  "测试数字，每幅图像：重建项 {rec:.1f} 奈特 + KL 项 {kl:.2f} 奈特；ELBO 为 {elbo:.1f} 奈特"),
    "mb_autoencoders_vae_baseline": ("nats per test image: independent pixels {independent:.1f}, the VAE's bound "
                                     "{vae:.1f}, the floor {floor:.1f}; the VAE closes {share:.0%} of the gap between "
                                     "the first and the floor\ntest codes μ(x) within radius 2: {inside:.1%} (the prior: "
                                     "{prior:.1%})",
                                     "每幅测试图像的奈特数：独立像素模型 {independent:.1f}，VAE 的界 {vae:.1f}，下限 "
                                     "{floor:.1f}；独立像素模型与下限之间的差距，VAE 缩小了 {share:.0%}\n"
                                     "半径 2 以内的测试编码 μ(x)：{inside:.1%}（先验：{prior:.1%}）"),
    "mb_autoencoders_judge": ("the judge classifies {acc:.1%} of the test digits correctly",
                              "评判分类器在测试数字上的准确率：{acc:.1%}"),
    "mb_autoencoders_counts": ("1,000 prior samples, per class (digit:count): {counts}",
                               "1000 个先验样本的类别分布（数字:个数）：{counts}"),
    "mb_autoencoders_vae_codes": ("VAE: means μ(x) of the test digits", "VAE：测试数字的均值 μ(x)"),
    "mb_autoencoders_vae_manifold": ("decoded grid of codes", "编码网格的解码结果"),
    "mb_autoencoders_vae_samples": ("samples of the prior", "先验的样本"),
    # the walk
    "mb_autoencoders_walk_title": ("weight of the second digit: {w:.3f}", "第二个数字的权重：{w:.3f}"),
    "mb_autoencoders_walk_slider": ("step", "步"),
    "mb_autoencoders_interp_latent": ("decoded from the code", "由编码解码"),
    "mb_autoencoders_interp_pixels": ("blend of the pixels", "像素混合"),
    "mb_autoencoders_checked": ("the autoencoders, the denoising autoencoder and the VAE",
                                "自编码器、去噪自编码器与 VAE"),
    # exercises
    "mb_autoencoders_sign": ("largest value of the slipped formula: {high:.2e} (never positive)",
                             "错误公式的最大值：{high:.2e}（从不为正）"),
    "mb_autoencoders_by_reparam": ("reparameterisation", "重参数化"),
    "mb_autoencoders_by_score": ("score function", "得分函数"),
    "mb_autoencoders_gain": ("change of the bound: {gain:+.2f} nats per image on average (standard error {se:.2f})",
                             "界的变化：平均每幅图像 {gain:+.2f} 奈特（标准误 {se:.2f}）"),
    "mb_autoencoders_estimator": ("{name}: mean {mean:.3f}, standard deviation {std:.2f}",
                                  "{name}：均值 {mean:.3f}，标准差 {std:.2f}"),
}
