"""Reading a YAML config file: a missing file, unreadable text or invalid YAML is a ConfigError naming the file."""
from __future__ import annotations

from pathlib import Path

from ._checks import ConfigError

__all__ = ["read_yaml", "write_yaml"]


def read_yaml(path: Path, what: str) -> object:
    """The parsed content of ``path`` (``what`` says which kind of file, for the message)."""
    import yaml

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} file {str(path)!r} does not exist; check the path")
    if path.is_dir():
        raise ConfigError(f"{str(path)!r} is a folder; pass the path of the {what} YAML file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path.name}: not a text file (is it the {what} YAML file?); {str(path)!r}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            f"{path.name}: not valid YAML{where} ({problem}); fix the indentation or quoting there ({str(path)!r})"
        ) from None


def write_yaml(path: str | Path, data: dict) -> Path:
    """Write ``data`` as human-editable YAML (keys in their order, text as written) and return the path."""
    import yaml

    path = Path(path)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path
