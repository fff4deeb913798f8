"""RecordedPrefix (benchmarks/scoring/recorded_prefix.py): the streams work on the dataset's samples recorded
without a gap, in dataset order, whatever order the outputs are recorded in."""

from __future__ import annotations

from benchmarks.datasets.samples import Sample
from benchmarks.scoring.recorded_prefix import RecordedPrefix
from benchmarks.store import Generation

SAMPLES = tuple(Sample(f"s{i}") for i in range(6))


def _output(sample_id: str, turn: int = 0) -> Generation:
    return Generation(f"key-{sample_id}-{turn}", "t2i", sample_id, turn, 0, "text", (), (), 0.0)


def _grown(prefix: RecordedPrefix, *sample_ids: str) -> list[str]:
    grown = [(sample.id, output.sample_id) for sample, output in prefix.extend(_output(i) for i in sample_ids)]
    assert all(sample == output for sample, output in grown), grown
    return [sample for sample, _ in grown]


def test_the_prefix_grows_in_dataset_order_only_past_recorded_samples() -> None:
    prefix = RecordedPrefix(SAMPLES)
    assert _grown(prefix, "s1", "s2") == [], "s0 is not recorded yet"
    assert _grown(prefix, "s0") == ["s0", "s1", "s2"]
    assert _grown(prefix, "s4") == []
    assert _grown(prefix, "s3", "s5") == ["s3", "s4", "s5"]
    assert _grown(prefix, "s0") == [], "a sample is yielded once"


def test_later_turns_do_not_grow_the_prefix() -> None:
    prefix = RecordedPrefix(SAMPLES)
    assert [s.id for s, _ in prefix.extend([_output("s0", turn=1)])] == []
    assert [(s.id, g.turn) for s, g in prefix.extend([_output("s0")])] == [("s0", 0)]


def test_a_stopped_prefix_yields_nothing_more() -> None:
    prefix = RecordedPrefix(SAMPLES)
    for sample, _ in prefix.extend(_output(i) for i in ("s0", "s1", "s2")):
        if sample.id == "s1":
            prefix.stop()
            break
    assert _grown(prefix, "s3", "s4") == []
