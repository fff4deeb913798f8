"""``nextgpt-bench score ...`` and ``nextgpt-bench weights ...``.

Heavy imports (torch, extractors) happen inside the commands so ``--help`` stays fast. Every failure the user
can fix raises a :class:`nextgpt.core.errors.NextGPTError`, which the entry point prints and turns into exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from metrics.defaults import DEFAULT_CAPTION_TOKENIZER, JACKKNIFE_GROUPS
from nextgpt.core.progress import SLOW_WORK_SECONDS, progress_task

JSON_HELP = 'print {"metrics": {name: value}, "provenance": {name: {...}}} as JSON'
DEFAULT_IMAGE_EXTRACTOR = "inception-2015-12-05"


def register(subparsers: argparse._SubParsersAction) -> None:
    score = subparsers.add_parser("score", help="compute metrics (captions, images, audio, video)")
    kinds = score.add_subparsers(dest="kind", required=True, metavar="KIND")

    captions = kinds.add_parser("captions", help="BLEU-1..4, METEOR, ROUGE-L, CIDEr-D (COCO) and sacreBLEU")
    captions.add_argument("--pred", required=True, type=Path, help="predictions: JSON {id: caption} or JSONL")
    captions.add_argument("--refs", required=True, type=Path, help="references: JSON {id: [captions]} or JSONL")
    captions.add_argument("--tokenizer", default=DEFAULT_CAPTION_TOKENIZER, choices=["ptb-python", "ptb-java"])
    _common(captions)
    captions.set_defaults(func=_score_captions)

    images = kinds.add_parser("images", help="FID, KID (folders) and CLIP score (with --prompts)")
    images.add_argument("--gen", required=True, type=Path, help="generated images: folder or .npz statistics")
    images.add_argument("--ref", type=Path, help="reference images: folder or .npz statistics (pytorch-fid)")
    images.add_argument("--prompts", type=Path, help="JSON {image file stem: prompt} for CLIP score")
    images.add_argument("--extractor", help=f"feature network ('toy' offline; default: what a .npz side records, "
                        f"else {DEFAULT_IMAGE_EXTRACTOR}); unused when both sides are .npz")
    images.add_argument("--weights", type=Path, help="weights file or folder for the feature network")
    images.add_argument("--resize", choices=["tf-bilinear", "torch-bilinear", "pil-bicubic"],
                        help="resize before the network (default: what a .npz side records, else tf-bilinear)")
    images.add_argument("--clip-model", default="clip-vit-b-32", help="CLIP backbone ('toy-clip' offline)")
    images.add_argument("--kid-subsets", type=int, default=100)
    images.add_argument("--kid-subset-size", type=int, default=1000,
                        help="clamped (with a warning) to the smaller set")
    images.add_argument("--batch-size", type=int, default=32)
    images.add_argument("--save-ref-stats", type=Path, help="write the reference statistics to this .npz")
    _common(images)
    images.set_defaults(func=_score_images)

    audio = kinds.add_parser("audio", help="FAD on VGGish embeddings")
    audio.add_argument("--gen", required=True, type=Path, help="folder of generated audio")
    audio.add_argument("--ref", required=True, type=Path, help="folder of reference audio or .npz statistics")
    audio.add_argument("--extractor", default="vggish", help="embedding network ('toy-audio' offline)")
    audio.add_argument("--weights", type=Path)
    audio.add_argument("--resample", action="store_true", help="resample non-16 kHz files (recorded)")
    _common(audio)
    audio.set_defaults(func=_score_audio)

    video = kinds.add_parser("video", help="CLIPSIM: mean CLIP score over frames")
    video.add_argument("--gen", required=True, type=Path, help="folder of videos (files or folders of frames)")
    video.add_argument("--prompts", required=True, type=Path, help="JSON {video stem: prompt}")
    video.add_argument("--clip-model", default="clip-vit-b-32")
    video.add_argument("--max-frames", type=int, default=16, help="evenly spaced frames per video")
    _common(video)
    video.set_defaults(func=_score_video)

    weights = subparsers.add_parser("weights", help="list or fetch (opt-in) the canonical feature weights")
    actions = weights.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="registered extractors, files, sha256, sources, where found")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_weights_list)
    fetch = actions.add_parser("fetch", help="download one canonical weights file and verify its sha256")
    fetch.add_argument("name")
    fetch.add_argument("--dest", type=Path, help="folder (default: the cache folder)")
    fetch.add_argument("--url", help="mirror URL (the sha256 is still checked)")
    fetch.set_defaults(func=_weights_fetch)


def _int_at_least(minimum: int, meaning: str = "") -> Callable[[str], int]:
    """argparse type: an integer >= ``minimum`` (bad values stop the command at parse time, exit 2)."""
    expected = f"an integer >= {minimum}{meaning}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bootstrap", type=_int_at_least(0, " (0: no intervals)"), default=0,
                        help="intervals: seeded bootstrap resamples for per-sample metrics (CLIP score, captions); "
                             "any value > 0 also gives FID/FAD a jackknife interval (metrics/README.md, Intervals)")
    parser.add_argument("--jackknife-groups", type=_int_at_least(3), default=JACKKNIFE_GROUPS,
                        help="groups of the FID/FAD jackknife interval (cost: 1 + 3G Frechet distances)")
    parser.add_argument("--seed", type=_int_at_least(0), default=0)
    parser.add_argument("--json", action="store_true", help=JSON_HELP)




def _emit(results: list[Any], as_json: bool) -> int:
    metrics = {}
    provenance = {}
    for result in results:
        metrics[result.name] = result.value if result.available else None
        if result.provenance.extractor:
            metrics[result.qualified_name] = metrics[result.name]
        provenance[result.name] = result.to_dict()
    if as_json:
        json.dump({"metrics": metrics, "provenance": provenance}, sys.stdout, indent=2, default=float)
        sys.stdout.write("\n")
    else:
        for result in results:
            value = f"{result.value:.6f}" if result.available else f"unavailable ({result.unavailable_reason})"
            ci = f"  [{result.ci.low:.6f}, {result.ci.high:.6f}]" if result.ci else ""
            print(f"{result.qualified_name:40s} {value}{ci}")
            for message in result.provenance.warnings:
                print(f"    warning: {message}")
    return 0


# --- captions -----------------------------------------------------------------------------------------

def _score_captions(args: argparse.Namespace) -> int:
    from metrics.captions.caption_files import load_captions, load_predictions
    from metrics.captions.corpus import build_corpus
    from metrics.captions.suite import score_corpus

    predictions, references = load_predictions(args.pred), load_captions(args.refs)
    corpus = build_corpus(predictions, references, args.tokenizer, predictions_source=str(args.pred),
                          references_source=str(args.refs))
    scores = score_corpus(corpus, bootstrap=args.bootstrap, seed=args.seed)
    return _emit(list(scores.results.values()), args.json)


# --- images -------------------------------------------------------------------------------------------

def _load_prompts(path: Path) -> dict[str, str]:
    from metrics.captions.caption_files import load_predictions

    return load_predictions(path)


def _side(real: bool) -> str:
    return "reference" if real else "generated"


def _image_features(folder: Path, extractor: Any, batch_size: int, warnings: list[str], side: str) -> Any:
    """The features of every image in ``folder``, a batch at a time; progress (counted in images over the whole
    folder) shows once the pass takes a while."""
    import numpy as np

    from metrics.image_files import iter_image_batches, list_images

    files = list_images(folder)
    parts = []
    with progress_task(f"{extractor.name} features ({side})", len(files), unit="images",
                       show_after=SLOW_WORK_SECONDS) as progress:
        for batch in iter_image_batches(files, batch_size, warnings):
            parts.append(extractor.extract(batch).numpy())
            progress.advance(len(batch))
    return np.concatenate(parts)


def _score_images(args: argparse.Namespace) -> int:
    from metrics.errors import ConfigError
    from metrics.extractors.registry import build_extractor
    from metrics.frechet import GaussianStatistics
    from metrics.frechet_metrics import FrechetInceptionDistance
    from metrics.kid import KernelInceptionDistance
    from metrics.provenance import MetricResult, warn
    from metrics.statistics_file import check_matches_extractor, check_statistics_target

    if args.save_ref_stats is not None:  # written after the features are computed: refuse a bad path first
        check_statistics_target(args.save_ref_stats, flag="--save-ref-stats")
    results: list[MetricResult] = []
    warnings: list[str] = []
    stats_files = _statistics_sides(args)
    if len(stats_files) == 2:  # both sides are statistics: no feature network at all
        results += _fid_from_two_statistics_files(args, stats_files[False], stats_files[True])
    elif args.ref is not None:
        extractor_name, resize = _image_extractor_choice(args, stats_files)
        extractor = build_extractor(extractor_name, args.weights, resize=resize)
        fid = FrechetInceptionDistance(extractor=extractor)
        kid = KernelInceptionDistance(extractor=extractor, subsets=args.kid_subsets,
                                      subset_size=args.kid_subset_size)
        statistics_notes: list[str] = []
        sides: dict[bool, Any] = {}
        for real, path in ((False, args.gen), (True, args.ref)):
            if real in stats_files:
                source = f"used for the images in {args.ref if not real else args.gen}"
                for message in check_matches_extractor(stats_files[real], extractor.identity, resize, source):
                    warn(statistics_notes, message)
                sides[real] = stats_files[real].statistics
            else:
                sides[real] = _image_features(path, extractor, args.batch_size, warnings, _side(real))
        for real, value in sides.items():
            if isinstance(value, GaussianStatistics):
                fid.set_reference_statistics(value, real=real)
            else:
                fid.update_features(value, real=real)
                kid.update_features(value, real=real)
        fid.add_notes(warnings + statistics_notes)
        results.append(fid.compute())
        if args.save_ref_stats is not None:
            _save_reference_statistics(args.save_ref_stats, fid.statistics(True), extractor, resize,
                                       stats_files.get(True))
        if all(not isinstance(v, GaussianStatistics) for v in sides.values()):
            results += _compute_kid(kid, args.jackknife_groups if args.bootstrap else 0)
        else:
            results += _kid_unavailable([f.path for f in stats_files.values()], extractor.name)
        if args.bootstrap and all(not isinstance(v, GaussianStatistics) for v in sides.values()):
            from metrics.frechet_interval import frechet_interval

            ci = frechet_interval(results[0].value, sides[False], sides[True], groups=args.jackknife_groups,
                                  seed=args.seed)
            results[0] = MetricResult(results[0].name, results[0].value, results[0].provenance, ci)
    if args.prompts is not None:
        results.append(_clip_score_folder(args, warnings))
    if not results:
        raise ConfigError("score images needs --ref (FID/KID) and/or --prompts (CLIP score)")
    return _emit(results, args.json)


def _statistics_sides(args: argparse.Namespace) -> dict[bool, Any]:
    """The sides given as .npz statistics, loaded and validated: {real: StatisticsFile} (none without --ref)."""
    from metrics.statistics_file import load_statistics

    if args.ref is None:
        return {}
    sides = ((False, args.gen), (True, args.ref))
    return {real: load_statistics(path) for real, path in sides if path.suffix == ".npz"}


def _image_extractor_choice(args: argparse.Namespace, stats_files: dict[bool, Any]) -> tuple[str, str]:
    """Extractor and resize for images against at most one statistics file: what the user named, else what the
    file records, else the defaults. A file that records nothing needs --extractor: guessing would silently
    pair its statistics with another network's features."""
    from metrics.defaults import DEFAULT_IMAGE_RESIZE
    from metrics.errors import ConfigError
    from metrics.statistics_file import check_recorded

    stats_file = next(iter(stats_files.values()), None)
    if stats_file is None:
        return args.extractor or DEFAULT_IMAGE_EXTRACTOR, args.resize or DEFAULT_IMAGE_RESIZE
    folder = args.gen if stats_file.path == args.ref else args.ref
    if not stats_file.provenance_known and args.extractor is None:
        raise ConfigError(f"{stats_file.path} does not record which extractor produced its {stats_file.dim}-d "
                          f"statistics (a plain pytorch-fid file); name it with --extractor so the images in "
                          f"{folder} go through the same network")
    # checked before the network is built, so a mismatch is reported even without its weights
    check_recorded(stats_file, "extractor", args.extractor, f"--extractor, for the images in {folder}")
    check_recorded(stats_file, "resize", args.resize, f"--resize, for the images in {folder}")
    return (args.extractor or stats_file.extractor or DEFAULT_IMAGE_EXTRACTOR,
            args.resize or stats_file.resize or DEFAULT_IMAGE_RESIZE)


