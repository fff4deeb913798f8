"""``python -m benchmarks.cli`` (what torchrun launches) is the ``nextgpt-bench`` command."""

from benchmarks.cli import main

raise SystemExit(main())
