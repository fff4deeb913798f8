"""Leaderboards: runs from a results store beside the NExT-GPT paper's reference rows (see reports/README.md).

``paper_reference.json`` holds the paper's numbers as data with their source; ``reference.py`` loads them in this
suite's units; ``board.py`` builds the pandas tables (Markdown, CSV, HTML).
"""
