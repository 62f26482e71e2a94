"""Search problems: what is searched and how a trial is scored (tabular data, a custom
objective). Each module here registers its problem; `run_problem` is the one driver."""

from automl._registry import import_modules
from automl.problems.base import Problem, problem_for, register_problem
from automl.problems.driver import run_problem

import_modules(__name__, __path__)

__all__ = ["Problem", "problem_for", "register_problem", "run_problem"]
