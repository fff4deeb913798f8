"""Task declarations and their registry (``register_task``) and suites (``register_suite``)."""

from benchmarks.tasks.task import (
    PaperReference,
    Task,
    get_task,
    register_suite,
    register_task,
    registered_tasks,
    suite_tasks,
)

__all__ = ["PaperReference", "Task", "get_task", "register_suite", "register_task", "registered_tasks",
           "suite_tasks"]
