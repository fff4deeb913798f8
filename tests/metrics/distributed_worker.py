"""Worker for the 2-process gloo test: each rank scores half of the data; rank 0 writes the results."""

from __future__ import annotations

import json
import os

import numpy as np
import torch
import torch.distributed as dist


def data() -> dict:
    from metric_test_helpers import make_caption_corpus

    rng = np.random.default_rng(0)
    predictions, references = make_caption_corpus(40, seed=9)
    return {
        "gen": rng.normal(size=(90, 64)), "ref": rng.normal(size=(70, 64)) + 0.2,
        "images": torch.from_numpy(rng.integers(0, 255, size=(10, 3, 24, 24), dtype=np.uint8)),
        "prompts": [f"prompt {i} " + "word " * (i * 4) for i in range(10)],
        "predictions": predictions, "references": references,
    }


def score(rank: int, world: int) -> dict:
    from metrics.captions.streaming import CocoBLEU, CocoCaptionMetrics
    from metrics.clip_metrics import CLIPScore
    from metrics.extractors.toy import ToyImageExtractor
    from metrics.frechet_metrics import FrechetInceptionDistance
    from metrics.kid import KernelInceptionDistance

    d = data()
    fid = FrechetInceptionDistance(extractor=ToyImageExtractor())
    kid = KernelInceptionDistance(extractor=ToyImageExtractor(), subsets=5, subset_size=30)
    for key, real in (("gen", False), ("ref", True)):
        part = np.array_split(d[key], world)[rank]
        fid.update_features(part, real=real)
        kid.update_features(part, real=real)
    # all reference features on rank 0: the other ranks hold none of that set (an empty list state)
    kid_one_sided = KernelInceptionDistance(extractor=ToyImageExtractor(), subsets=5, subset_size=30)
    kid_one_sided.update_features(np.array_split(d["gen"], world)[rank], real=False)
    if rank == 0:
        kid_one_sided.update_features(d["ref"], real=True)
    clip = CLIPScore(model="toy-clip")
    idx = np.array_split(np.arange(10), world)[rank]
    clip.update(d["images"][idx], [d["prompts"][i] for i in idx])
    ids = sorted(d["references"])
    mine = np.array_split(np.arange(len(ids)), world)[rank]
    bleu = CocoBLEU()
    bleu.update([d["predictions"][ids[i]] for i in mine], [d["references"][ids[i]] for i in mine])
    captions = CocoCaptionMetrics(metrics=("cider", "rouge_l"))
    captions.update({ids[i]: d["predictions"][ids[i]] for i in mine}, {ids[i]: d["references"][ids[i]] for i in mine})
    kid_result = kid.compute(interval_groups=5)
    clip_result = clip.compute()
    return {
        "fid": fid.compute().value, "kid_mean": kid_result.kid_mean.value, "kid_std": kid_result.kid_std.value,
        "kid_ci": [kid_result.kid_mean.ci.low, kid_result.kid_mean.ci.high],
        "kid_one_sided": kid_one_sided.compute().kid_mean.value,
        "clip_score": clip_result.value,
        "clip_truncated": clip_result.details["n_truncated"], "bleu4": bleu.compute().bleu4.value,
        "cider": captions.compute().results["cider"].value,
    }


def worker(rank: int, world: int, port: int, out_path: str) -> None:
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        result = score(rank, world)
        if rank == 0:
            with open(out_path, "w") as handle:
                json.dump(result, handle)
    finally:
        dist.destroy_process_group()