def _fid_from_two_statistics_files(args: argparse.Namespace, generated: Any, reference: Any) -> list[Any]:
    """FID of two .npz files: no feature network, any dimension; KID is reported unavailable, not omitted."""
    from dataclasses import replace

    from metrics.provenance import warn
    from metrics.statistics_file import check_recorded, frechet_from_statistics_files, resave_statistics

    for stats_file in (generated, reference):
        check_recorded(stats_file, "extractor", args.extractor, "named by --extractor")
        check_recorded(stats_file, "resize", args.resize, "named by --resize")
    result = frechet_from_statistics_files(generated, reference, "fid")
    if args.bootstrap:
        notes: list[str] = []
        warn(notes, "--bootstrap ignored: an interval needs the features of both sets, statistics files hold "
                    "only mu/sigma")
        result = replace(result, provenance=result.provenance.with_warnings(notes))
    if args.save_ref_stats is not None:
        resave_statistics(args.save_ref_stats, reference)
    return [result, *_kid_unavailable([generated.path, reference.path], result.provenance.extractor)]


def _compute_kid(kid: Any, interval_groups: int) -> list[Any]:
    """kid_mean and kid_std, or both unavailable with the reason: a KID failure never discards the FID."""
    from metrics.errors import NextGPTError
    from metrics.provenance import MetricResult, Provenance

    try:
        return list(kid.compute(interval_groups=interval_groups))
    except NextGPTError as error:
        prov = Provenance(metric="kid", extractor=kid.extractor.name)
        return [MetricResult.unavailable(name, str(error), prov) for name in ("kid_mean", "kid_std")]


