"""The layering of ARCHITECTURE.md holds: import-linter's contracts (pyproject.toml) are all kept.

``tox -e lint`` runs the same check in CI; running it here too means the README's test command catches an upward
import or a cycle before a push.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert command is not None, "lint-imports is missing: .ci/setup installs import-linter with the test extras"
    done = subprocess.run([command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_every_layer_of_the_contract_exists() -> None:
    """A renamed package would silently leave its layer unchecked: every module the contracts name exists."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    named = set()
    for contract in config["contracts"]:
        for key in ("layers", "source_modules", "forbidden_modules", "ancestors"):
            for entry in contract.get(key, []):
                named.update(part.strip() for part in entry.replace(":", "|").split("|"))
    paths = {name: ROOT / name.replace(".", "/") for name in named}
    missing = [name for name, path in sorted(paths.items())
               if not path.is_dir() and not path.with_suffix(".py").is_file()]
    assert not missing, f"pyproject.toml import-linter contracts name modules that do not exist: {missing}"
