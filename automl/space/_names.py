"""Search spaces given as text: 'default', model families joined by commas (`default` among them
stands for the default space's families), a YAML file's path, or inline YAML/JSON."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from automl.exceptions import SpaceError
from automl.models import family_names

DEFAULT_SPACE = "default"


def is_space_file(text: str) -> bool:
    """Whether `text` is the path of an existing file; inline YAML/JSON text is not, however
    long (the file system refuses names over 255 bytes with an error, not False)."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # a name too long, or one holding a NUL byte
        return False


def resolve_space(space: str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A space name or inline YAML/JSON text -> the space as data (None = the default space)."""
    if space is None or isinstance(space, Mapping):
        return None if space is None else dict(space)
    text = space.strip()
    if not text:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]  # 'a,b,' as 'a,b'
    if not names:
        raise SpaceError(f"the search space {space!r} names no model family")
    known = (*family_names(), DEFAULT_SPACE)
    if all(name in known for name in names):
        return None if names == [DEFAULT_SPACE] else {"models": names}
    if text.startswith(("{", "models")) or "\n" in text:
        try:
            parsed = json.loads(text) if text.startswith("{") else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise SpaceError(f"the inline search space is not valid JSON or YAML: {exc}") from None
        if not isinstance(parsed, dict):
            raise SpaceError("an inline search space must be a mapping with 'models'")
        return parsed
    if text.endswith((".yaml", ".yml", ".json")) or "/" in text:
        raise SpaceError(f"search space file not found: {text}")
    unknown = next(name for name in names if name not in known)
    close = difflib.get_close_matches(unknown, family_names(), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise SpaceError(
        f"unknown search space '{unknown}'{hint}; use '{DEFAULT_SPACE}', model families"
        f" ({', '.join(family_names())}) joined by commas, a YAML file, or an inline YAML/JSON"
        " space"
    )
