"""§6.5 Speech recognition (asr_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # the signal and its spectrograms
    "asr_time": ("time (s)", "时间（秒）"),
    "asr_frequency": ("frequency (Hz)", "频率（Hz）"),
    "asr_amplitude": ("amplitude", "振幅"),
    "asr_band": ("mel band", "梅尔频带"),
    "asr_level_db": ("level (dB)", "强度（dB）"),
    "asr_wave_title": ("the waveform: \"{text}\" ({pitch:.0f} Hz voice)", "波形：“{text}”（音高 {pitch:.0f} Hz）"),
    "asr_linear_title": ("power spectrogram, 64 ms windows: the harmonics are the stripes",
                         "功率谱图，64 毫秒窗口：横向条纹就是谐波"),
    "asr_mel_title": ("log-mel spectrogram, 25 ms windows, 40 bands: what the model reads",
                      "对数梅尔谱图，25 毫秒窗口，40 个频带：模型读到的输入"),
    "asr_slice_title": ("one frame of the vowel at {time:.2f} s", "元音在 {time:.2f} 秒处的一帧"),
    "asr_harmonic": ("harmonics, every f0 = {f0:.0f} Hz", "谐波，间隔 f0 = {f0:.0f} Hz"),
    "asr_formant": ("formants of the synthesiser", "合成器设定的共振峰"),
    "asr_clip": ("clip {k}: \"{text}\"", "片段 {k}：“{text}”"),
    "asr_no_speech_text": ("(noise only)", "（只有噪声）"),
    "asr_voice_low": ("a low voice: 100 Hz, slow", "低沉的声音：100 Hz，语速慢"),
    "asr_voice_high": ("a high voice: 220 Hz, fast, shorter vocal tract", "尖细的声音：220 Hz，语速快，声道较短"),
    "asr_data": ("{train} training clips (pitch {p0:.0f}-{p1:.0f} Hz, seed {seed}); {test} held-out clips "
                 "(pitch {q0:.0f}-{q1:.0f} Hz, seed {test_seed}), of which {silent} hold no speech",
                 "训练片段 {train} 个（音高 {p0:.0f}-{p1:.0f} Hz，种子 {seed}）；留出片段 {test} 个"
                 "（音高 {q0:.0f}-{q1:.0f} Hz，种子 {test_seed}），其中 {silent} 个没有语音"),
    "asr_features": ("log-mel features: {shape} (clips, frames, bands), {seconds:.1f} s of synthesis",
                     "对数梅尔特征：{shape}（片段、帧、频带），合成用时 {seconds:.1f} 秒"),
    "asr_tokens": ("tokens of \"{text}\": {pieces}", "“{text}”的词元：{pieces}"),
    "asr_model": ("{params:,} parameters; encoder positions for {frames} frames: {positions}",
                  "参数 {params:,} 个；{frames} 帧输入对应编码器的 {positions} 个位置"),
    "asr_live": ("live run: {clips} clips, {epochs} epochs, {seconds:.1f} s on {device}; training loss {first:.2f} "
                 "→ {last:.2f}", "现场训练：{clips} 个片段，{epochs} 轮，在 {device} 上用时 {seconds:.1f} 秒；"
                 "训练损失 {first:.2f} → {last:.2f}"),
    "asr_shipped": ("shipped weights: {clips:,} clips, {epochs} epochs, {seconds:.0f} s of training on {device}",
                    "随包提供的权重：{clips:,} 个片段，{epochs} 轮，在 {device} 上训练 {seconds:.0f} 秒"),
    "asr_scores": ("held-out speakers: CER {cer_t:.2%} (transcribe), {cer_z:.2%} (translate); no-speech "
                   "accuracy {ns:.1%}", "留出说话人：字符错误率 {cer_t:.2%}（转写）、{cer_z:.2%}（翻译）；"
                   "无语音判断准确率 {ns:.1%}"),
    "asr_example": ("{task}: \"{output}\" (reference \"{reference}\")", "{task}：“{output}”（参考答案“{reference}”）"),
    "asr_task_transcribe": ("transcribe", "转写"),
    "asr_task_translate": ("translate", "翻译"),
    "asr_attention_title": ("cross-attention of the decoder (last layer, mean of the heads)",
                            "解码器的交叉注意力（最后一层，各头平均）"),
    "asr_position": ("encoder position (40 ms each)", "编码器位置（每个 40 毫秒）"),
    "asr_output_token": ("output token", "输出词元"),
    "asr_slider_pitch": ("pitch (Hz)", "音高（Hz）"),
    "asr_slider_rate": ("speaking rate", "语速"),
    "asr_explore_title": ("\"{text}\" at {pitch} Hz, rate {rate}: the model hears \"{output}\"",
                          "“{text}”，音高 {pitch} Hz，语速 {rate}：模型听到的是“{output}”"),
    "asr_cer_by_pitch": ("CER by pitch of the held-out speakers: {rows}", "按留出说话人音高分组的字符错误率：{rows}"),
    "asr_noise_sweep": ("CER at SNR {snr} dB: {cer:.1%}", "信噪比 {snr} dB 时的字符错误率：{cer:.1%}"),
}
