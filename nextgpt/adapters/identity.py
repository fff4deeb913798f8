"""An adapter's fingerprint: a hash of what decides its outputs.

That is the folder's content, every setting that changes outputs, and the version of the adapter's own code
(``implementation``). The version matters because the generation cache reuses an output whenever the fingerprint
matches. A change to how an adapter turns a request into an output (a prompt template, a frame rule, an output
format) must bump its module's ``IMPLEMENTATION``, or cached outputs of the old code would be reused under the new
one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from nextgpt.core.interface import JSONValue


def adapter_fingerprint(identity: Mapping[str, JSONValue], *, implementation: int) -> str:
    """sha256 of ``identity`` plus the adapter code's ``implementation`` version, as canonical JSON."""
    content = {**identity, "implementation": implementation}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()
