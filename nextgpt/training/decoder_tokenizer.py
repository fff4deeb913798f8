"""The word-level tokenizer of the pre-trained tiny decoders' text encoders.

The untrained tiny preset gives its text encoders character-level tokenizers; a one- or two-layer text encoder
trained for a few minutes cannot assemble words from characters well enough to condition a UNet on them.  The
pre-trained decoders therefore get a word-level vocabulary: every word of the synthetic world's captions (all
attribute values and template words), lower-cased, punctuation dropped, split on whitespace, plus ``<unk>`` for any
other word.  It is a ``tokenizers`` WordLevel model wrapped in a transformers fast tokenizer, saved with the
pipeline (``tokenizer/``) and loaded by diffusers like any other tokenizer.
"""

from __future__ import annotations

import itertools

from transformers import PreTrainedTokenizerFast

from benchmarks.datasets import synthetic

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
SPECIAL_TOKENS = (PAD, UNK, BOS, EOS)


def caption_words() -> list[str]:
    """Every word the synthetic world's image, video and audio captions use (sorted, deterministic)."""
    captions: list[str] = []
    for colour, shape, position, size, background, motion in itertools.product(
            synthetic.COLOURS, synthetic.SHAPES, synthetic.POSITIONS, synthetic.SIZES, synthetic.BACKGROUNDS,
            synthetic.MOTIONS):
        scene = synthetic.Scene(colour, shape, position, size, background, motion)
        captions += synthetic.image_captions(scene) + synthetic.video_captions(scene)
    for pitch, pattern in itertools.product(synthetic.PITCHES, synthetic.PATTERNS):
        captions += synthetic.audio_captions(synthetic.Tone(pitch, pattern))
    return sorted({word for caption in captions for word in _split(caption)})


def _split(text: str) -> list[str]:
    return text.lower().replace(",", " ").split()


def build_word_tokenizer(max_length: int) -> PreTrainedTokenizerFast:
    """Word-level tokenizer: ``<s> words </s>`` then ``<pad>`` up to ``max_length`` (ids: pad 0, unk 1, bos 2,
    eos 3, then the caption words)."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS)}
    for word in caption_words():
        vocab[word] = len(vocab)
    backend = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    backend.normalizer = normalizers.Sequence([normalizers.Lowercase(),
                                               normalizers.Replace(Regex(r"[^\w\s]"), " ")])
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A {EOS}", special_tokens=[(BOS, vocab[BOS]), (EOS, vocab[EOS])])
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token=BOS, eos_token=EOS, unk_token=UNK,
                                   pad_token=PAD, model_max_length=max_length)


def special_token_ids() -> dict[str, int]:
    """The ids a text-encoder config needs (``pad_token_id``, ``bos_token_id``, ``eos_token_id``)."""
    return {"pad_token_id": SPECIAL_TOKENS.index(PAD), "bos_token_id": SPECIAL_TOKENS.index(BOS),
            "eos_token_id": SPECIAL_TOKENS.index(EOS)}
