"""Loading, validating and splitting tabular data."""

from automl.data._dataset import Dataset, labelled_rows, missing_column_message
from automl.data._meta import MetaFeatures, meta_features
from automl.data._read import MISSING_MARKERS, read_table
from automl.data._roles import ColumnRoles, Cross, infer_roles
from automl.data._split import EvaluationPlan, choose_evaluation
from automl.data._task import Task, infer_task

__all__ = [
    "MISSING_MARKERS",
    "ColumnRoles",
    "Cross",
    "Dataset",
    "EvaluationPlan",
    "MetaFeatures",
    "Task",
    "choose_evaluation",
    "infer_roles",
    "infer_task",
    "labelled_rows",
    "meta_features",
    "missing_column_message",
    "read_table",
]
