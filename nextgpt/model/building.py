"""Assemble a NextGPT from its config: random (seeded) weights, meta tensors, or local weight folders."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nextgpt.core.errors import ConfigError, MissingWeightsError
from nextgpt.core.modalities import MODALITIES
from nextgpt.model.config import NextGPTConfig
from nextgpt.model.decoders import build_decoder
from nextgpt.model.encoder import ImageBindEncoder
from nextgpt.model.llm import add_lora, add_signal_rows, build_base_llm
from nextgpt.model.nextgpt_model import NextGPT
from nextgpt.model.parameters import set_trainable_stage
from nextgpt.model.projections import GroupingInputProjection, LinearInputProjection, OutputProjection
from nextgpt.model.signal_tokens import SignalVocabulary, all_added_tokens, signal_token_names


def build_llm_tokenizer(config: NextGPTConfig) -> Any:
    """The LLM tokenizer with the markers and signal tokens added (legacy order)."""
    if config.tokenizer.kind == "built-in-tiny":
        from nextgpt.model.tiny_tokenizers import build_llm_tokenizer as build_tiny

        tokenizer = build_tiny(config.tokenizer.vocab_size)
    else:
        if config.llm.path is None:
            raise MissingWeightsError("tokenizer.kind = 'llm' needs llm.path: a local Vicuna-7B v0 folder with "
                                      "its tokenizer files")
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(Path(config.llm.path)), local_files_only=True)
    if len(tokenizer) != config.llm.vocab_size:
        raise ConfigError(f"the tokenizer has {len(tokenizer)} tokens but llm.vocab_size is "
                          f"{config.llm.vocab_size}; they must match before the "
                          f"{len(all_added_tokens(config.signal_tokens))} signal/marker tokens are added")
    tokenizer.add_tokens(all_added_tokens(config.signal_tokens))
    return tokenizer


def signal_vocabulary(config: NextGPTConfig, tokenizer: Any | None) -> SignalVocabulary:
    """Ids of markers and signal tokens: looked up in the tokenizer, or (no tokenizer: meta builds) laid out
    after the base vocabulary in the legacy order."""
    names = all_added_tokens(config.signal_tokens)
    if tokenizer is None:
        ids = {name: config.llm.vocab_size + i for i, name in enumerate(names)}
    else:
        ids = {name: tokenizer.convert_tokens_to_ids(name) for name in names}
    runs = {m: tuple(ids[name] for name in signal_token_names(config.signal_tokens)[m]) for m in MODALITIES}
    return SignalVocabulary(marker_ids=(ids[names[0]], ids[names[1]]), run_ids=runs)


def build_model(config: NextGPTConfig, *, device: str | torch.device = "cpu", dtype: torch.dtype | None = None
                ) -> NextGPT:
    """Build every component.  ``device="meta"`` allocates nothing (parameter counting, planning); otherwise
    components with a local path are loaded from it (in ``dtype`` when given, so a 7B LLM is never materialised
    in float32 first) and the rest are initialised from ``config.init_seed``, then everything is moved to
    ``device`` and ``dtype``."""
    meta = torch.device(device).type == "meta"
    if meta:
        from accelerate import init_empty_weights

        scope: contextlib.AbstractContextManager[Any] = init_empty_weights(include_buffers=False)
    else:
        scope = contextlib.nullcontext()
    with torch.random.fork_rng(), scope:
        torch.manual_seed(config.init_seed)
        tokenizer = None if meta else build_llm_tokenizer(config)
        encoder = ImageBindEncoder(config.encoder)
        if config.encoder.checkpoint is not None and not meta:
            encoder.load_checkpoint(config.encoder.checkpoint)
        llm_dim = config.llm.hidden_size
        if config.input_projection.kind == "linear":
            input_projection: nn.Module = LinearInputProjection(config.encoder.out_embed_dim, llm_dim)
        else:
            input_projection = GroupingInputProjection(config.encoder.out_embed_dim, llm_dim,
                                                       config.input_projection.grouping)
        llm = build_base_llm(config.llm, dtype=dtype)
        add_signal_rows(llm, len(all_added_tokens(config.signal_tokens)))
        llm = add_lora(llm, config.lora)
        output_projections = nn.ModuleDict({
            m: OutputProjection(llm_dim, config.output_projections.for_modality(m)) for m in MODALITIES})
        decoders = nn.ModuleDict({
            m: build_decoder(m, config.decoders.for_modality(m), with_tokenizer=not meta, dtype=dtype)
            for m in MODALITIES})
    model = NextGPT(config, tokenizer=tokenizer, signal_vocab=signal_vocabulary(config, tokenizer),
                    encoder=encoder, input_projection=input_projection, llm=llm,
                    output_projections=output_projections, decoders=decoders)
    _check_decoder_dims(model)
    set_trainable_stage(model, "all")
    model.eval()
    return model if meta else model.to(device=device, dtype=dtype)


def _check_decoder_dims(model: NextGPT) -> None:
    for modality in MODALITIES:
        projection = model.output_projections[modality].config
        expected = model.decoder(modality).condition_shape
        produced = (projection.out_dim,) if projection.num_queries == 1 else (projection.num_queries,
                                                                             projection.out_dim)
        if produced != tuple(expected):
            raise ConfigError(f"output_projections.{modality} produces {produced} but the {modality} decoder "
                              f"expects a condition of shape {tuple(expected)}")
