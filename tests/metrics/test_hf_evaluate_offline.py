"""The evaluate modules never touch the network, ship inside the packages, and are seen by the layering check.

The offline check runs in a fresh interpreter, so that ``import evaluate`` itself happens behind the guard: every
socket connection and name lookup (other than local Unix sockets) raises and is recorded, with HF_HUB_OFFLINE=1
and HF_DATASETS_OFFLINE=1, while evaluate is imported and every module is loaded and computed (toy networks).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

from benchmarks.scoring import hf_evaluate
from metrics import hf_evaluate as library_modules

ROOT = Path(__file__).resolve().parents[2]

GUARDED_RUN = textwrap.dedent("""
    import json, socket, sys, warnings

    attempts = []
    real_connect = socket.socket.connect

    def refuse(what):
        def guard(*args, **kwargs):
            attempts.append(f"{what}{args[1:3] if what.startswith('socket') else args[:2]}")
            raise OSError(f"network access attempted ({what}) in an offline test")
        return guard

    def connect(self, address):
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        return refuse("socket.connect")(self, address)

    socket.socket.connect = connect
    socket.socket.connect_ex = refuse("socket.connect_ex")
    socket.create_connection = refuse("create_connection")
    socket.getaddrinfo = refuse("getaddrinfo")

    import evaluate  # behind the guard
    import numpy as np
    from benchmarks.scoring.hf_evaluate import load, module_names

    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(6)]
    audio = [(0.2 * rng.standard_normal(16000)).astype(np.float32) for _ in range(3)]
    inputs = {
        "fid": dict(predictions=images, references=images[:4], feature_network="toy"),
        "kid": dict(predictions=images, references=images[:4], feature_network="toy", kid_subsets=3),
        "clip_score": dict(predictions=images, references=["a red circle"] * 6, clip_model="toy-clip"),
        "clip_i": dict(predictions=images, references=images[::-1], clip_model="toy-clip"),
        "clipsim": dict(predictions=[np.stack(images[:3])], references=["a circle"], clip_model="toy-clip"),
        "fad": dict(predictions=audio, references=audio[:2], feature_network="toy-audio"),
        "coco_captions": dict(predictions=["a dog runs"], references=[["a dog is running", "a running dog"]],
                              caption_metrics=["bleu4", "rouge_l", "cider"]),
        "attribute_accuracy": dict(predictions=["a red circle"], attributes=[{"colour": "red", "shape": "circle",
                                   "size": "small", "background": "white"}]),
    }
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in module_names():
            module = load(name)
            results[name] = module.compute(**inputs[name])
    print(json.dumps({"attempts": attempts, "modules": sorted(results),
                      "values": {name: {k: v for k, v in result.items() if isinstance(v, float)}
                                 for name, result in results.items()}}))
""")


def test_importing_loading_and_computing_every_module_never_touches_the_network(tmp_path: Path) -> None:
    home, hf_home = tmp_path / "home", tmp_path / "hf"
    home.mkdir()
    script = tmp_path / "guarded_run.py"
    script.write_text(GUARDED_RUN)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HF_", "XDG_CACHE"))}
    env.update(HOME=str(home), HF_HOME=str(hf_home), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["attempts"] == []
    assert report["modules"] == list(hf_evaluate.module_names())
    assert all(report["values"][name] for name in report["modules"]), report["values"]
    # evaluate's copies of the scripts went to HF_HOME, nothing to the home folder's cache
    assert (hf_home / "modules" / "evaluate_modules" / "metrics" / "fid").is_dir()
    assert not (home / ".cache" / "huggingface").exists()


def test_the_module_scripts_are_packages_setuptools_installs() -> None:
    """Each module folder has an ``__init__.py`` and matches ``[tool.setuptools.packages.find]``, so a wheel
    carries ``NAME/NAME.py`` as a module of the package, and ``module_path`` finds it where pip put it."""
    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = set(find_packages(where=str(ROOT), include=config["include"]))
    for name in hf_evaluate.module_names():
        folder = hf_evaluate.module_path(name)
        package = ".".join(folder.relative_to(ROOT).parts)
        assert package in packages, f"{package} would not be installed"
        assert (folder / f"{name}.py").is_file() and (folder / "__init__.py").is_file()


GRAPH_OF_SCRIPTS = textwrap.dedent("""
    import json, sys
    import grimp

    graph = grimp.build_graph("nextgpt", "metrics", "benchmarks", cache_dir=None)
    scripts = sys.argv[1:]
    print(json.dumps({script: sorted(graph.find_modules_directly_imported_by(script)) if script in graph.modules
                      else None for script in scripts}))
""")


def test_lint_imports_sees_every_module_script_and_its_imports() -> None:
    """import-linter's graph (grimp, built from the repository as lint-imports builds it) holds each script as a
    module with its imports, so the layer contracts apply to it: the library's scripts sit in the metrics layer,
    the harness's in benchmarks.scoring."""
    scripts = {}
    for name in hf_evaluate.module_names():
        package = ".".join(hf_evaluate.module_path(name).relative_to(ROOT).parts)
        assert package.startswith("metrics." if name in library_modules.module_names() else "benchmarks.scoring.")
        scripts[name] = f"{package}.{name}"
    done = subprocess.run([sys.executable, "-c", GRAPH_OF_SCRIPTS, *scripts.values()], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    imports = json.loads(done.stdout)
    for script in scripts.values():
        assert imports[script] is not None, f"{script} is not in import-linter's graph"
        assert "metrics.hf_evaluate.base" in imports[script], (script, imports[script])


def _pins() -> dict[str, str]:
    """pyproject's ``name==version`` dependencies, by normalised name."""
    import re

    from packaging.utils import canonicalize_name

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = [re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", dependency) for dependency in dependencies]
    return {canonicalize_name(pin.group(1)): pin.group(2) for pin in pins if pin}


def test_evaluate_and_what_it_needs_are_pinned_at_the_installed_versions() -> None:
    """Every package evaluate and datasets list as a dependency (their extras and platform markers aside), and
    huggingface-hub, which the CLI imports directly, is pinned with == to the version installed here."""
    from importlib.metadata import requires, version

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = _pins()
    needed = {"huggingface-hub"}
    for package in ("evaluate", "datasets"):
        for line in requires(package) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                needed.add(canonicalize_name(requirement.name))
    unpinned = sorted(name for name in needed if name not in pins)
    assert not unpinned, f"pin these in pyproject.toml beside evaluate: {unpinned}"
    assert {name: pins[name] for name in needed} == {name: version(name) for name in needed}
