"""Per-stage FLOPs and memory predicted on the meta device: plan hardware before downloading any weights.

Each stage of ``StageProfiler`` is run once on meta tensors (no memory, no compute) under torch's
``FlopCounterMode`` (matrix products, convolutions and attention: 2 FLOPs per multiply-add; element-wise work is
not counted) and ``LiveBytesMode`` (activation high-water mark).  Shapes follow what ``NextGPT.generate`` and the
diffusers pipelines do:

* prompt: ``prompt_text_tokens`` of text plus each input's projected tokens; ``new_tokens`` generated with the
  KV cache: the first from the prefill, then ``new_tokens - 1`` decode forwards whose FLOPs grow linearly with
  the context (two steps give the exact sum);
* the teacher-forced signal pass over prompt + answer;
* decoders at the config's resolution: classifier-free guidance runs the UNet on ``2 x batch`` latents per step;
  the negative prompt is encoded once at the length the pipelines pad it to (77 tokens for CLIP; AudioLDM pads
  to ``prompt_embeds.shape[1]``, i.e. the 512-d CLAP condition gives a 512-token negative prompt).

Memory: ``weights_bytes`` per component at the chosen dtype (everything resident, no offload),
``activation_peak_bytes`` per stage, the KV cache at full length, and ``peak_bytes`` = weights + the largest
stage activation peak (+ KV cache where it is alive).  Allocator overhead is not modelled.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from nextgpt.core.errors import ConfigError
from nextgpt.core.modalities import MODALITIES, Modality
from nextgpt.profiling.live_bytes import LiveBytesMode


@dataclass(frozen=True)
class PredictionSettings:
    batch_size: int = 1
    dtype: str = "float32"
    #: media inputs of the prompt (ImageBind encodes each; the input projection turns it into LLM tokens)
    inputs: tuple[Modality, ...] = ("image",)
    prompt_text_tokens: int = 32
    new_tokens: int = 64
    #: decoders to predict (each with its own signal run)
    outputs: tuple[Modality, ...] = MODALITIES
    #: None: the preset's decoder defaults
    num_inference_steps: int | None = None
    height: int | None = None
    width: int | None = None
    num_frames: int | None = None
    audio_length_s: float | None = None
    guidance: bool = True
    #: "fused": attention as CUDA's fused kernels run it (scores never materialised; what fp16/bf16/fp32 SDPA
    #: uses on a GPU); "math": PyTorch's reference path that materialises the (L x S) scores.  Same FLOPs.
    attention: str = "fused"

    def __post_init__(self) -> None:
        if self.attention not in ("fused", "math"):
            raise ConfigError(f"PredictionSettings.attention must be 'fused' or 'math', got {self.attention!r}")
        for name in ("batch_size", "prompt_text_tokens", "new_tokens"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) <= 0:
                raise ConfigError(f"PredictionSettings.{name} must be a positive integer, got "
                                  f"{getattr(self, name)!r}")
        if self.dtype not in DTYPES:
            raise ConfigError(f"PredictionSettings.dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        for modality in (*self.inputs, *self.outputs):
            if modality not in MODALITIES:
                raise ConfigError(f"PredictionSettings: unknown modality {modality!r}")

    @property
    def torch_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]


DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass(frozen=True)
class StagePrediction:
    stage: str
    #: FLOPs of the whole stage for one generation of ``batch_size`` samples (all calls)
    flops: int
    calls: int
    activation_peak_bytes: int
    #: weights the stage reads (its component)
    weights_bytes: int
    units: int = 0
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Prediction:
    preset: str
    settings: PredictionSettings
    stages: dict[str, StagePrediction]
    weights_bytes: dict[str, int]
    kv_cache_bytes: int
    prompt_tokens: int
    notes: list[str] = field(default_factory=list)

    @property
    def total_flops(self) -> int:
        return sum(s.flops for s in self.stages.values())

    @property
    def total_weights_bytes(self) -> int:
        return sum(self.weights_bytes.values())

    @property
    def peak_bytes(self) -> int:
        """All weights resident + the largest stage's activations (+ the KV cache during LLM stages)."""
        return max((self.stage_peak_bytes(name) for name in self.stages), default=self.total_weights_bytes)

    def stage_peak_bytes(self, name: str) -> int:
        """Memory while stage ``name`` runs: all weights resident + its activations (+ the KV cache for LLM
        stages); what the GPU allocator's peak during that stage should show."""
        stage = self.stages[name]
        return (self.total_weights_bytes + stage.activation_peak_bytes
                + (self.kv_cache_bytes if stage.stage.startswith("llm_") else 0))

    def to_dict(self) -> dict[str, Any]:
        return {"preset": self.preset, "settings": asdict(self.settings), "prompt_tokens": self.prompt_tokens,
                "stages": {k: v.to_dict() for k, v in self.stages.items()}, "weights_bytes": self.weights_bytes,
                "total_weights_bytes": self.total_weights_bytes, "kv_cache_bytes": self.kv_cache_bytes,
                "total_flops": self.total_flops, "peak_bytes": self.peak_bytes,
                "stage_peak_bytes": {name: self.stage_peak_bytes(name) for name in self.stages}, "notes": self.notes}


