"""`toolkit new` / tk.new_model: copy the templates for a new model with its model.yaml and contract.yaml."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import toolkit as tk
from toolkit.cli import main
from toolkit.config import ModelConfig
from toolkit.reports import new_model, template_notebooks
from toolkit.reports._new import parameter_defaults

ROOT = Path(__file__).resolve().parents[1]
REAL_TEMPLATES = ROOT / "notebooks"
TOOLKIT = [sys.executable, "-m", "toolkit"]
ROLES = {"target": "churned", "score": "churn_score", "prediction": "churn_pred", "timestamp": "event_time",
         "id": "customer_id"}
FEATURES = ["spend", "tickets", "plan"]
THRESHOLD = 0.35


# ----------------------------------------------------------------------------- a tiny model


def _scored(n: int, start: str, prefix: str, rng: np.random.Generator) -> pd.DataFrame:
    spend = rng.normal(50.0, 12.0, n).round(2)
    tickets = rng.poisson(2.0, n) + rng.integers(0, 30, n)          # many values: numeric
    plan = rng.choice(["basic", "plus", "pro"], n, p=[0.5, 0.3, 0.2])
    logit = 0.06 * (spend - 50) + 0.08 * (tickets - 16) + 0.9 * (plan == "pro") - 0.6
    score = 1 / (1 + np.exp(-logit))
    seconds = np.sort(rng.integers(0, 7 * 24 * 3600, n))
    return pd.DataFrame({
        "customer_id": [f"{prefix}{i:06d}" for i in range(n)],
        "event_time": pd.Timestamp(start, tz="UTC") + pd.to_timedelta(seconds, unit="s"),
        "spend": spend, "tickets": tickets, "plan": plan,
        "churned": (rng.random(n) < score).astype(int),
        "churn_score": score.round(4),
        "churn_pred": (score >= THRESHOLD).astype(int),
    })


def write_tiny_model(root: Path, weeks=("2026-01", "2026-02"), n_baseline: int = 400, n_batch: int = 200,
                     seed: int = 11) -> dict[str, Path]:
    """A scored baseline, production as ``week=.../part-0.parquet`` batches (no target) and labels.

    Returns the paths: ``baseline``, ``production`` (folder), ``labels``, ``single`` (production as one file).
    Labels cover every earlier batch and 30% of the latest one.
    """
    rng = np.random.default_rng(seed)
    data = root / "data"
    (data / "production").mkdir(parents=True)
    baseline = _scored(n_baseline, "2025-12-01", "B", rng)
    baseline.to_parquet(data / "baseline.parquet")
    batches = []
    for i, week in enumerate(weeks):
        batch = _scored(n_batch, f"2026-01-{5 + 7 * i:02d}", f"P{i}-", rng)
        folder = data / "production" / f"week={week}"
        folder.mkdir()
        batch.drop(columns="churned").to_parquet(folder / "part-0.parquet")
        batches.append(batch)
    production = pd.concat(batches, ignore_index=True)
    production.drop(columns="churned").to_parquet(data / "production.parquet")
    # labels mature late: every earlier batch is fully labelled, the latest only 30%
    labels = pd.concat([*batches[:-1], batches[-1].sample(frac=0.3, random_state=seed)], ignore_index=True)
    labels[["customer_id", "churned"]].to_parquet(data / "labels.parquet")
    return {"baseline": data / "baseline.parquet", "production": data / "production",
            "labels": data / "labels.parquet", "single": data / "production.parquet"}


def notebook(path: Path, *cells, metadata: dict | None = None) -> Path:
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.update(metadata or {})
    nbformat.write(nb, path)
    return path


def params_cell(source: str = 'config = "model.yaml"\nwindow = None', **kwargs):
    return new_code_cell(source, metadata={"tags": ["parameters"]}, **kwargs)


ROWS_SOURCE = (
    "from toolkit.config import ModelConfig\n"
    "cfg = ModelConfig.load(config)\n"
    "chosen = cfg.windows[-1] if window is None else window\n"
    "print(f'window {chosen} of {cfg.name!r}: {len(cfg.window_frame(window)):,} rows')"
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    return write_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> Path:
    """Two small templates (one with stale outputs, as a careless commit would leave), a smoke
    notebook and a non-template notebook, neither of which may be copied."""
    folder = tmp_path_factory.mktemp("templates")
    stale = new_output("stream", name="stdout", text="stale output\n")
    notebook(folder / "01_rows.ipynb", new_markdown_cell("# Rows in a window"), params_cell(),
             new_code_cell(ROWS_SOURCE, outputs=[stale], execution_count=7),
             metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}})
    notebook(folder / "02_spec.ipynb", new_markdown_cell("# Spec"), params_cell('config = "model.yaml"'),
             new_code_cell("from toolkit.config import ModelConfig\nprint(ModelConfig.load(config).spec.features)"))
    notebook(folder / "00_smoke.ipynb", params_cell('baseline_path = "x.parquet"'))
    notebook(folder / "scratch.ipynb", new_code_cell("1"))
    return folder


def make(tiny, target_dir: Path, templates: Path, **kwargs) -> Path:
    roles = {**ROLES, **kwargs.pop("roles", {})}
    return new_model(target_dir, tiny["baseline"], kwargs.pop("production", tiny["production"]),
                     labels=kwargs.pop("labels", tiny["labels"]), templates=templates, **roles, **kwargs)


# ----------------------------------------------------------------------------- the folder


def test_new_model_writes_config_contract_and_clean_notebooks(tiny, templates, tmp_path):
    folder = make(tiny, tmp_path / "models" / "churn", templates)
    assert folder == tmp_path / "models" / "churn"
    assert sorted(p.name for p in folder.iterdir()) == ["01_rows.ipynb", "02_spec.ipynb", "contract.yaml", "model.yaml"]

    cfg = ModelConfig.load(folder / "model.yaml")
    assert cfg.name == "churn" and cfg.window == "batch" and cfg.contract == "contract.yaml"
    assert (cfg.spec.target, cfg.spec.score, cfg.spec.prediction, cfg.spec.timestamp, cfg.spec.id) == tuple(
        ROLES[r] for r in ("target", "score", "prediction", "timestamp", "id"))
    assert cfg.spec.features == FEATURES and cfg.spec.task == "binary"
    assert cfg.spec.kind("plan").value == "categorical" and cfg.spec.kind("spend").value == "numeric"
    # the decision threshold the predictions imply (scores >= 0.35 are predicted positive)
    assert cfg.spec.threshold == THRESHOLD
    # paths relative to the new folder, so the folder and the data can move together
    for key in ("baseline", "production", "labels"):
        stored = getattr(cfg, key)
        assert stored.startswith("../") and cfg.path(stored).resolve() == tiny[key].resolve()
    assert cfg.windows == ["2026-01", "2026-02"] and len(cfg.window_frame()) == 200
    assert cfg.reference.equals(pd.read_parquet(tiny["baseline"]))
    assert cfg.label_frame.shape == (260, 2) and cfg.inclusion_prob is None
    assert (folder / "model.yaml").read_text().startswith("# Model config written by `toolkit new`")

    contract = tk.Contract.load(folder / "contract.yaml")
    assert set(contract.columns) == set(pd.read_parquet(tiny["baseline"]).columns)
    assert contract["plan"].categories.keys() == {"basic", "plus", "pro"}
    assert cfg.contract_object.to_yaml() == contract.to_yaml()
    assert contract.validate(cfg.window_frame("2026-01")).ok  # same process: production passes

    for name in ("01_rows.ipynb", "02_spec.ipynb"):
        copy, original = (nbformat.read(p / name, as_version=4) for p in (folder, templates))
        assert [c.source for c in copy.cells] == [c.source for c in original.cells]
        assert all(c.outputs == [] and c.execution_count is None for c in copy.cells if c.cell_type == "code")
        assert parameter_defaults(copy)["config"] == "model.yaml"
        assert "widgets" not in copy.metadata and copy.metadata.kernelspec.name == "python3"


def test_window_defaults_and_choices(tiny, templates, tmp_path):
    # one file with a timestamp: weekly windows on the timestamp
    cfg = ModelConfig.load(make(tiny, tmp_path / "a", templates, production=tiny["single"]) / "model.yaml")
    assert cfg.window == "W" and len(cfg.windows) >= 2
    assert sum(len(f) for f in cfg.batches.values()) == 400
    # an explicit period alias, a name, no labels
    cfg = ModelConfig.load(make(tiny, tmp_path / "b", templates, production=tiny["single"], window="D",
                                name="Churn <v2>", labels=None) / "model.yaml")
    assert (cfg.window, cfg.name, cfg.labels) == ("D", "Churn <v2>", None)
    assert len(cfg.windows) > 7
    # the contract expects a day's rows per daily window (it expected a week's: every day was "a short batch")
    rows = cfg.contract_object.rows
    assert pd.Timedelta(rows.per) == pd.Timedelta("1D") and 50 < rows.expected < 70   # 400 rows over 7 days
    history = cfg.schema_history().to_frame()
    assert "row_count" not in set(history["check"])
    # no timestamp given: the one date-time column both sides have is the event time
    cfg = ModelConfig.load(make(tiny, tmp_path / "f", templates, production=tiny["single"],
                                roles={"timestamp": None}) / "model.yaml")
    assert (cfg.spec.timestamp, cfg.window) == ("event_time", "W")
    # no partitions and no date-time column: say what to pass
    untimed = {}
    for key in ("baseline", "single"):
        untimed[key] = tmp_path / f"untimed-{key}.parquet"
        pd.read_parquet(tiny[key]).drop(columns="event_time").to_parquet(untimed[key])
    with pytest.raises(ValueError, match=r"--timestamp COL.*--window batch"):
        new_model(tmp_path / "c", untimed["baseline"], untimed["single"], templates=templates,
                  **{**ROLES, "timestamp": None})
    with pytest.raises(ValueError, match=r"window='W' splits production by time.*--timestamp"):
        new_model(tmp_path / "d", untimed["baseline"], tiny["production"], templates=templates, window="W",
                  **{**ROLES, "timestamp": None})
    with pytest.raises(ValueError, match=r"window must be 'batch'.*got 'fortnightly'"):
        make(tiny, tmp_path / "e", templates, window="fortnightly")
    assert not any((tmp_path / x).exists() for x in "cde")  # nothing half-written


@pytest.mark.parametrize(("roles", "where", "pattern"), [
    ({"target": "churnd"}, "baseline", r"target column 'churnd' is not in the baseline .* Did you mean 'churned'\? "
                                       r"Fix: pass --target \(Python: target=\)"),
    ({"score": "proba"}, "baseline", r"score column 'proba' is not in the baseline.*Fix: pass --score"),
    ({"id": "customer"}, "baseline", r"id column 'customer' is not in the baseline .* Did you mean 'customer_id'\?"),
])
def test_missing_columns_name_the_column_and_the_fix(tiny, templates, tmp_path, roles, where, pattern):
    with pytest.raises(KeyError, match=pattern):
        make(tiny, tmp_path / "m", templates, roles=roles)
    assert not (tmp_path / "m").exists()


def test_production_and_labels_must_have_the_roles(tiny, templates, tmp_path):
    # production lacks the prediction the baseline has
    prod = tmp_path / "prod" / "week=2026-01"
    prod.mkdir(parents=True)
    pd.read_parquet(tiny["single"]).drop(columns="churn_pred").to_parquet(prod / "part-0.parquet")
    with pytest.raises(KeyError, match=r"prediction column 'churn_pred' is not in the production file .*part-0.parquet"):
        make(tiny, tmp_path / "m", templates, production=tmp_path / "prod")
    # labels need the id to be joined on, and must hold the target
    with pytest.raises(ValueError, match=r"labels are joined .* pass --id COL"):
        make(tiny, tmp_path / "m", templates, roles={"id": None})
    pd.read_parquet(tiny["labels"]).rename(columns={"churned": "label"}).to_parquet(tmp_path / "l.parquet")
    with pytest.raises(KeyError, match=r"target column 'churned' is not in the labels .*'label'"):
        make(tiny, tmp_path / "m", templates, labels=tmp_path / "l.parquet")
    with pytest.raises(FileNotFoundError, match=r"baseline .*nope.parquet.* --baseline"):
        new_model(tmp_path / "m", tmp_path / "nope.parquet", tiny["production"], templates=templates)
    assert not (tmp_path / "m").exists()


def test_refuses_non_empty_folder_unless_forced(tiny, templates, tmp_path):
    folder = tmp_path / "churn"
    folder.mkdir()
    (folder / "notes.md").write_text("mine")
    with pytest.raises(FileExistsError, match=r"not empty \(it has 'notes.md'\).*--force"):
        make(tiny, folder, templates)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.md"]
    make(tiny, folder, templates, force=True, name="first")
    (folder / "01_rows.ipynb").write_text("edited")
    make(tiny, folder, templates, force=True, name="second")
    assert ModelConfig.load(folder / "model.yaml").name == "second"
    assert (folder / "notes.md").read_text() == "mine"                 # other files are left alone
    assert nbformat.read(folder / "01_rows.ipynb", as_version=4).cells[0].source == "# Rows in a window"
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="is a file"):
        make(tiny, tmp_path / "file", templates)


def test_templates_are_checked(tiny, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    with pytest.raises(FileNotFoundError, match=r"no template notebooks in .*--templates"):
        make(tiny, tmp_path / "m", bad)
    notebook(bad / "01_x.ipynb", params_cell('config = "demo.yaml"'))
    with pytest.raises(ValueError, match=r"01_x.ipynb.*must set config = 'model.yaml'.*sets config = 'demo.yaml'"):
        make(tiny, tmp_path / "m", bad)
    notebook(bad / "01_x.ipynb", new_code_cell('config = "model.yaml"'))
    with pytest.raises(ValueError, match=r"no cell tagged 'parameters'"):
        make(tiny, tmp_path / "m", bad)
    assert [p.name for p in template_notebooks(REAL_TEMPLATES)] == sorted(
        p.name for p in REAL_TEMPLATES.glob("[0-9][0-9]_*.ipynb") if p.name != "00_smoke.ipynb")


def test_real_templates_have_config_and_window_parameters():
    found = template_notebooks(REAL_TEMPLATES)
    for path in found:
        nb = nbformat.read(path, as_version=4)
        defaults = parameter_defaults(nb)
        assert defaults.get("config") == "model.yaml", path.name
        assert "window" in defaults and defaults["window"] is None, path.name
        assert all(c.get("outputs", []) == [] for c in nb.cells), f"{path.name} has outputs"


# ----------------------------------------------------------------------------- command line


def test_cli_new_then_report_one_notebook_without_parameters(tiny, templates, monkeypatch, capsys):
    """Relative paths from another folder; the copied notebook then runs with no parameters at all."""
    args = ["new", "models/churn", "--baseline", "data/baseline.parquet", "--production", "data/production",
            "--labels", "data/labels.parquet", "--templates", str(templates), "--name", "Churn (tiny)"]
    for role, column in ROLES.items():
        args += [f"--{role}", column]
    work = tiny["baseline"].parents[1]
    run = subprocess.run(TOOLKIT + args, capture_output=True, text=True, timeout=120, cwd=work)
    assert run.returncode == 0, run.stderr
    assert "created models/churn/ with model.yaml, contract.yaml and 2 notebooks" in run.stdout
    assert "toolkit report models/churn" in run.stdout
    # every role was given; the window came from the partition folders
    assert ("roles: target 'churned', score 'churn_score', prediction 'churn_pred', timestamp 'event_time', "
            "id 'customer_id', task binary, window 'batch' (inferred)") in run.stdout
    cfg = ModelConfig.load(work / "models" / "churn" / "model.yaml")
    assert cfg.baseline == "../../data/baseline.parquet" and cfg.name == "Churn (tiny)"

    # usage errors, in process (one line each, exit 1, nothing written)
    monkeypatch.chdir(work)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("toolkit: error: folder 'models/churn' is not empty") and "--force" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["new", "models/x"] + args[2:] + ["--target", "churnd"]) == 1
    err = capsys.readouterr().err
    assert "target column 'churnd'" in err and "'churned'" in err and len(err.strip().splitlines()) == 1
    assert not (work / "models" / "x").exists()

    report = subprocess.run(TOOLKIT + ["report", "models/churn/01_rows.ipynb", "--output", "x.html"],
                            capture_output=True, text=True, timeout=300, cwd=work)
    assert report.returncode == 0, report.stderr
    html = (work / "x.html").read_text()
    assert "window 2026-02 of 'Churn (tiny)': 200 rows" in html  # the latest window, read via model.yaml


# ----------------------------------------------------------------------------- the real templates


@pytest.mark.slow
def test_end_to_end_new_model_then_report_on_real_templates(tmp_path):
    tiny = write_tiny_model(tmp_path)
    args = ["new", "churn", "--baseline", str(tiny["baseline"]), "--production", str(tiny["production"]),
            "--labels", str(tiny["labels"]), "--quiet"]
    for role, column in ROLES.items():
        args += [f"--{role}", column]
    created = subprocess.run(TOOLKIT + args, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    copied = template_notebooks(tmp_path / "churn")
    assert [p.name for p in copied] == [p.name for p in template_notebooks(REAL_TEMPLATES)]

    run = subprocess.run(TOOLKIT + ["report", "churn"], capture_output=True, text=True, timeout=1800, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    index = (tmp_path / "churn" / "reports" / "index.html").read_text()
    for path in copied:
        report = tmp_path / "churn" / "reports" / f"{path.stem}.html"
        assert report.stat().st_size > 10_000, path.name
        assert f'href="{path.stem}.html"' in index
    assert "failed" not in index.split("<h2>", 1)[1]
    assert run.stderr.count(" ok: ") == len(copied), run.stderr
