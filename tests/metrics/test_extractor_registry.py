"""Weights lookup order, exact missing-file messages, sha256 checks, and the opt-in downloader."""

from __future__ import annotations

import hashlib
import http.server
import threading
from functools import partial
from pathlib import Path

import pytest
import torch
import torchvision

from metrics.errors import MissingWeightsError, WeightsHashError
from metrics.extractors.registry import INCEPTION_WEIGHTS, build_extractor, registered_extractors
from metrics.weights import WeightsSpec, fetch_weights, resolve_weights


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NEXTGPT_BENCH_WEIGHTS", raising=False)
    return tmp_path / "cache" / "nextgpt-bench" / "weights"


def test_every_canonical_extractor_names_file_hash_source_and_licence() -> None:
    canonical = [s for s in registered_extractors() if s.canonical]
    assert {s.name for s in canonical} >= {"inception-2015-12-05", "vggish", "clip-vit-b-32", "clip-vit-l-14"}
    for spec in canonical:
        assert spec.weights.file_name and len(spec.weights.sha256) == 64
        assert spec.weights.url.startswith("https://") and spec.weights.licence


def test_missing_weights_message_says_which_file_where(isolated_cache) -> None:
    with pytest.raises(MissingWeightsError) as info:
        build_extractor("inception-2015-12-05")
    message = str(info.value)
    assert "pt_inception-2015-12-05-6726825d.pth" in message
    assert INCEPTION_WEIGHTS.sha256 in message
    assert str(isolated_cache / "pt_inception-2015-12-05-6726825d.pth") in message
    assert "NEXTGPT_BENCH_WEIGHTS" in message and "weights fetch inception-2015-12-05" in message


def _spec_for(path: Path) -> WeightsSpec:
    return WeightsSpec(path.name, hashlib.sha256(path.read_bytes()).hexdigest(), "https://example.invalid/x",
                       "test", "test")


def test_lookup_order_explicit_then_env_then_cache(tmp_path, isolated_cache, monkeypatch) -> None:
    content = b"weights"
    for folder in (tmp_path / "explicit", tmp_path / "env", isolated_cache):
        folder.mkdir(parents=True)
        (folder / "w.bin").write_bytes(content)
    spec = _spec_for(tmp_path / "explicit" / "w.bin")
    monkeypatch.setenv("NEXTGPT_BENCH_WEIGHTS", str(tmp_path / "env"))
    assert resolve_weights("w", spec, tmp_path / "explicit") == tmp_path / "explicit" / "w.bin"
    assert resolve_weights("w", spec) == tmp_path / "env" / "w.bin"
    monkeypatch.delenv("NEXTGPT_BENCH_WEIGHTS")
    assert resolve_weights("w", spec) == isolated_cache / "w.bin"
    (isolated_cache / "w.bin").write_bytes(b"other")
    with pytest.raises(WeightsHashError, match="sha256"):
        resolve_weights("w", spec)


def test_inception_loads_a_torchvision_layout_file_strictly(tmp_path, isolated_cache, monkeypatch) -> None:
    """A file in the pytorch-fid layout (torchvision Inception3, 1008 classes) loads with strict=True."""
    state = torchvision.models.Inception3(num_classes=1008, aux_logits=False, init_weights=False).state_dict()
    path = tmp_path / INCEPTION_WEIGHTS.file_name
    torch.save(state, path)
    fake = WeightsSpec(path.name, hashlib.sha256(path.read_bytes()).hexdigest(), INCEPTION_WEIGHTS.url, "t", "t")
    import dataclasses

    from metrics.extractors import registry

    spec = registry._REGISTRY["inception-2015-12-05"]
    monkeypatch.setitem(registry._REGISTRY, spec.name, dataclasses.replace(spec, weights=fake))
    model = build_extractor("inception-2015-12-05", weights=path)
    assert model.identity.canonical and model.identity.feature_dim == 2048


@pytest.fixture
def served_file(tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"\x00canonical weights\x01" * 1000)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder / "weights.bin", f"http://127.0.0.1:{server.server_address[1]}/weights.bin"
    server.shutdown()
    server.server_close()


def test_fetch_verifies_sha256(served_file, tmp_path) -> None:
    source, url = served_file
    spec = WeightsSpec("weights.bin", hashlib.sha256(source.read_bytes()).hexdigest(), url, "test", "test")
    path = fetch_weights("w", spec, tmp_path / "dest")
    assert path.read_bytes() == source.read_bytes()
    bad = WeightsSpec("other.bin", "0" * 64, url, "test", "test")
    with pytest.raises(WeightsHashError, match="deleted"):
        fetch_weights("w", bad, tmp_path / "dest2")
    assert not any((tmp_path / "dest2").iterdir())


def test_metrics_refuse_an_extractor_of_the_wrong_kind_by_name() -> None:
    """FID/FAD/KID need a feature extractor and the CLIP metrics a text-image model: the wrong kind is a
    ConfigError listing the right ones (it used to fail later with an AttributeError)."""
    from metrics.clip_metrics import CLIPScore
    from metrics.errors import ConfigError
    from metrics.frechet_metrics import FrechetInceptionDistance
    from metrics.kid import KernelInceptionDistance

    with pytest.raises(ConfigError, match="'toy-clip' is a text-image model, not an image or audio feature"):
        FrechetInceptionDistance(extractor="toy-clip")
    with pytest.raises(ConfigError, match=r"image/audio extractors: .*toy"):
        KernelInceptionDistance(extractor="toy-clip")
    with pytest.raises(ConfigError, match="'toy' is an image feature extractor, not a text-image model"):
        CLIPScore(model="toy")