def _kid_unavailable(statistics_paths: list[Path], extractor: str | None) -> list[Any]:
    from metrics.provenance import MetricResult, Provenance

    names = " and ".join(str(p) for p in statistics_paths)
    verb = "hold" if len(statistics_paths) > 1 else "holds"
    reason = (f"KID cannot be computed from statistics: it needs the features of both sets, and {names} {verb} "
              "only mu/sigma")
    prov = Provenance(metric="kid", extractor=extractor)
    return [MetricResult.unavailable(name, reason, prov) for name in ("kid_mean", "kid_std")]


def _save_reference_statistics(path: Path, statistics: Any, extractor: Any, resize: str,
                               source: Any | None) -> None:
    """--save-ref-stats: a reference that came from a file keeps that file's record (an unknown provenance is
    never relabelled with the extractor named on the command line); otherwise record the extractor used."""
    from metrics.statistics_file import resave_statistics, save_statistics

    if source is not None:
        resave_statistics(path, source)
        return
    identity = extractor.identity
    save_statistics(path, statistics, extractor=identity.name, extractor_canonical=identity.canonical,
                    weights_sha256=identity.weights_sha256, resize=resize, input_convention=identity.input_convention)


def _clip_score_folder(args: argparse.Namespace, warnings: list[str]) -> Any:
    from dataclasses import replace

    from metrics.clip_metrics import CLIPScore
    from metrics.errors import MediaError
    from metrics.image_files import list_images, load_image

    if args.gen.suffix == ".npz":
        raise MediaError("CLIP score needs the generated images themselves (--gen FOLDER), not statistics")
    prompts = _load_prompts(args.prompts)
    files = list_images(args.gen)
    missing = [f.stem for f in files if f.stem not in prompts]
    if missing:
        raise MediaError(f"{args.prompts} has no prompt for image(s) {missing[:5]} (keys are file stems)")
    metric = CLIPScore(model=args.clip_model, keep_per_sample=bool(args.bootstrap))
    with progress_task(f"{args.clip_model} clip score", len(files), unit="images",
                       show_after=SLOW_WORK_SECONDS) as progress:
        for path in files:
            metric.update(load_image(path, warnings)[None], [prompts[path.stem]])
            progress.advance()
    result = metric.compute(bootstrap=args.bootstrap, seed=args.seed)
    return replace(result, provenance=result.provenance.with_warnings(warnings))