class _Measure:
    """FLOPs and activation peak of one block on the meta device."""

    def __init__(self) -> None:
        self.flops = 0
        self.peak = 0

    def __enter__(self) -> _Measure:
        self._counter = FlopCounterMode(display=False)
        self._live = LiveBytesMode()
        self._counter.__enter__()
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.__exit__(*exc)
        self._counter.__exit__(*exc)
        self.flops = int(self._counter.get_total_flops())
        self.peak = self._live.peak


@contextlib.contextmanager
def _fused_attention() -> Iterator[None]:
    """Route ``F.scaled_dot_product_attention`` to the memory-efficient kernel's op, which has a meta
    implementation and a FLOP formula: on meta tensors the default dispatch takes the math path, whose
    materialised score matrices would overstate what a GPU holds."""
    functional = torch.nn.functional
    original = functional.scaled_dot_product_attention

    def fused(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, attn_mask: torch.Tensor | None = None,
              dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
              enable_gqa: bool = False) -> torch.Tensor:
        if query.device.type != "meta":
            return original(query, key, value, attn_mask=attn_mask, dropout_p=dropout_p, is_causal=is_causal,
                            scale=scale, enable_gqa=enable_gqa)
        if enable_gqa and key.shape[-3] != query.shape[-3]:
            repeat = query.shape[-3] // key.shape[-3]
            key, value = key.repeat_interleave(repeat, -3), value.repeat_interleave(repeat, -3)
        bias = None
        if attn_mask is not None:
            shape = (*query.shape[:-2], query.shape[-2], key.shape[-2])
            bias = attn_mask.new_empty(shape, dtype=query.dtype) if attn_mask.dtype == torch.bool else \
                attn_mask.expand(shape)
        return torch.ops.aten._scaled_dot_product_efficient_attention(
            query, key, value, bias, False, dropout_p, is_causal, scale=scale)[0]

    functional.scaled_dot_product_attention = fused
    try:
        yield
    finally:
        functional.scaled_dot_product_attention = original


def _bytes(module: torch.nn.Module) -> int:
    return sum(t.numel() * t.element_size() for t in (*module.parameters(), *module.buffers()))


def _meta(*shape: int, dtype: torch.dtype) -> torch.Tensor:
    return torch.empty(*shape, device="meta", dtype=dtype)


def media_shape(config: Any, modality: Modality) -> tuple[int, ...]:
    """The preprocessed input ImageBind takes (``nextgpt.model.encoder.media``), without the batch axis."""
    from nextgpt.model.encoder.media import AUDIO_MEL_BINS, AUDIO_TARGET_FRAMES, IMAGE_SIZE

    encoder = config.encoder
    return {"image": (3, IMAGE_SIZE, IMAGE_SIZE),
            "video": (encoder.video_clips * encoder.video_spatial_crops, 3, 2, IMAGE_SIZE, IMAGE_SIZE),
            "audio": (encoder.audio_clips, 1, AUDIO_MEL_BINS, AUDIO_TARGET_FRAMES)}[modality]


def build_meta_model(preset: str, dtype: torch.dtype) -> Any:
    from nextgpt.model.building import build_model
    from nextgpt.model.presets import get_preset

    return build_model(get_preset(preset), device="meta").to(dtype=dtype)


