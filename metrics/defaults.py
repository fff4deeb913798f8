"""Every default of the metric library in one place (the torch-fidelity ``defaults.py`` pattern)."""

from __future__ import annotations

import os
from pathlib import Path

# Version of this library's metric definitions; bump when a number could change for the same inputs.
METRICS_VERSION = "1.0.0"

# --- captions (pycocoevalcap conventions) ---
BLEU_MAX_ORDER = 4
CIDER_SIGMA = 6.0
CIDER_MAX_ORDER = 4
ROUGE_BETA = 1.2
SACREBLEU_TOKENIZE = "13a"
# ptb-python equals pycocoevalcap's Java tokenizer on the committed Unicode corpus; it may stay the default only
# while it does (tests/metrics/test_caption_unicode_parity.py), else ptb-java must be the default where Java is.
DEFAULT_CAPTION_TOKENIZER = "ptb-python"

# --- image features ---
INCEPTION_FEATURE_DIM = 2048
INCEPTION_INPUT_SIZE = 299
DEFAULT_IMAGE_RESIZE = "tf-bilinear"  # torch-fidelity / torchmetrics convention
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
KID_DEGREE = 3
KID_COEF0 = 1.0

# --- CLIP ---
CLIP_LOGIT_SCALE = 100.0
CLIP_CONTEXT_LENGTH = 77
DEFAULT_CLIP_BACKBONE = "clip-vit-b-32"

# --- audio (VGGish) ---
VGGISH_SAMPLE_RATE = 16000
VGGISH_EXAMPLE_SECONDS = 0.96
VGGISH_EMBEDDING_DIM = 128

# --- bootstrap ---
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_CONFIDENCE = 0.95
BOOTSTRAP_SEED = 0
# FID/FAD/KID intervals: grouped jackknife (metrics/jackknife.py); 1 + 3G evaluations of the distance
JACKKNIFE_GROUPS = 10

# --- weights ---
WEIGHTS_ENV_VAR = "NEXTGPT_BENCH_WEIGHTS"


def weights_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/nextgpt-bench/weights`` (``~/.cache/...`` when XDG_CACHE_HOME is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nextgpt-bench" / "weights"
