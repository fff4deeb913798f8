"""A tiny causal LM folder: the tiny NExT-GPT preset's LLaMA (random weights) and its byte-level BPE tokenizer,
saved with ``save_pretrained`` as any local ``AutoModelForCausalLM`` folder is.

The tokenizer carries a chat template in NExT-GPT's Vicuna v0 format (``### Human: ... ### Assistant:``), so the
folder exercises the adapter's chat-template path the way a real chat model's folder does. The weights are drawn
from a fixed seed, so writing the folder twice gives the same files (and the same fingerprint).
"""

from __future__ import annotations

from pathlib import Path

from nextgpt.model.llm import build_base_llm
from nextgpt.model.presets import tiny
from nextgpt.model.tiny_tokenizers import build_llm_tokenizer
from nextgpt.tiny_baselines.atomic_folder import write_folder_atomically

#: Vicuna v0 turns, as NExT-GPT's LLM was trained on them.
VICUNA_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}### Human: {{ message['content'] }}\n"
    "{% elif message['role'] == 'assistant' %}### Assistant: {{ message['content'] }}\n"
    "{% else %}{{ message['content'] }}\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}### Assistant:{% endif %}"
)


def write_tiny_causal_lm(folder: Path) -> Path:
    """Save the tiny LLaMA and its tokenizer (with the Vicuna v0 chat template) into ``folder`` (new or empty);
    return the folder. About 0.6 MB."""
    def write(target: Path) -> None:
        config = tiny()
        model = build_base_llm(config.llm)
        model.generation_config.pad_token_id = model.generation_config.eos_token_id
        tokenizer = build_llm_tokenizer(config.tokenizer.vocab_size)
        tokenizer.chat_template = VICUNA_CHAT_TEMPLATE
        model.save_pretrained(str(target))
        tokenizer.save_pretrained(str(target))

    return write_folder_atomically(Path(folder), write, what="the tiny causal LM")
