"""Meta-device prediction: FLOPs of the tiny preset against a hand count, activation bytes against a hand
count, and the settings' validation."""

from __future__ import annotations

import pytest
import torch

from nextgpt.core.errors import ConfigError
from nextgpt.model.presets import tiny_legacy
from nextgpt.profiling.live_bytes import LiveBytesMode
from nextgpt.profiling.prediction import PredictionSettings, predict

B, P0, N = 2, 20, 6  # batch, prompt text tokens, new tokens


def _llm_forward_flops(tokens: int, context: int, logits_rows: int) -> int:
    """One LLaMA forward of ``tokens`` new positions attending to ``context`` positions (2 FLOPs per MAC)."""
    llm, lora = tiny_legacy().llm, tiny_legacy().lora
    h, i, n = llm.hidden_size, llm.intermediate_size, llm.num_hidden_layers
    vocab = llm.vocab_size + 38  # base rows + the 38 marker/signal rows (SignalTokenLMHead)
    t = B * tokens
    per_layer = (4 * 2 * t * h * h            # q, k, v, o projections
                 + 4 * 2 * (2 * t * h * lora.r)  # LoRA A (h -> r) and B (r -> h) on each of them
                 + 3 * 2 * t * h * i           # gate, up, down
                 + 2 * 2 * t * context * h)    # Q K^T and attention x V over all heads
    # the rotary angles are an outer product of inv_freq and the positions (element-wise in FLOP terms: not counted)
    return n * per_layer + 2 * B * logits_rows * h * vocab


def test_tiny_flops_match_a_hand_count() -> None:
    prediction = predict("tiny-legacy", PredictionSettings(batch_size=B, inputs=("image",), outputs=(),
                                                           prompt_text_tokens=P0, new_tokens=N))
    prompt = P0 + 1  # the legacy linear projection gives one token per input
    assert prediction.prompt_tokens == prompt
    encoder_dim, llm_dim = tiny_legacy().encoder.out_embed_dim, tiny_legacy().llm.hidden_size
    assert prediction.stages["input_projection"].flops == 2 * B * encoder_dim * llm_dim
    assert prediction.stages["llm_prefill"].flops == _llm_forward_flops(prompt, prompt, logits_rows=1)
    # the prefill yields the first token; decode step j (1..N-1) attends to the prompt and j answer positions
    decode = sum(_llm_forward_flops(1, prompt + j, logits_rows=1) for j in range(1, N))
    assert prediction.stages["llm_decode"].flops == decode
    assert prediction.stages["llm_decode"].units == B * (N - 1)
    kv = 2 * tiny_legacy().llm.num_hidden_layers * B * (prompt + N) * llm_dim * 4
    assert prediction.kv_cache_bytes == kv


def test_live_bytes_counts_new_storages_once_and_frees_them() -> None:
    weight = torch.empty(1000, 1000, device="meta")
    x = torch.empty(10, 1000, device="meta")
    with LiveBytesMode() as live:
        a = x @ weight.t()    # 40 kB (the transpose is a view of the weight: not an activation)
        b = torch.relu(a)     # +40 kB
        del a                 # -40 kB
        c = b.view(-1)        # a view: no new storage
        del b
        d = c * 2             # +40 kB -> peak 80 kB
        del c, d
    assert live.peak == 80_000 and live.current == 0


def test_settings_are_validated() -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        PredictionSettings(batch_size=0)
    with pytest.raises(ConfigError, match="dtype"):
        PredictionSettings(dtype="float8")
    with pytest.raises(ConfigError, match="modality"):
        PredictionSettings(outputs=("smell",))  # type: ignore[arg-type]
