"""new_model: copy the template notebooks for a new model, with its ``model.yaml`` and ``contract.yaml``.

The copied notebooks are unchanged (outputs stripped); everything model-specific lives in
``model.yaml`` (a :class:`~toolkit.config.ModelConfig`), which every template reads through its
``config = "model.yaml"`` parameter. ``contract.yaml`` holds the schema contract inferred from the
baseline, ready to be edited by hand.
"""
from __future__ import annotations

import ast
import datetime as _dt
import difflib
import os
from pathlib import Path

import pandas as pd

from .._checks import preview
from .._compat import renamed_arguments

__all__ = ["new_model", "template_notebooks", "templates_folder", "parameter_defaults", "SKIPPED_TEMPLATES"]

#: Template-like notebooks that are never copied or run as reports.
SKIPPED_TEMPLATES = ("00_smoke.ipynb",)
CONFIG_FILE = "model.yaml"
CONTRACT_FILE = "contract.yaml"
_ROLES = ("target", "score", "prediction", "timestamp", "id")


# ----------------------------------------------------------------------------- templates


def templates_folder() -> Path:
    """The folder holding the template notebooks.

    In a checkout (or an editable install) that is the repository's top-level ``notebooks/``; in an
    installed wheel, the copy shipped inside the package (``toolkit/notebooks``, found with
    :mod:`importlib.resources`). Raises ``FileNotFoundError`` (saying what to do) when neither exists.
    """
    from importlib import resources

    import toolkit

    package = Path(toolkit.__file__).resolve().parent
    checkout = package.parent / "notebooks"
    if checkout.is_dir() and template_notebooks(checkout):
        return checkout
    shipped = resources.files("toolkit").joinpath("notebooks")
    if isinstance(shipped, Path) and shipped.is_dir() and template_notebooks(shipped):
        return shipped
    raise FileNotFoundError(
        f"template notebooks not found: looked for {str(checkout)!r} (a checkout's notebooks/ folder) and "
        f"{str(package / 'notebooks')!r} (shipped in the wheel); reinstall toolkit (pip install .) or pass "
        "templates=FOLDER (CLI: --templates FOLDER)"
    )


def template_notebooks(folder: str | Path) -> list[Path]:
    """The report templates in ``folder``: every ``NN_*.ipynb`` (two digits), sorted, except ``00_smoke``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("02_b.ipynb", "00_smoke.ipynb", "01_a.ipynb", "notes.ipynb", "1_x.ipynb"):
    ...     _ = (folder / name).write_text("{}")
    >>> [p.name for p in template_notebooks(folder)]
    ['01_a.ipynb', '02_b.ipynb']
    """
    folder = Path(folder)
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.name not in SKIPPED_TEMPLATES and p.is_file())


def parameters_cell(nb) -> int | None:
    """Index of the notebook's cell tagged ``parameters`` (None if it has none)."""
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return i
    return None


def parameter_defaults(nb) -> dict[str, object]:
    """Names assigned in the ``parameters`` cell and their literal default values (``...`` if not a literal).

    ``nb`` is a notebook path or a ``NotebookNode``.

    Examples
    --------
    >>> from nbformat.v4 import new_notebook, new_code_cell
    >>> nb = new_notebook(cells=[new_code_cell('config = "model.yaml"\\nwindow = None  # latest\\nn = 2 * 3',
    ...                                        metadata={"tags": ["parameters"]})])
    >>> parameter_defaults(nb)
    {'config': 'model.yaml', 'window': None, 'n': Ellipsis}
    """
    import nbformat

    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(Path(nb), as_version=4)
    index = parameters_cell(nb)
    if index is None:
        return {}
    try:
        tree = ast.parse(nb.cells[index].source)
    except SyntaxError:
        return {}
    out: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        try:
            literal = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError):
            literal = ...
        for target in targets:
            if isinstance(target, ast.Name):
                out[target.id] = literal
    return out


def _clean_template(source: Path):
    """A template without outputs, execution counts or widget state, after checking its ``config`` default."""
    import nbformat

    nb = nbformat.read(source, as_version=4)
    if parameters_cell(nb) is None:
        raise ValueError(
            f"template {str(source)!r} has no cell tagged 'parameters'; tag the cell that sets "
            f"config = {CONFIG_FILE!r} (View > Cell Toolbar > Tags in Jupyter)"
        )
    default = parameter_defaults(nb).get("config")
    if default != CONFIG_FILE:
        raise ValueError(
            f"template {str(source)!r}: its parameters cell must set config = {CONFIG_FILE!r} so the copy "
            f"reads the model's own {CONFIG_FILE}; it sets config = {default!r}"
            if "config" in parameter_defaults(nb) else
            f"template {str(source)!r}: its parameters cell does not set config; add config = {CONFIG_FILE!r}"
        )
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in ("execution", "papermill", "collapsed", "scrolled"):
            cell.get("metadata", {}).pop(key, None)
    for key in ("widgets", "papermill"):
        nb.metadata.pop(key, None)
    return nb


