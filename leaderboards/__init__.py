"""Leaderboards: runs from a results store beside the NExT-GPT paper's reference rows (see reports/README.md).

``board.py`` builds the pandas tables (Markdown, CSV, HTML).  The paper's numbers are the task layer's
(``benchmarks/tasks/paper_reference.json``, loaded by ``benchmarks.tasks.paper.load_reference``).
"""