def predict(model_or_preset: Any, settings: PredictionSettings | None = None) -> Prediction:
    """Per-stage FLOPs and memory of one ``generate`` call of ``settings.batch_size`` samples."""
    settings = settings or PredictionSettings()
    dtype = settings.torch_dtype
    model = build_meta_model(model_or_preset, dtype) if isinstance(model_or_preset, str) else model_or_preset
    batch = settings.batch_size
    weights = {"encoder": _bytes(model.encoder), "input_projection": _bytes(model.input_projection),
               "llm": _bytes(model.llm),
               **{f"output_projection.{m}": _bytes(model.output_projections[m]) for m in MODALITIES},
               **{f"decoder.{m}": _bytes(model.decoders[m]) for m in MODALITIES}}

    # FlopCounterMode's module tracker asserts on parameters that require grad under no_grad: freeze for the run
    trainable = [p for p in model.parameters() if p.requires_grad]
    for parameter in trainable:
        parameter.requires_grad_(False)
    try:
        with _fused_attention() if settings.attention == "fused" else contextlib.nullcontext():
            stages, prompt_tokens = _predict_stages(model, settings, weights)
    finally:
        for parameter in trainable:
            parameter.requires_grad_(True)
    hidden, layers = model.config.llm.hidden_size, model.config.llm.num_hidden_layers
    kv_cache = 2 * layers * batch * (prompt_tokens + settings.new_tokens) * hidden * dtype.itemsize
    notes = ["FLOPs count matrix products, convolutions and attention (2 per multiply-add), not element-wise ops",
             "activation peaks come from the meta-device run; allocator rounding and fragmentation are not "
             "modelled"]
    return Prediction(model.config.preset, settings, stages, weights, kv_cache, prompt_tokens, notes)


def _predict_stages(model: Any, settings: PredictionSettings, weights: dict[str, int]
                    ) -> tuple[dict[str, StagePrediction], int]:
    dtype, batch = settings.torch_dtype, settings.batch_size
    stages: dict[str, StagePrediction] = {}
    with torch.no_grad():
        prompt_tokens = settings.prompt_text_tokens
        flops = peak = 0
        projection_flops = projection_peak = 0
        for modality in settings.inputs:
            media = _meta(batch, *media_shape(model.config, modality), dtype=dtype)
            with _Measure() as encode:
                encoded = model.encoder.encode(modality, media)
            with _Measure() as project:
                projected = model.input_projection(encoded)
            prompt_tokens += int(projected.shape[1])
            flops, peak = flops + encode.flops, max(peak, encode.peak)
            projection_flops += project.flops
            projection_peak = max(projection_peak, project.peak)
        if settings.inputs:
            stages["encode"] = StagePrediction("encode", flops, len(settings.inputs), peak, weights["encoder"],
                                               batch * len(settings.inputs), "inputs")
            stages["input_projection"] = StagePrediction(
                "input_projection", projection_flops, len(settings.inputs), projection_peak,
                weights["input_projection"], batch * len(settings.inputs), "inputs")
        _predict_llm(model, settings, prompt_tokens, stages, weights["llm"])
        for modality in settings.outputs:
            _predict_decoder(model, modality, settings, stages, weights)
    return stages, prompt_tokens


def _predict_llm(model: Any, settings: PredictionSettings, prompt_tokens: int,
                 stages: dict[str, StagePrediction], llm_bytes: int) -> None:
    dtype, batch, new = settings.torch_dtype, settings.batch_size, settings.new_tokens
    causal_lm = model.llm.get_base_model()
    hidden = model.config.llm.hidden_size
    with _Measure() as prefill:
        # generate computes logits for the last position only (logits_to_keep=1)
        causal_lm(inputs_embeds=_meta(batch, prompt_tokens, hidden, dtype=dtype), use_cache=True, logits_to_keep=1)
    stages["llm_prefill"] = StagePrediction("llm_prefill", prefill.flops, 1, prefill.peak, llm_bytes,
                                            batch * prompt_tokens, "tokens")
    # N new tokens = 1 from the prefill's logits + N - 1 decode forwards; step j (1..N-1) attends to prompt + j
    # positions.  FLOPs are affine in the context, so two steps give the exact sum.
    steps = max(new - 1, 0)
    first, second = (_decode_step(causal_lm, batch, prompt_tokens + extra, hidden, dtype) for extra in (0, 1))
    slope = second.flops - first.flops
    flops = steps * first.flops + slope * steps * (steps - 1) // 2
    stages["llm_decode"] = StagePrediction("llm_decode", flops, steps, second.peak, llm_bytes, batch * steps,
                                           "tokens")
    if settings.outputs:
        with _Measure() as signal:
            causal_lm(inputs_embeds=_meta(batch, prompt_tokens + new, hidden, dtype=dtype),
                      output_hidden_states=True, use_cache=True)  # as the real pass (config default)
        stages["signal_forward"] = StagePrediction("signal_forward", signal.flops, 1, signal.peak, llm_bytes,
                                                   batch * (prompt_tokens + new), "tokens")