# ----------------------------------------------------------------------------- data checks


def _data_files(argument: str, path: Path) -> list[Path]:
    from ..io import expand_paths

    if not any(ch in str(path) for ch in "*?[") and not path.exists():
        raise FileNotFoundError(f"{argument} {str(path)!r} does not exist; check the --{argument} path")
    try:
        return expand_paths(path)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{argument} {str(path)!r} has no .parquet or .csv files (a file, a glob, or a folder of batches "
            f"like week=2026-01/part-0.parquet); check the --{argument} path"
        ) from None


def _columns_of(file: Path) -> list[str]:
    """Column names of a data file without reading its rows."""
    if file.suffix == ".csv":
        return [str(c) for c in pd.read_csv(file, nrows=0).columns]
    import pyarrow.parquet as pq

    return [str(c) for c in pq.read_schema(file).names]


def _missing_role(role: str, column: str, where: str, columns: list[str], fix: str) -> KeyError:
    close = difflib.get_close_matches(column, columns, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return KeyError(
        f"{role} column {column!r} is not in the {where}; it has {preview(columns, 8)}.{hint} "
        f"Fix: {fix}"
    )


def _check_roles(roles: dict[str, str | None], baseline: pd.DataFrame, baseline_path: Path,
                 production_files: list[Path], labels_path: Path | None) -> str | None:
    """Every role names a real column; returns the labels' inclusion-probability column, if any."""
    columns = [str(c) for c in baseline.columns]
    for role, column in roles.items():
        if column is not None and column not in columns:
            raise _missing_role(role, column, f"baseline {str(baseline_path)!r}", columns,
                                f"pass --{role} (Python: {role}=) with a column of the baseline, or leave it out")
    first = production_files[0]
    produced = _columns_of(first)
    for role in ("score", "prediction", "timestamp", "id"):
        column = roles[role]
        if column is not None and column not in produced:
            raise _missing_role(
                role, column, f"production file {str(first)!r}", produced,
                f"production must log the {role} under the baseline's name; rename it upstream, or leave "
                f"--{role} out if production does not have it",
            )
    if labels_path is None:
        return None
    for role in ("id", "target"):
        if roles[role] is None:
            raise ValueError(
                f"labels are joined to production on the id column and hold the target; pass --{role} COL "
                f"(Python: {role}='...') naming the {'row identifier' if role == 'id' else 'ground-truth column'}"
            )
    label_columns: list[str] = []
    for file in _data_files("labels", labels_path)[:1]:
        label_columns = _columns_of(file)
    for role in ("id", "target"):
        if roles[role] not in label_columns:
            raise _missing_role(role, roles[role], f"labels {str(labels_path)!r}", label_columns,
                                f"the labels file must have the baseline's {role} column {roles[role]!r}")
    return "inclusion_prob" if "inclusion_prob" in label_columns else None


def _only_datetime(reference: pd.DataFrame, production_file: Path, roles: dict) -> str | None:
    """The event time when none is given: the one date-time column of the baseline that production also
    logs (none, or several, is left to ``--timestamp``)."""
    produced = set(_columns_of(production_file))
    taken = {c for c in roles.values() if c is not None}
    found = [str(c) for c in reference.columns
             if pd.api.types.is_datetime64_any_dtype(reference[c]) and str(c) in produced and str(c) not in taken]
    return found[0] if len(found) == 1 else None


def _is_partitioned(files: list[Path], root: Path) -> bool:
    from ..io import hive_partition

    if root.is_dir():
        return all(hive_partition(f.relative_to(root)) is not None for f in files)
    return all(hive_partition(f) is not None for f in files)  # a glob such as data/week=*/*.parquet


def _check_window(window: str | None, production: Path, files: list[Path], timestamp: str | None) -> str:
    if window is None:
        if _is_partitioned(files, production):
            return "batch"
        if timestamp is not None:
            return "W"
        raise ValueError(
            f"cannot tell how to split production {str(production)!r} into windows: it is not a folder of "
            "batches like week=2026-01/part-0.parquet and no timestamp column was given. Fix: pass "
            "--timestamp COL (weekly windows; --window D or M for daily or monthly), or --window batch to "
            "treat each file as one window"
        )
    window = str(window)
    if window == "batch":
        return window
    from ..windows import period_alias  # the one parser of window forms

    if period_alias(window) is None:
        raise ValueError(
            f"window must be 'batch' (one window per batch folder or file) or a pandas period alias such as "
            f"'W', 'D' or 'M'; got {window!r}"
        )
    if timestamp is None:
        raise ValueError(
            f"window={window!r} splits production by time, which needs the timestamp column; pass --timestamp COL "
            "(Python: timestamp='...'), or use --window batch for a folder of batches"
        )
    return window


def _relative(target: Path, folder: Path) -> str:
    """``target`` relative to ``folder`` when possible (so the pair can move together), else absolute."""
    try:
        return Path(os.path.relpath(target, folder)).as_posix()
    except ValueError:  # another drive on Windows
        return target.as_posix()


# ----------------------------------------------------------------------------- new_model


@renamed_arguments(baseline="reference")
def new_model(
    path: str | Path,
    reference: str | Path,
    production: str | Path,
    *,
    labels: str | Path | None = None,
    target: str | None = None,
    score: str | None = None,
    prediction: str | None = None,
    timestamp: str | None = None,
    id: str | None = None,
    window: str | None = None,
    name: str | None = None,
    force: bool = False,
    templates: str | Path | None = None,
) -> Path:
    """Start monitoring a new model: a folder with the template notebooks, ``model.yaml`` and ``contract.yaml``.

    The roles are checked against the data, the :class:`~toolkit.ModelSpec` is inferred from the
    baseline, the schema contract is inferred from the baseline, and the templates are copied without
    outputs. The copies need no parameters: each reads ``model.yaml`` from its own folder, so
    ``toolkit report FOLDER`` (or any single notebook) runs straight away. Edit ``model.yaml``
    (kinds, threshold, segments) and ``contract.yaml`` by hand afterwards if needed.

    Parameters
    ----------
    path
        Folder to create. It may exist only if empty, unless ``force``.
    reference
        Reference data (a Parquet/CSV file or glob): scored, ideally labelled; ``baseline:`` in
        ``model.yaml`` (``baseline=``, its old argument name, warns for one release).
    production
        Logged predictions: a file, a glob, or a folder of batches (``week=2026-01/part-0.parquet``).
    labels
        Optional ground truth that arrives later, joined on ``id`` (needs ``id`` and ``target``).
        A column ``inclusion_prob`` in it is picked up as the audit-sample weight.
    target, score, prediction, timestamp, id
        Column roles, as in :meth:`ModelSpec.infer`; every other usable column becomes a feature.
    window
        ``"batch"`` (one window per batch folder), or a pandas period alias on ``timestamp``
        (``"W"``, ``"D"``, ``"M"``). Default: ``"batch"`` for a folder of ``key=value`` partitions,
        else ``"W"`` when a timestamp is given.
    name
        Shown in report titles; default: the folder's name.
    force
        Write into a non-empty folder, overwriting the notebooks, ``model.yaml`` and ``contract.yaml``
        (other files are left alone).
    templates
        Folder to copy the templates from; default: the repository's ``notebooks/``
        (every ``NN_*.ipynb`` except ``00_smoke.ipynb``).

    Returns
    -------
    Path
        The new folder.

    Raises
    ------
    FileExistsError
        ``path`` is a non-empty folder and ``force`` is False.
    KeyError
        A role names a column the data lacks (the message names it and the closest match).
    ValueError
        The windows cannot be determined, or a template lacks ``config = "model.yaml"``.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd, toolkit as tk
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> frame = pd.DataFrame({"x": [0.5, 1.5, 2.5, 3.5] * 25, "p": [0.2, 0.4, 0.6, 0.8] * 25,
    ...                       "y": [0, 0, 1, 1] * 25})
    >>> for week in ("2026-01", "2026-02"):
    ...     (tmp / "prod" / f"week={week}").mkdir(parents=True)
    ...     frame.drop(columns="y").to_parquet(tmp / "prod" / f"week={week}" / "part-0.parquet")
    >>> frame.to_parquet(tmp / "base.parquet")
    >>> folder = tk.new_model(tmp / "churn", tmp / "base.parquet", tmp / "prod", target="y", score="p")
    >>> cfg = tk.ModelConfig.load(folder / "model.yaml")
    >>> cfg.baseline, cfg.window, cfg.windows, cfg.spec.features
    ('../base.parquet', 'batch', ['2026-01', '2026-02'], ['x'])
    >>> sorted(p.name for p in folder.glob("*.yaml"))
    ['contract.yaml', 'model.yaml']
    """
    from ..config import ModelConfig
    from ..io import read
    from ..schema import infer_contract
    from ..spec import ModelSpec

    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"path {str(folder)!r} is a file; pass the path of a new folder for the model")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        present = sorted(p.name for p in folder.iterdir())
        raise FileExistsError(
            f"folder {str(folder)!r} is not empty (it has {preview(present)}); choose a new folder, or pass "
            f"--force (Python: force=True) to overwrite its notebooks, {CONFIG_FILE} and {CONTRACT_FILE}"
        )

    source = Path(templates) if templates is not None else templates_folder()
    if not source.is_dir():
        raise FileNotFoundError(f"templates folder {str(source)!r} not found; pass a folder of NN_*.ipynb notebooks")
    notebooks = template_notebooks(source)
    if not notebooks:
        raise FileNotFoundError(
            f"no template notebooks in {str(source)!r} (looked for NN_*.ipynb, two digits, other than "
            f"{', '.join(SKIPPED_TEMPLATES)}); pass another folder with --templates (Python: templates=)"
        )

    cleaned = {notebook.name: _clean_template(notebook) for notebook in notebooks}

    roles = {"target": target, "score": score, "prediction": prediction, "timestamp": timestamp, "id": id}
    for role, column in roles.items():
        if column is not None and not isinstance(column, str):
            raise TypeError(f"{role} must be a column name (str) or None; got {type(column).__name__}: {column!r}")
    baseline_path, production_path = Path(reference).absolute(), Path(production).absolute()
    labels_path = Path(labels).absolute() if labels is not None else None
    _data_files("baseline", baseline_path)
    production_files = _data_files("production", production_path)
    reference = read(baseline_path)
    if len(reference) == 0:
        raise ValueError(f"baseline {str(baseline_path)!r} has 0 rows; point --baseline at the reference data")
    if timestamp is None:
        roles["timestamp"] = timestamp = _only_datetime(reference, production_files[0], roles)
    inclusion_prob = _check_roles(roles, reference, baseline_path, production_files, labels_path)
    chosen_window = _check_window(window, production_path, production_files, timestamp)

    spec = ModelSpec.infer(reference, **roles)  # roles, kinds and the threshold: resolved in one place
    if spec.task == "multiclass":  # per-class probabilities are model outputs, not features
        from ..outcomes.setup import detect_class_scores

        class_scores = set(detect_class_scores(reference, target).values())
        spec = spec.replace(features=[f for f in spec.features if f not in class_scores])
    if spec.task == "regression":  # a predicted uncertainty (pred_std, an interval) is a model output too
        from ..outcomes.fallback import find_uncertainty

        found = find_uncertainty(reference, spec.prediction)
        outputs = {found} if isinstance(found, str) else set(found or ())
        spec = spec.replace(features=[f for f in spec.features if f not in outputs])
    from ..windows import period_length

    # rows expected per window: per day for daily windows (the default, a week, warned of every short day)
    contract = infer_contract(reference, spec=spec, batch_freq=period_length(chosen_window) or "7D")

    folder.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    config = ModelConfig(
        name=str(name) if name is not None else root.name,
        baseline=_relative(baseline_path.resolve(), root),
        production=_relative(production_path.resolve(), root),
        labels=_relative(labels_path.resolve(), root) if labels_path is not None else None,
        contract=CONTRACT_FILE,
        window=chosen_window,
        inclusion_prob=inclusion_prob,
        spec=spec,
    )
    import nbformat

    for file_name, nb in cleaned.items():
        nbformat.write(nb, folder / file_name)
    contract.save(folder / CONTRACT_FILE)
    written = config.save(folder / CONFIG_FILE)
    stamp = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    header = (
        f"# Model config written by `toolkit new` on {stamp}; the notebooks in this folder read it.\n"
        "# Edit freely: paths are relative to this folder; spec.kinds overrides inferred kinds;\n"
        "# window is 'batch' (one window per batch folder) or a pandas period alias ('W', 'D', 'M').\n"
    )
    written.write_text(header + written.read_text(encoding="utf-8"), encoding="utf-8")
    return folder