# --- audio --------------------------------------------------------------------------------------------

def _score_audio(args: argparse.Namespace) -> int:
    import torch

    from metrics.audio_files import list_audio, load_audio_examples
    from metrics.frechet_interval import frechet_interval
    from metrics.frechet_metrics import FrechetAudioDistance
    from metrics.provenance import MetricResult, warn
    from metrics.statistics_file import check_matches_extractor, load_statistics

    fad = FrechetAudioDistance(extractor=args.extractor, weights=args.weights)
    warnings: list[str] = []
    import numpy as np

    features: dict[bool, Any] = {}
    clusters: dict[bool, Any] = {}
    for real, path in ((False, args.gen), (True, args.ref)):
        if path.suffix == ".npz":
            stats_file = load_statistics(path)
            source = f"used for the audio in {args.ref if not real else args.gen}"
            for message in check_matches_extractor(stats_file, fad.extractor.identity, None, source):
                warn(warnings, message)
            fad.set_reference_statistics(stats_file.statistics, real=real)
            continue
        parts = []
        files = list_audio(path)
        with progress_task(f"{fad.extractor.name} features ({_side(real)})", len(files), unit="files",
                           show_after=SLOW_WORK_SECONDS) as progress:
            for file in files:
                examples = load_audio_examples(file, resample=args.resample, warnings=warnings)
                parts.append(fad.extractor.extract(examples))
                progress.advance()
        features[real] = torch.cat(parts).numpy()
        clusters[real] = np.repeat(np.arange(len(parts)), [len(p) for p in parts])  # examples of one file
        fad.update_features(features[real], real=real)
    fad.add_notes(warnings)
    result = fad.compute()
    if args.bootstrap and len(features) == 2:
        ci = frechet_interval(result.value, features[False], features[True], generated_clusters=clusters[False],
                              reference_clusters=clusters[True], groups=args.jackknife_groups, seed=args.seed)
        result = MetricResult(result.name, result.value, result.provenance, ci)
    return _emit([result], args.json)


