"""ImageBind as NExT-GPT's frozen encoder: one pooled embedding and a token grid per input."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from nextgpt.core.errors import MissingWeightsError
from nextgpt.core.modalities import Modality
from nextgpt.model.config import EncoderConfig
from nextgpt.model.encoder.imagebind_import import import_imagebind
from nextgpt.model.weights_io import fit_state_dict, load_weights

#: ImageBind's modality keys for our input modalities (images are 2-frame "videos" of the vision trunk).
_IMAGEBIND_KEY: dict[Modality, str] = {"image": "vision", "video": "vision", "audio": "audio"}


@dataclass
class EncodedMedia:
    """``pooled``: (B, D) ImageBind embeddings (what the legacy linear projection reads);
    ``grid``: (B, T, D) the same head applied to every trunk token (what the grouping projection reads)."""

    pooled: torch.Tensor
    grid: torch.Tensor


class ImageBindEncoder(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        imagebind_model, _ = import_imagebind()
        self.config = config
        self.model = imagebind_model.ImageBindModel(**config.imagebind_kwargs())

    @property
    def embed_dim(self) -> int:
        return self.config.out_embed_dim

    def load_checkpoint(self, path: str | Path) -> None:
        path = Path(path)
        if not path.exists():
            raise MissingWeightsError(
                f"ImageBind weights not found at {path} (config field encoder.checkpoint). Put "
                "imagebind_huge.pth there (public source: https://dl.fbaipublicfiles.com/imagebind/"
                "imagebind_huge.pth, licence CC BY-NC-SA 4.0).")
        state = load_weights(path, what="ImageBind weights (encoder.checkpoint)")
        fit_state_dict(self.model, state, source=f"ImageBind weights {path} (encoder.checkpoint)")

    @torch.no_grad()
    def encode(self, modality: Modality, batch: torch.Tensor) -> EncodedMedia:
        """Encode a batch: image ``(B, 3, 224, 224)``, video ``(B, S, 3, 2, 224, 224)`` or audio
        ``(B, S, 1, 128, 204)``; clips (S) are averaged, as ImageBind does."""
        return self.features(modality, batch)

    def features(self, modality: Modality, batch: torch.Tensor) -> EncodedMedia:
        """``encode`` with autograd left on (for pre-training a small encoder; NExT-GPT itself keeps it frozen)."""
        key = _IMAGEBIND_KEY[modality]
        clips = 1
        if modality in ("video", "audio"):
            batch_size, clips = batch.shape[:2]
            batch = batch.reshape(batch_size * clips, *batch.shape[2:])
        param = next(self.model.parameters())
        batch = batch.to(device=param.device, dtype=param.dtype)
        processed = self.model.modality_preprocessors[key](**{key: batch})
        tokens = self.model.modality_trunks[key](**processed["trunk"])
        head: nn.Sequential = self.model.modality_heads[key]  # LayerNorm, SelectElement(0), Linear
        postprocess = self.model.modality_postprocessors[key]
        pooled = postprocess(head(tokens, **processed["head"]))
        grid = postprocess(head[2](head[0](tokens)))
        if clips > 1:
            pooled = pooled.reshape(-1, clips, pooled.shape[-1]).mean(dim=1)
            grid = grid.reshape(-1, clips, *grid.shape[1:]).mean(dim=1)
        return EncodedMedia(pooled=pooled, grid=grid)
