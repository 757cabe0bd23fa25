"""The six-row comparison a user reads before adopting the search: what
each row is (:mod:`.rows`), how its steps run (:mod:`.steps`), one target's
rows (:mod:`.target`), the rank study (:mod:`.rank_study`) and the report
notes (:mod:`.notes`). ``tools/run_demo.py`` is a thin CLI over it."""
from .rows import ROWS, Row
from .steps import Steps

__all__ = ['ROWS', 'Row', 'Steps']
