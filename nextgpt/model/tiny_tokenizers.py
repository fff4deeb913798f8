"""Tokenizers built locally for the tiny preset (no hub download).

* the LLM tokenizer: a byte-level BPE trained at build time on a small built-in English corpus (the words of
  captions and instructions the project's synthetic data uses), so any text is encodable and common words are
  single tokens;
* the CLIP tokenizer (SD / Zeroscope text encoders) and the RoBERTa tokenizer (AudioLDM's CLAP text encoder):
  byte-level vocabularies without merges, written as vocab.json + merges.txt and loaded with
  ``from_pretrained(folder)`` -- transformers 5 ignores ``vocab_file=`` arguments, see docs/environment.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from transformers import CLIPTokenizer, PreTrainedTokenizerFast, RobertaTokenizer

_CORPUS_TEXT = """
a an the this that these those is are was were be been being has have had do does did of in on at to from with
without by for and or but not no yes there here it its it's he she they we you i me my your our their what which who
where when why how many much more most less few some any all each every one two three four five six seven eight
nine ten first second third last next left right top bottom middle center centre above below under over behind
front near far big small large tiny little huge long short tall wide narrow round square flat thick thin bright dark
light red green blue yellow orange purple pink brown black white gray grey cyan magenta gold silver color colour
colours colors circle square triangle rectangle star ring line dot shape shapes object objects image picture photo
video clip movie frame frames audio sound tone tones noise music voice song beep high low pitch loud quiet soft
fast slow moving moves move moved slides sliding rolls bounces jumps falls rises turns spins grows shrinks appears
disappears background foreground scene view across toward towards away upward downward up down side corner edge
describe description caption captions generate create make show draw paint render produce play hear listen watch
see look looks like please can could would should will shall may might must want need give tell explain answer
question human assistant user system sure here's okay of course sorry thanks thank hello hi response request
then after before while during again also only just very really quite rather too so such same other another
second seconds minute time times begin begins end ends start starts stop stops repeat repeats steady rising falling
image: video: audio: text: ### human: assistant: <img> </img> [img] [vid] [aud]
"""


def llm_corpus() -> list[str]:
    """The training text of the tiny LLM tokenizer (deterministic)."""
    words = sorted(set(_CORPUS_TEXT.split()))
    lines = [" ".join(words[i:i + 12]) for i in range(0, len(words), 12)]
    lines += [f"a {c} {s} on a {b} background" for c in ("red", "green", "blue", "yellow")
              for s in ("circle", "square", "triangle") for b in ("white", "black", "gray")]
    lines += ["### Human: describe this image. ### Assistant: a red circle in the top left corner.",
              "### Human: show me a video of a blue square moving right. ### Assistant: here it is.",
              "### Human: play a high tone. ### Assistant: here is a steady tone."]
    return lines


def build_llm_tokenizer(vocab_size: int) -> PreTrainedTokenizerFast:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<unk>", "<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(llm_corpus(), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>", pad_token="</s>")


def _byte_symbols() -> list[str]:
    """GPT-2's byte -> printable character table, in byte order: printable Latin-1 bytes map to themselves,
    the other 68 bytes to code points from 256 upwards."""
    printable = set(range(ord("!"), ord("~") + 1)) | set(range(0xA1, 0xAD)) | set(range(0xAE, 0x100))
    symbols, shifted = [], 0
    for byte in range(256):
        if byte in printable:
            symbols.append(chr(byte))
        else:
            symbols.append(chr(256 + shifted))
            shifted += 1
    return symbols


def write_clip_tokenizer(folder: Path, max_length: int = 77) -> CLIPTokenizer:
    """A character-level CLIP tokenizer (CLIP marks word ends with ``</w>``)."""
    folder.mkdir(parents=True, exist_ok=True)
    symbols = _byte_symbols()
    vocab = {s: i for i, s in enumerate(symbols + [s + "</w>" for s in symbols])}
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": max_length}), encoding="utf-8")
    return CLIPTokenizer.from_pretrained(str(folder))


def write_roberta_tokenizer(folder: Path, max_length: int = 77) -> RobertaTokenizer:
    """A byte-level RoBERTa tokenizer (ids: <s>=0, <pad>=1, </s>=2, <unk>=3, then bytes, then <mask>)."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for symbol in _byte_symbols():
        vocab[symbol] = len(vocab)
    vocab["<mask>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": max_length}), encoding="utf-8")
    return RobertaTokenizer.from_pretrained(str(folder))
