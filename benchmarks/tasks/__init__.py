"""Task declarations and their registry (``register_task``) and suites (``register_suite``); the NExT-GPT paper's
numbers for them are in ``paper_reference.json`` (``benchmarks.tasks.paper``)."""

from benchmarks.tasks.task import (
    Task,
    get_task,
    register_suite,
    register_task,
    registered_tasks,
    suite_tasks,
)

__all__ = ["Task", "get_task", "register_suite", "register_task", "registered_tasks",
           "suite_tasks"]
