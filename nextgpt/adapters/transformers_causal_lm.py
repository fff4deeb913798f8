"""A local transformers causal language model (``AutoModelForCausalLM`` + ``AutoTokenizer``) as an
:class:`~nextgpt.core.interface.AnyToAnyModel` that reads and writes text.

It is the language model of the cascade baseline, and on its own a text-only model the suite can run (dialogue
answers, or any task whose requests carry no media).

* **Prompt.** The conversation is the request's ``history`` (user message, assistant answer) pairs followed by
  its text. With a chat template in the tokenizer the turns go through it (``add_generation_prompt``); without
  one they are written in the plain format of Vicuna v0, NExT-GPT's own LLM::

      ### Human: <user message>
      ### Assistant: <answer>
      ### Human: <request text>
      ### Assistant:

  and an answer written in that format is cut where the model starts a new ``###`` turn by itself.
* **Decoding.** Greedy, or beam search where the folder's generation config sets ``num_beams``; never sampling,
  so the seed decides nothing (see ``transformers_decoding``). Token budget: the request's ``max_new_tokens``,
  the settings', the folder's ``generation_config.max_new_tokens``, else :data:`DEFAULT_MAX_NEW_TOKENS`
  (``max_length`` is not used: for a causal LM it counts the prompt too).
* **Batches.** Requests with the same token budget are decoded together, left-padded with an attention mask;
  a tokenizer without a pad token pads with its end-of-sequence token (masked, so it never reaches the model).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from nextgpt.adapters.folder_fingerprint import folder_sha256
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.adapters.transformers_decoding import make_deterministic, token_budget, until_end
from nextgpt.adapters.transformers_folders import (
    FolderModelIdentity,
    first_parameter_dtype,
    load_pretrained,
    model_kwargs,
    model_type,
    read_model_config,
)
from nextgpt.core.errors import ConfigError
from nextgpt.core.interface import Capabilities, JSONValue, ProfiledStage
from nextgpt.core.requests import GenerationRequest, GenerationResult

#: The version of this adapter's own code (prompt format and decoding): bump it when the same
#: folder and settings would give other outputs, so cached outputs of the old code are not reused
#: (``nextgpt.adapters.identity``).
IMPLEMENTATION = 1

ADAPTER_NAME = "transformers-causal-lm"
#: New tokens per answer when neither the request, the settings nor the folder's generation config say.
DEFAULT_MAX_NEW_TOKENS = 64
#: The plain prompt format (Vicuna v0) used when the tokenizer has no chat template.
PLAIN_USER = "### Human: "
PLAIN_ASSISTANT = "### Assistant:"
_EXPECTED = "a causal language model (AutoModelForCausalLM) with its tokenizer"


def check_causal_lm_folder(folder: Path) -> None:
    """Refuse, naming the path, a folder that cannot be a causal LM, from its ``config.json`` alone (no weights
    are read): missing folder, config, weights or tokenizer, or a ``model_type`` that ``AutoModelForCausalLM``
    does not map (an encoder-decoder, a vision model...)."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    folder = Path(folder)
    config = read_model_config(folder, adapter=ADAPTER_NAME, expected=_EXPECTED)
    kind = model_type(config, folder / "config.json")
    if kind not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        known = sorted(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES)
        examples = ", ".join(name for name in ("llama", "mistral", "qwen2", "gemma", "gpt2", "phi") if name in known)
        raise ConfigError(f"{folder / 'config.json'}: model_type {kind!r} is not a causal LM that "
                          f"AutoModelForCausalLM loads; the {ADAPTER_NAME} adapter reads the {len(known)} types "
                          f"transformers maps there (e.g. {examples})")


