"""Task declarations and their registry (``register_task``) and suites (``register_suite``); the NExT-GPT paper's
numbers for them are in ``paper_reference.json`` (``benchmarks.tasks.paper``).

The shipped tasks are registered here, when the package is first imported (Python runs this file before any of
its modules): ``benchmarks.tasks.builtin`` imports the registry, never the other way round.
"""

from benchmarks.tasks import (
    builtin,  # noqa: F401  (registers the shipped tasks and suites)
    cycles,  # noqa: F401  (registers the cycle tasks and their suite)
)
from benchmarks.tasks.task import (
    TASK_GROUPS,
    Task,
    TaskGroup,
    get_task,
    register_suite,
    register_task,
    registered_tasks,
    suite_tasks,
    task_group,
)

__all__ = ["TASK_GROUPS", "Task", "TaskGroup", "get_task", "register_suite", "register_task", "registered_tasks",
           "suite_tasks", "task_group"]
