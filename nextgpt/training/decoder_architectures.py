"""Architectures of the pre-trained tiny decoders (component configs in diffusers / transformers field names).

They keep what the tiny preset's output projections feed (image: 77 x 32 text states, video: 77 x 48, audio: a
32-d CLAP embedding) and otherwise differ from the untrained preset's random decoders where training needs it:

* a three-level VAE (32 x 32 pixels -> 8 x 8 x 8 latents) shared by the image and the video decoder, so the UNets
  work on 8 x 8 latents, which is what lets them train in minutes on two CPU cores;
* group norms of 8 groups (2 to 8 channels each): with one channel per group, as at SD's group count on these
  narrow layers, each channel's mean is normalised away and the colours of the scene are lost;
* UNets with cross-attention at every level (the preset's has none at full resolution); the image UNet has a
  third level, at 2 x 2 latents, where each cell sees a different side of the zero padding and so knows its
  quadrant: with two levels (down to 4 x 4) the image decoder placed the shape at random whatever the prompt
  asked (position read right 25% of the time on 48 held-out prompts, chance 20%; with three levels and 1500
  steps of 64, 44%, and shape 67%, size 100%);
* two-layer text encoders over the word-level vocabulary of ``decoder_tokenizer``;
* audio: 2.048 s (the world's 2 s tones), 32 mel bins up to 8 kHz with a 512-sample hop (64 frames), a
  three-level VAE (64 x 32 mel -> 16 x 8 x 8 latents) and a HiFi-GAN vocoder upsampling 8 x 8 x 8.
"""

from __future__ import annotations

from typing import Any

from nextgpt.training.decoder_tokenizer import SPECIAL_TOKENS, caption_words, special_token_ids

IMAGE_SIZE = 32
VIDEO_FRAMES = 4
AUDIO_SECONDS = 2.048
MAX_TOKENS = 77
LATENT_CHANNELS = 8


def architectures() -> dict[str, dict[str, Any]]:
    """Every component config, per modality (recorded with a finished decoder, so a change retrains it)."""
    return {"image": {"vae": autoencoder(3, IMAGE_SIZE), "unet": unet(32, levels=3), "text_encoder": clip_text(32)},
            "video": {"vae": autoencoder(3, IMAGE_SIZE), "unet": unet(48, video=True),
                      "text_encoder": clip_text(48)},
            "audio": {"vae": autoencoder(1, 64), "unet": audio_unet(32), "text_encoder": clap_text(32),
                      "vocoder": vocoder()},
            # diffusers' private config keys (``_use_default_values``: a list in set order) vary between processes
            "scheduler": {key: value for key, value in scheduler().config.items() if not key.startswith("_")}}


def vocabulary_size() -> int:
    return len(SPECIAL_TOKENS) + len(caption_words())


def autoencoder(channels: int, sample_size: int) -> dict[str, Any]:
    return {"sample_size": sample_size, "in_channels": channels, "out_channels": channels,
            "latent_channels": LATENT_CHANNELS, "layers_per_block": 1, "block_out_channels": [16, 32, 64],
            "norm_num_groups": 8, "down_block_types": ["DownEncoderBlock2D"] * 3,
            "up_block_types": ["UpDecoderBlock2D"] * 3, "mid_block_add_attention": False}


def unet(cross_attention_dim: int, *, video: bool = False, levels: int = 2) -> dict[str, Any]:
    """A UNet of ``levels`` levels, 64 channels and cross-attention at each (8 x 8 latents down to
    8 / 2**(levels - 1))."""
    kind = "3D" if video else "2D"
    return {"sample_size": IMAGE_SIZE // 4, "in_channels": LATENT_CHANNELS, "out_channels": LATENT_CHANNELS,
            "layers_per_block": 1, "block_out_channels": [64] * levels, "attention_head_dim": 8,
            "cross_attention_dim": cross_attention_dim, "norm_num_groups": 8,
            "down_block_types": [f"CrossAttnDownBlock{kind}"] * levels,
            "up_block_types": [f"CrossAttnUpBlock{kind}"] * levels}


def audio_unet(embedding_dim: int) -> dict[str, Any]:
    """AudioLDM's UNet: the CLAP embedding enters as a class embedding concatenated to the time embedding."""
    return {"sample_size": 16, "in_channels": LATENT_CHANNELS, "out_channels": LATENT_CHANNELS,
            "layers_per_block": 1, "block_out_channels": [64, 64], "attention_head_dim": 8,
            "cross_attention_dim": [64, 64], "norm_num_groups": 8,
            "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
            "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"],
            "class_embed_type": "simple_projection", "projection_class_embeddings_input_dim": embedding_dim,
            "class_embeddings_concat": True}


def clip_text(hidden: int) -> dict[str, Any]:
    return {"vocab_size": vocabulary_size(), "hidden_size": hidden, "intermediate_size": 2 * hidden,
            "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": MAX_TOKENS,
            "hidden_act": "quick_gelu", "projection_dim": hidden, **special_token_ids()}


def clap_text(projection_dim: int) -> dict[str, Any]:
    return {"vocab_size": vocabulary_size(), "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "max_position_embeddings": MAX_TOKENS + 3, "type_vocab_size": 1,
            "projection_dim": projection_dim, **special_token_ids()}


def vocoder() -> dict[str, Any]:
    return {"model_in_dim": 32, "sampling_rate": 16000, "upsample_initial_channel": 64,
            "upsample_rates": [8, 8, 8], "upsample_kernel_sizes": [16, 16, 16], "resblock_kernel_sizes": [3, 7],
            "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5]], "normalize_before": False}


def scheduler() -> Any:
    """DDIM over SD's scaled-linear betas rescaled to zero terminal SNR, v-prediction, trailing timesteps
    (Lin et al. 2024): the last step is pure noise at training and sampling alike, so black, white and gray
    backgrounds come out as asked rather than drifting to the mean."""
    from diffusers import DDIMScheduler

    return DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                         set_alpha_to_one=False, steps_offset=1, prediction_type="v_prediction",
                         rescale_betas_zero_snr=True, timestep_spacing="trailing")
