"""Search problems: what is searched and how a trial is scored (tabular data, a custom
objective). Each module here registers its problem; `run_problem` is the one driver."""

from automl.problems import objective, tabular  # noqa: F401  (they register)
from automl.problems.base import Problem, problem_for, register_problem
from automl.problems.driver import run_problem

__all__ = ["Problem", "problem_for", "register_problem", "run_problem"]
