"""Signal-token runs: complete, partial, shuffled, runaway and missing runs never crash and are reported."""

from __future__ import annotations

from nextgpt.model.config import SignalTokenConfig
from nextgpt.model.signal_tokens import SignalVocabulary, all_added_tokens, normalise_answer, signal_token_names

IMG = (100, 101, 102, 103)
VID = tuple(range(200, 224))
AUD = tuple(range(300, 308))
VOCAB = SignalVocabulary(marker_ids=(90, 91), run_ids={"image": IMG, "video": VID, "audio": AUD})


def test_legacy_names_counts_and_order() -> None:
    names = signal_token_names(SignalTokenConfig())
    assert names["image"] == ["[IMG0]", "[IMG1]", "[IMG2]", "[IMG3]"]
    assert len(names["video"]) == 24 and names["video"][-1] == "[VID23]"
    assert len(names["audio"]) == 8 and names["audio"][-1] == "[AUD7]"
    added = all_added_tokens(SignalTokenConfig())
    assert added[:3] == ["<Img>", "</Img>", "[IMG0]"] and len(added) == 38


def test_text_only_answer_has_no_run() -> None:
    answer = normalise_answer([1, 2, 3], VOCAB)
    assert answer.token_ids == [1, 2, 3] and answer.runs == []


def test_complete_run_is_kept_in_place() -> None:
    answer = normalise_answer([5, *IMG, 6], VOCAB)
    assert answer.token_ids == [5, *IMG, 6]
    run = answer.run_for("image")
    assert run is not None and (run.status, run.start, run.length, run.dropped) == ("complete", 1, 4, 0)


def test_partial_run_is_completed_at_its_first_token() -> None:
    answer = normalise_answer([5, IMG[0], IMG[1], 6], VOCAB)
    assert answer.token_ids == [5, *IMG, 6]
    assert answer.run_for("image").status == "repaired"  # type: ignore[union-attr]


def test_run_cut_by_end_of_generation_is_completed() -> None:
    answer = normalise_answer([5, *VID[:10]], VOCAB)
    assert answer.token_ids == [5, *VID]
    assert answer.run_for("video").status == "repaired"  # type: ignore[union-attr]


def test_shuffled_and_stray_tokens_are_dropped_and_counted() -> None:
    answer = normalise_answer([IMG[2], IMG[0], 7, IMG[1], 8], VOCAB)
    assert answer.token_ids == [*IMG, 7, 8]
    run = answer.run_for("image")
    assert run is not None and run.status == "repaired" and run.dropped == 1


def test_runaway_repeats_keep_only_the_first_run() -> None:
    answer = normalise_answer([*AUD, *AUD, AUD[0], AUD[0], 9], VOCAB)
    assert answer.token_ids == [*AUD, 9]
    run = answer.run_for("audio")
    assert run is not None and run.status == "complete" and run.dropped == 10


def test_wanted_modality_is_forced_at_the_end_in_order() -> None:
    answer = normalise_answer([5, *IMG], VOCAB, want=["video", "audio", "image"])
    assert answer.token_ids == [5, *IMG, *VID, *AUD]
    assert [(r.modality, r.status) for r in answer.runs] == [
        ("image", "complete"), ("video", "forced"), ("audio", "forced")]


def test_markers_emitted_by_the_model_are_dropped() -> None:
    answer = normalise_answer([90, 5, 91], VOCAB)
    assert answer.token_ids == [5] and answer.dropped_markers == 2