# --- video --------------------------------------------------------------------------------------------

def _read_video_frames(path: Path, max_frames: int) -> Any:
    """The frames CLIPSIM scores of one video (file or folder of frames): the rule the clipsim evaluate module
    shares (metrics/frame_picking.py)."""
    from metrics.frame_picking import read_picked_frames

    return read_picked_frames(path, max_frames)


def _score_video(args: argparse.Namespace) -> int:
    from metrics.clip_metrics import CLIPSIM
    from metrics.errors import MediaError

    prompts = _load_prompts(args.prompts)
    if not args.gen.is_dir():
        raise MediaError(f"{args.gen} is not a folder of videos")
    videos = sorted(p for p in args.gen.iterdir() if p.is_dir() or p.suffix.lower() in (".mp4", ".avi", ".webm",
                                                                                        ".mov", ".gif"))
    if not videos:
        raise MediaError(f"{args.gen} contains no videos (files or folders of frames)")
    missing = [v.stem for v in videos if v.stem not in prompts]
    if missing:
        raise MediaError(f"{args.prompts} has no prompt for video(s) {missing[:5]} (keys are file/folder stems)")
    metric = CLIPSIM(model=args.clip_model, keep_per_sample=bool(args.bootstrap))
    with progress_task(f"{args.clip_model} clipsim", len(videos), unit="videos",
                       show_after=SLOW_WORK_SECONDS) as progress:
        for video in videos:
            metric.update([_read_video_frames(video, args.max_frames)], [prompts[video.stem]])
            progress.advance()
    return _emit([metric.compute(bootstrap=args.bootstrap, seed=args.seed)], args.json)


# --- weights ------------------------------------------------------------------------------------------

def _weights_list(args: argparse.Namespace) -> int:
    from metrics.extractors.registry import registered_extractors
    from metrics.weights import candidate_paths

    rows = []
    for spec in registered_extractors():
        row: dict[str, Any] = {"name": spec.name, "modality": spec.modality, "canonical": spec.canonical,
                               "description": spec.description}
        if spec.weights is not None:
            found = next((str(p) for p in candidate_paths(spec.weights) if p.is_file()), None)
            row.update(file=spec.weights.file_name, sha256=spec.weights.sha256, url=spec.weights.url,
                       source=spec.weights.source, licence=spec.weights.licence, found=found)
        rows.append(row)
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for row in rows:
            where = row.get("found") or ("missing" if "file" in row else "no weights needed")
            print(f"{row['name']:24s} {row['modality']:11s} {'canonical' if row['canonical'] else 'toy':9s} "
                  f"{row.get('file', '-'):40s} {where}")
    return 0


def _weights_fetch(args: argparse.Namespace) -> int:
    from metrics.errors import ConfigError
    from metrics.extractors.registry import extractor_spec
    from metrics.weights import fetch_weights

    spec = extractor_spec(args.name)
    if spec.weights is None:
        raise ConfigError(f"{args.name} is a non-canonical extractor without weights; nothing to fetch")
    path = fetch_weights(args.name, spec.weights, args.dest, args.url)
    print(f"{args.name}: {path} (sha256 {spec.weights.sha256} verified)")
    return 0
