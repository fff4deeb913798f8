"""The COCO caption metrics as one Hugging Face ``evaluate`` module, computed by the library's ``score_captions``."""

from __future__ import annotations

from typing import Any, ClassVar

import datasets
import evaluate

from metrics.captions.suite import score_captions
from metrics.defaults import DEFAULT_CAPTION_TOKENIZER
from metrics.errors import ConfigError
from metrics.hf_evaluate.arguments import integer_at_least, optional_text
from metrics.hf_evaluate.base import SuiteMetric
from metrics.hf_evaluate.media_inputs import check_batch, stored_texts
from metrics.hf_evaluate.results import RESULT_KEYS_DESCRIPTION, module_result

#: the numbers this module returns, in order (sacreBLEU, a different BLEU, stays in the Python API and the CLI)
COCO_METRICS = ("bleu1", "bleu2", "bleu3", "bleu4", "meteor", "rouge_l", "cider")

_DESCRIPTION = """The COCO caption metrics in one module, as pycocoevalcap computes them: BLEU-1..4 (option
"closest", 0-1 scale), METEOR 1.5 (pycocoevalcap's jar; needs Java, otherwise null and not comparable), ROUGE-L
(beta 1.2) and CIDEr-D (sigma 6, x10, idf from the scored references), on captions tokenised like the PTB
tokenizer of CoreNLP 3.4.1 (pycocoevalcap's). Higher is better. Computed by nextgpt-bench's
metrics.score_captions, so the numbers equal its Python API and `nextgpt-bench score captions`. CIDEr-D is comparable
only over the same reference set."""

_CITATION = """@inproceedings{papineni2002bleu,
  title={{BLEU}: a Method for Automatic Evaluation of Machine Translation},
  author={Papineni, Kishore and Roukos, Salim and Ward, Todd and Zhu, Wei-Jing},
  booktitle={Proceedings of the 40th Annual Meeting of the Association for Computational Linguistics},
  year={2002}
}
@inproceedings{denkowski2014meteor,
  title={Meteor Universal: Language Specific Translation Evaluation for Any Target Language},
  author={Denkowski, Michael and Lavie, Alon},
  booktitle={Proceedings of the Ninth Workshop on Statistical Machine Translation},
  year={2014}
}
@inproceedings{lin2004rouge,
  title={{ROUGE}: A Package for Automatic Evaluation of Summaries},
  author={Lin, Chin-Yew},
  booktitle={Text Summarization Branches Out},
  year={2004}
}
@inproceedings{vedantam2015cider,
  title={{CIDEr}: Consensus-based Image Description Evaluation},
  author={Vedantam, Ramakrishna and Zitnick, C. Lawrence and Parikh, Devi},
  booktitle={Proceedings of the IEEE Conference on Computer Vision and Pattern Recognition},
  year={2015}
}
@article{chen2015microsoft,
  title={Microsoft {COCO} Captions: Data Collection and Evaluation Server},
  author={Chen, Xinlei and Fang, Hao and Lin, Tsung-Yi and Vedantam, Ramakrishna and Gupta, Saurabh and
          Doll{\\'a}r, Piotr and Zitnick, C. Lawrence},
  journal={arXiv preprint arXiv:1504.00325},
  year={2015}
}"""

_KWARGS_DESCRIPTION = f"""
Args:
    predictions (list of str): one predicted caption per item.
    references (list of str, or list of lists of str): the reference captions of each item (one or several).
    caption_metrics (list of str): the metrics to compute, in this module's order (default all seven; METEOR
        starts a Java process and is much the slowest).
    tokenizer (str): 'ptb-python' (default, also for None: the library's re-implementation, equal to the Java
        tokenizer on its test corpus) or 'ptb-java' (pycocoevalcap's jar; needs Java); anything else is refused.
    bootstrap (int): seeded percentile bootstrap resamples of the items for intervals (default 0: none); each
        interval is in provenance[name]["ci"].
    seed (int): the bootstrap seed (default 0).
Returns:
    bleu1, bleu2, bleu3, bleu4, meteor, rouge_l, cider (float, or None for METEOR without Java): those of
        caption_metrics.
{RESULT_KEYS_DESCRIPTION}
Examples:
    >>> from metrics import hf_evaluate
    >>> coco = hf_evaluate.load("coco_captions")
    >>> coco.compute(predictions=["a dog runs"], references=[["a dog is running", "a running dog"]])["cider"]
"""


def _caption_metrics(module: str, names: Any) -> tuple[str, ...]:
    """The asked-for metrics in :data:`COCO_METRICS` order; an unknown or empty choice is a ConfigError."""
    if isinstance(names, str) or not isinstance(names, list | tuple) or not names:
        raise ConfigError(f"{module}: caption_metrics must be a non-empty list of {', '.join(COCO_METRICS)}, got "
                          f"{names!r}")
    unknown = [name for name in names if name not in COCO_METRICS]
    if unknown:
        raise ConfigError(f"{module}: unknown caption_metrics {unknown}; choose from {', '.join(COCO_METRICS)}")
    return tuple(name for name in COCO_METRICS if name in names)


class CocoCaptions(SuiteMetric):
    """BLEU-1..4, METEOR, ROUGE-L and CIDEr-D of predicted captions against their references."""

    ARGUMENTS: ClassVar[dict[str, object]] = {
        "tokenizer": DEFAULT_CAPTION_TOKENIZER, "caption_metrics": COCO_METRICS, "bootstrap": 0, "seed": 0}

    def _info(self) -> evaluate.MetricInfo:
        text = datasets.Value("string")
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": text, "references": datasets.Sequence(text)}),
            reference_urls=["https://aclanthology.org/P02-1040", "https://aclanthology.org/W14-3348",
                            "https://aclanthology.org/W04-1013", "https://arxiv.org/abs/1411.5726",
                            "https://arxiv.org/abs/1504.00325"],
            codebase_urls=["https://github.com/salaniz/pycocoevalcap", "https://github.com/tylin/coco-caption"],
            license="BSD-2-Clause",
        )

    def _stored_column(self, column: str, values: Any) -> list[Any]:
        what = f"{self.name} {column}"
        if column == "predictions":
            return stored_texts(values, what, "captions (strings)")
        check_batch(values, what, "reference captions (a string or a list of strings per item)")
        return [[item] if isinstance(item, str) else stored_texts(item, f"{what}[{index}]", "reference captions")
                for index, item in enumerate(values)]

    def _compute(self, *, predictions: list[str], references: list[Any], tokenizer: Any, caption_metrics: Any,
                 bootstrap: Any, seed: Any) -> dict[str, Any]:
        bootstrap = integer_at_least(self.name, "bootstrap", bootstrap, 0)
        seed = integer_at_least(self.name, "seed", seed, 0)
        tokenizer = optional_text(self.name, "tokenizer", tokenizer)  # the library refuses an unknown one, "" too
        if tokenizer is None:
            tokenizer = DEFAULT_CAPTION_TOKENIZER
        names = _caption_metrics(self.name, caption_metrics)
        ids = [str(index) for index in range(len(predictions))]
        scores = score_captions(dict(zip(ids, predictions, strict=True)),
                                {key: list(refs) for key, refs in zip(ids, references, strict=True)},
                                tokenizer=tokenizer, metrics=names, bootstrap=bootstrap, seed=seed)
        return module_result(self.name, [scores.results[name] for name in names])
