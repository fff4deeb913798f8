"""Read the official NExT-GPT legacy delta checkpoint (``pytorch_model.pt`` of the 7b_tiva_v0 release).

The legacy training code (``NExT-GPT-Lagacy/code/model/agent.py``, ``save_model``) stores every trainable
parameter of its ``NextGPTModel`` under these names, which map to ours as follows:

* ``llama_proj.{weight,bias}`` -> ``input_projection.linear.*``;
* ``gen_text_hidden_fcs.0.*``, ``gen_text_hidden_fcs_video.0.*``, ``gen_text_hidden_fcs_audio.0.*`` ->
  ``output_projections.{image,video,audio}.*``, with ``fc`` -> ``in_fc``, ``tfm`` -> ``transformer``,
  ``model`` -> ``out_fc`` and ``query_embs`` -> ``queries``;
* ``llama_model.base_model.model.model.layers.N.self_attn.P.lora_A[.default].weight`` (and ``lora_B``) ->
  ``llm.base_model.model.model.layers.N.self_attn.P.lora_A.default.weight``;
* ``llama_model[.base_model.model].model.embed_tokens.weight`` and ``...lm_head.weight`` (the full resized
  matrices): the rows past the base vocabulary -> ``...embed_tokens.extra`` / ``...lm_head.extra``.

The file is read with ``torch.load(weights_only=True)``: no pickled code runs.  Every key that maps nowhere,
every expected tensor the file lacks and every shape that differs is reported by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import torch

from nextgpt.core.errors import CheckpointError
from nextgpt.model.config import NextGPTConfig
from nextgpt.model.signal_tokens import all_added_tokens
from nextgpt.model.weights_io import describe_key_problems, load_torch_state

_OUTPUT_PREFIXES = {"gen_text_hidden_fcs.0.": "image", "gen_text_hidden_fcs_video.0.": "video",
                    "gen_text_hidden_fcs_audio.0.": "audio"}
_OUTPUT_PARTS = {"fc.": "in_fc.", "tfm.": "transformer.", "model.": "out_fc.", "query_embs": "queries"}
_LORA = re.compile(r"^llama_model\.base_model\.model\.model\.layers\.(\d+)\.self_attn\.(\w+)\."
                   r"lora_(A|B)(?:\.default)?\.weight$")
_EMBED = re.compile(r"^llama_model\.(?:base_model\.model\.)?model\.embed_tokens\.weight$")
_LM_HEAD = re.compile(r"^llama_model\.(?:base_model\.model\.)?lm_head\.weight$")
LLM_PREFIX = "llm.base_model.model."


@dataclass
class LegacyConversion:
    """Our-named tensors plus everything that did not fit."""

    state: dict[str, torch.Tensor] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    shape_mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.unexpected or self.missing or self.shape_mismatches)

    def summary(self) -> str:
        return (f"{len(self.state)} tensors mapped, {len(self.missing)} missing, {len(self.unexpected)} "
                f"unexpected, {len(self.shape_mismatches)} shape mismatches")


def map_legacy_key(key: str) -> str | None:
    """Our parameter name for a legacy key (embedding/lm_head rows are handled separately); None if unknown."""
    if key in ("llama_proj.weight", "llama_proj.bias"):
        return "input_projection.linear." + key.split(".")[1]
    for prefix, modality in _OUTPUT_PREFIXES.items():
        if key.startswith(prefix):
            rest = key[len(prefix):]
            for old, new in _OUTPUT_PARTS.items():
                if rest.startswith(old):
                    return f"output_projections.{modality}.{new}{rest[len(old):]}"
            return None
    match = _LORA.match(key)
    if match:
        layer, projection, side = match.groups()
        return f"{LLM_PREFIX}model.layers.{layer}.self_attn.{projection}.lora_{side}.default.weight"
    return None


def read_legacy_file(path: str | Path) -> dict[str, torch.Tensor]:
    """The delta's flat state dict; a missing, damaged or code-carrying file is a CheckpointError naming it."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"legacy checkpoint {path} does not exist (expected the pytorch_model.pt of "
                              "the NExT-GPT 7b_tiva_v0 release)")
    return load_torch_state(path, what="legacy checkpoint (--delta)")


def convert_legacy_state(legacy: dict[str, torch.Tensor], config: NextGPTConfig,
                         expected_shapes: dict[str, tuple[int, ...]]) -> LegacyConversion:
    """Rename legacy tensors to ours and check them against ``expected_shapes`` (our trainable tensors)."""
    result = LegacyConversion()
    added = len(all_added_tokens(config.signal_tokens))
    base = config.llm.vocab_size
    for key, tensor in legacy.items():
        if _EMBED.match(key) or _LM_HEAD.match(key):
            target = LLM_PREFIX + ("model.embed_tokens.extra" if _EMBED.match(key) else "lm_head.extra")
            if tensor.ndim != 2 or tensor.shape[0] != base + added:
                result.shape_mismatches.append(
                    f"{key}: {tuple(tensor.shape)} has {tensor.shape[0] if tensor.ndim else 0} rows; expected "
                    f"{base} base + {added} added tokens = {base + added} rows (a tokenizer with other added "
                    "tokens, e.g. an extra pad token, shifts every signal-token id)")
                continue
            result.state[target] = tensor[base:].clone()
            continue
        target = map_legacy_key(key)
        if target is None or target not in expected_shapes:
            result.unexpected.append(key if target is None else f"{key} (-> {target}, not in this model)")
            continue
        result.state[target] = tensor
    for name, shape in expected_shapes.items():
        if name not in result.state:
            result.missing.append(name)
        elif tuple(result.state[name].shape) != tuple(shape):
            result.shape_mismatches.append(f"{name}: checkpoint {tuple(result.state[name].shape)} vs model "
                                           f"{tuple(shape)}")
    if "input_projection.linear.weight" not in expected_shapes and "llama_proj.weight" in legacy:
        result.unexpected.append("llama_proj.* is the legacy linear input projection but this model uses "
                                 "the grouping projection: convert into preset paper-7b-legacy (or tiny-legacy)")
    return result


def expected_trainable_shapes(config: NextGPTConfig) -> dict[str, tuple[int, ...]]:
    """Shapes of our trainable tensors for ``config``, from a meta-device build (no memory)."""
    from nextgpt.model.building import build_model
    from nextgpt.model.parameters import TRAINABLE_COMPONENTS, component_of

    model = build_model(config, device="meta")
    return {name: tuple(p.shape) for name, p in model.named_parameters()
            if component_of(name) in TRAINABLE_COMPONENTS}


def convert_legacy_checkpoint(path: str | Path, config: NextGPTConfig, out_dir: str | Path, *,
                              allow_missing: bool = False) -> LegacyConversion:
    """Convert a legacy delta file into a nextgpt-bench checkpoint folder for ``config``.

    Unexpected keys and shape mismatches always fail.  Missing tensors (e.g. no LoRA in a stage-2 delta) fail
    unless ``allow_missing``; then they are listed as ``absent_tensors`` in the manifest and keep the
    preset's initial values when the checkpoint is loaded.
    """
    from nextgpt.model.checkpoint import write_checkpoint_folder

    conversion = convert_legacy_state(read_legacy_file(path), config, expected_trainable_shapes(config))
    if conversion.unexpected or conversion.shape_mismatches or (conversion.missing and not allow_missing):
        raise CheckpointError(describe_key_problems(str(path), conversion.missing, conversion.unexpected,
                                                    conversion.shape_mismatches))
    write_checkpoint_folder(out_dir, config, conversion.state, extra_manifest={
        "converted_from": str(path), "absent_tensors": conversion.missing})
    return conversion