def _decode_step(causal_lm: Any, batch: int, cached: int, hidden: int, dtype: torch.dtype) -> _Measure:
    """One decode forward after ``cached`` positions (the generate loop asks for the last position's logits)."""
    cache = causal_lm(inputs_embeds=_meta(batch, cached, hidden, dtype=dtype), use_cache=True,
                      logits_to_keep=1).cache
    with _Measure() as step:
        causal_lm(inputs_embeds=_meta(batch, 1, hidden, dtype=dtype), cache=cache, use_cache=True, logits_to_keep=1)
    return step


def _predict_decoder(model: Any, modality: Modality, settings: PredictionSettings,
                     stages: dict[str, StagePrediction], weights: dict[str, int]) -> None:
    dtype, batch = settings.torch_dtype, settings.batch_size
    hidden = model.config.llm.hidden_size
    decoder = model.decoders[modality]
    config = decoder.config
    components = decoder.components
    run = model.config.signal_tokens.count(modality)
    projection = model.output_projections[modality]
    with _Measure() as project:
        condition = projection(_meta(batch, run, hidden, dtype=dtype), _meta(batch, run, hidden, dtype=dtype))
    stages[f"output_projection.{modality}"] = StagePrediction(
        f"output_projection.{modality}", project.flops, 1, project.peak, weights[f"output_projection.{modality}"],
        batch, "samples")
    prefix = f"decoder.{modality}"
    guided = 2 * batch if settings.guidance else batch
    steps = settings.num_inference_steps or config.num_inference_steps
    if settings.guidance:
        text_length = int(condition.shape[1])  # the pipelines pad the negative prompt to prompt_embeds.shape[1]
        with _Measure() as text:
            ids = torch.zeros(batch, text_length, dtype=torch.long, device="meta")
            components["text_encoder"](input_ids=ids, attention_mask=torch.ones_like(ids))
        stages[f"{prefix}.text_encoder"] = StagePrediction(
            f"{prefix}.text_encoder", text.flops, 1, text.peak, _bytes(components["text_encoder"]), 1, "calls")
    unet, vae = components["unet"], components["vae"]
    scale = 2 ** (len(vae.config.block_out_channels) - 1)
    timestep = torch.zeros((), dtype=torch.long, device="meta")
    if modality == "audio":
        vocoder = components["vocoder"].config
        upsample = math.prod(vocoder.upsample_rates) / vocoder.sampling_rate
        frames = int((settings.audio_length_s or config.audio_length_s) / upsample)
        frames = math.ceil(frames / scale) * scale
        latents = _meta(guided, unet.config.in_channels, frames // scale, vocoder.model_in_dim // scale, dtype=dtype)
        unet_kwargs = {"encoder_hidden_states": None,
                       "class_labels": condition.new_empty(guided, condition.shape[-1])}
        decoded = batch
    else:
        height = (settings.height or config.height) // scale
        width = (settings.width or config.width) // scale
        shape: tuple[int, ...] = (guided, unet.config.in_channels, height, width)
        if modality == "video":
            frames = settings.num_frames or config.num_frames
            shape = (guided, unet.config.in_channels, frames, height, width)
        latents = _meta(*shape, dtype=dtype)
        unet_kwargs = {"encoder_hidden_states": condition.new_empty(guided, *condition.shape[1:])}
        decoded = batch * (frames if modality == "video" else 1)
    with _Measure() as denoise:
        unet(latents, timestep, **unet_kwargs)
    stages[f"{prefix}.unet"] = StagePrediction(f"{prefix}.unet", denoise.flops * steps, steps, denoise.peak,
                                               _bytes(unet), steps, "steps")
    final = _meta(decoded, vae.config.latent_channels, *latents.shape[-2:], dtype=dtype)
    with _Measure() as vae_decode:
        image = vae.decode(final).sample
    stages[f"{prefix}.vae_decode"] = StagePrediction(f"{prefix}.vae_decode", vae_decode.flops, 1, vae_decode.peak,
                                                     _bytes(vae), decoded, "latents")
    if modality == "audio":
        with _Measure() as vocode:
            components["vocoder"](image.squeeze(1))
        stages[f"{prefix}.vocoder"] = StagePrediction(f"{prefix}.vocoder", vocode.flops, 1, vocode.peak,
                                                      _bytes(components["vocoder"]), batch, "samples")
