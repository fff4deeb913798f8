"""``python -m nextgpt.cli`` (what torchrun launches) is the ``nextgpt-bench`` command."""

from nextgpt.cli import main

raise SystemExit(main())