class TransformersCausalLM(FolderModelIdentity):
    """Text in, text out, from a local causal LM folder (see the module docstring)."""

    adapter_name = ADAPTER_NAME
    implementation = IMPLEMENTATION
    capabilities = Capabilities(inputs=frozenset(), outputs=frozenset())

    def __init__(self, folder: str | Path, settings: AdapterSettings | None = None) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.folder = Path(folder)
        self.settings = settings or AdapterSettings()
        check_causal_lm_folder(self.folder)
        self.folder_sha256 = folder_sha256(self.folder)
        self.tokenizer = load_pretrained(AutoTokenizer.from_pretrained, self.folder, "tokenizer",
                                         adapter=ADAPTER_NAME)
        self.tokenizer.padding_side = "left"  # generation continues every row from its last real token
        self.pad_token_id = self._pad_token_id()
        model = load_pretrained(AutoModelForCausalLM.from_pretrained, self.folder, "causal LM",
                                adapter=ADAPTER_NAME, **model_kwargs(self.settings))
        self.model = model.to(torch.device(self.settings.device)).eval()
        make_deterministic(self.model)  # the folder's max_length is not used: for a causal LM it counts the prompt
        self.uses_chat_template = bool(getattr(self.tokenizer, "chat_template", None))
        folder_budget = getattr(self.model.generation_config, "max_new_tokens", None)
        self.default_max_new_tokens = int(folder_budget or DEFAULT_MAX_NEW_TOKENS)

    def _pad_token_id(self) -> int:
        """The pad token's id; a tokenizer without one pads with its end-of-sequence token (in memory only: the
        attention mask hides padding from the model, so which token pads does not change an answer)."""
        if self.tokenizer.pad_token_id is None:
            if self.tokenizer.eos_token is None:
                raise ConfigError(f"{ADAPTER_NAME}: the tokenizer in {self.folder} has neither a pad token nor an "
                                  "end-of-sequence token, so a batch cannot be padded; set one in "
                                  "tokenizer_config.json")
            self.tokenizer.pad_token = self.tokenizer.eos_token
        return int(self.tokenizer.pad_token_id)

    @property
    def device(self) -> torch.device:
        return torch.device(self.model.device)

    def describe_settings(self) -> dict[str, JSONValue]:
        """What, besides the folder's content, decides the answers."""
        return {"max_new_tokens": self.settings.max_new_tokens, "default_max_new_tokens": self.default_max_new_tokens,
                "prompt_format": "chat-template" if self.uses_chat_template else "vicuna-v0-plain",
                "decoding": "greedy (beam search where the folder's generation config sets num_beams)",
                "dtype": first_parameter_dtype(self.model)}

    def profiled_stages(self) -> list[ProfiledStage]:
        """One stage: the LM's forward. Each call yields one token per row (prefill included), so counting rows
        counts generated tokens."""
        return [ProfiledStage("llm", self.model, unit="tokens", per_item=True)]

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        for index, request in enumerate(requests):
            refuse_unsupported(request, index)
        groups: dict[int, list[int]] = {}
        for index, request in enumerate(requests):
            budget = token_budget(request, self.settings.max_new_tokens, self.default_max_new_tokens)
            groups.setdefault(int(budget or self.default_max_new_tokens), []).append(index)
        results: dict[int, GenerationResult] = {}
        for budget, indices in groups.items():
            prompts = [self.prompt(requests[i]) for i in indices]
            results.update(zip(indices, self._complete(prompts, budget)))
        return [results[i] for i in range(len(requests))]

    def prompt(self, request: GenerationRequest) -> str:
        """The text the model continues: the conversation so far and the request, ending where the assistant's
        answer starts."""
        turns = [*request.history, (request.text, None)]
        if self.uses_chat_template:
            messages: list[dict[str, str]] = []
            for user, answer in turns:
                messages.append({"role": "user", "content": user})
                if answer is not None:
                    messages.append({"role": "assistant", "content": answer})
            rendered = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            return str(rendered)
        lines = []
        for user, answer in turns:
            lines.append(f"{PLAIN_USER}{user}")
            lines.append(PLAIN_ASSISTANT if answer is None else f"{PLAIN_ASSISTANT} {answer}")
        return "\n".join(lines)

    @torch.no_grad()
    def _complete(self, prompts: list[str], max_new_tokens: int) -> list[GenerationResult]:
        # a chat template writes its own special tokens (BOS...); the plain format gets the tokenizer's
        encoded = self.tokenizer(prompts, return_tensors="pt", padding=True,
                                 add_special_tokens=not self.uses_chat_template).to(self.device)
        output = self.model.generate(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"],
                                     max_new_tokens=max_new_tokens, pad_token_id=self.pad_token_id)
        results = []
        for row in output[:, encoded["input_ids"].shape[1]:].tolist():
            answer_ids = until_end(row, self.model.generation_config.eos_token_id)
            text = self.tokenizer.decode(answer_ids, skip_special_tokens=True)
            results.append(GenerationResult(text=self._answer(text), answer_token_ids=answer_ids))
        return results

    def _answer(self, text: str) -> str:
        if not self.uses_chat_template:
            text = text.split("###", 1)[0]  # the model went on to write the next turn itself
        return text.strip()


def refuse_unsupported(request: GenerationRequest, index: int) -> None:
    """A causal LM reads and writes text; say exactly which part of a request it cannot answer."""
    where = f"{ADAPTER_NAME}: request {index}"
    if request.media:
        inputs = ", ".join(item.describe() for item in request.media)
        raise ConfigError(f"{where} gives {inputs}; this adapter reads text only")
    if request.want:
        raise ConfigError(f"{where} asks for {', '.join(sorted(request.want))} output; this adapter writes text "
                          "only")
