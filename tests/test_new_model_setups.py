"""`toolkit new` + `toolkit report` end to end on real-shaped models: every label setup and task type.

Flights-like data the tests build (a few thousand rows, time-zoned timestamps, three full weeks and a
partial last one). Each setup is created once with the CLI and its four templates run once (module
fixtures); the tests then read the reports. Fast checks of the same machinery (label setups in
process, parameter checks, error messages, progress) run without a kernel.
"""
from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import toolkit as tk
from toolkit.cli import main
from toolkit.config import ModelConfig
from toolkit.outcomes.setup import detect_class_scores, label_production, outcome_plan
from toolkit.reports._new import template_notebooks

# One worker runs this whole module: its module fixtures (`models`: four `toolkit new` runs; `reports`: 24 template
# kernels) are built once. Left to plain load balancing, the tests using them reach both xdist workers and each
# worker builds them again.
pytestmark = pytest.mark.xdist_group("new_model_setups")

ROOT = Path(__file__).resolve().parents[1]
TOOLKIT = [sys.executable, "-m", "toolkit"]
CLASSES = ["on_time", "minor", "major"]
TARGETS = {"binary": "late", "regression": "arr_delay", "multiclass": "delay_class"}
ROLES = {"binary": ["--target", "late", "--score", "p_late", "--prediction", "pred_late"],
         "regression": ["--target", "arr_delay", "--prediction", "pred_delay"],
         "multiclass": ["--target", "delay_class", "--prediction", "pred_class"]}


# ----------------------------------------------------------------------------- data


def _flights(n: int, start: str, days: float, tz: str, rng: np.random.Generator, shift: float = 0.0):
    seconds = np.sort(rng.integers(0, int(days * 86400), n))
    t = pd.Timestamp(start, tz=tz) + pd.to_timedelta(seconds, unit="s")
    hour = t.hour.to_numpy()
    carrier = rng.choice(["AA", "DL", "UA", "WN"], n, p=[0.3, 0.3, 0.2, 0.2])
    weather = rng.normal(0, 1, n) + shift
    z = 0.12 * (hour - 12) + 0.6 * weather + 0.4 * (carrier == "WN") - 0.3
    frame = pd.DataFrame({"flight_id": np.arange(n) + (0 if shift == 0 else 10**6), "sched_dep": t,
                          "dep_hour": hour, "distance": rng.gamma(4.0, 250.0, n).round(0) + shift * 300,
                          "carrier": carrier, "weather": weather.round(3)})
    return frame, z


def _outcomes(kind: str, frame: pd.DataFrame, z: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    if kind == "binary":
        p = 1 / (1 + np.exp(-z))
        return frame.assign(late=(rng.random(len(frame)) < p).astype(int), p_late=p.round(4),
                            pred_late=(p >= 0.5).astype(int))
    if kind == "regression":      # predicted arrival delay in minutes against the actual one
        pred = 10 + 12 * z
        return frame.assign(arr_delay=(pred + rng.normal(0, 8, len(frame))).round(1), pred_delay=pred.round(1))
    logits = np.column_stack([np.zeros(len(z)), z, 1.5 * z - 1])
    P = np.exp(logits)
    P /= P.sum(1, keepdims=True)
    y = (rng.random(len(z))[:, None] > np.cumsum(P, 1)).sum(1).clip(0, 2)
    out = frame.assign(delay_class=np.array(CLASSES)[y], pred_class=np.array(CLASSES)[P.argmax(1)])
    for i, c in enumerate(CLASSES):
        out[f"p_{c}"] = P[:, i].round(4)
    return out


def write_flights(root: Path, kind: str, tz: str, labels: str, seed: int = 3) -> dict[str, Path]:
    """Baseline (3 weeks) and production (3 weeks + a partial 4th): labels 'production', 'file' or 'none'."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    baseline = _outcomes(kind, *_flights(2000, "2026-01-05", 21, tz, rng), rng)
    production = _outcomes(kind, *_flights(3000, "2026-02-02", 23.5, tz, rng, shift=0.3), rng)
    baseline.to_parquet(root / "baseline.parquet")
    target = TARGETS[kind]
    paths = {"baseline": root / "baseline.parquet", "production": root / "production.parquet"}
    if labels == "production":
        production.to_parquet(paths["production"])
    else:
        production.drop(columns=target).to_parquet(paths["production"])
    if labels == "file":    # 80% of the outcomes arrive, in a separate file joined on the id
        paths["labels"] = root / "labels.parquet"
        production.sample(frac=0.8, random_state=seed)[["flight_id", target]].to_parquet(paths["labels"])
    return paths


def without_class_scores(paths: dict[str, Path], root: Path) -> dict[str, Path]:
    """The same multiclass data as logged by a model that gives only its predicted class."""
    root.mkdir(parents=True, exist_ok=True)
    out = {}
    for key, path in paths.items():
        frame = pd.read_parquet(path)
        frame.drop(columns=[c for c in frame if c.startswith("p_")]).to_parquet(root / path.name)
        out[key] = root / path.name
    return out


SETUPS = {   # name: (task, time zone, labels)
    "binary_labels_in_production": ("binary", "America/Chicago", "production"),
    "binary_no_labels": ("binary", "Europe/Paris", "none"),
    "regression_labels_file": ("regression", "America/Chicago", "file"),
    "multiclass_labels_in_production": ("multiclass", "Europe/Paris", "production"),
}


def create(root: Path, name: str) -> tuple[Path, subprocess.CompletedProcess]:
    kind, tz, labels = SETUPS[name]
    paths = write_flights(root / f"data_{name}", kind, tz, labels)
    args = ["new", str(root / name), "--baseline", str(paths["baseline"]), "--production",
            str(paths["production"]), "--timestamp", "sched_dep", "--id", "flight_id", *ROLES[kind], "--quiet"]
    if "labels" in paths:
        args += ["--labels", str(paths["labels"])]
    created = subprocess.run(TOOLKIT + args, capture_output=True, text=True, timeout=300, cwd=root)
    assert created.returncode == 0, created.stderr
    return root / name, created


# ----------------------------------------------------------------------------- fast: in process


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("setups")
    return {name: create(root, name)[0] for name in SETUPS}


def test_label_setups_in_process(models):
    cfg = ModelConfig.load(models["binary_labels_in_production"] / "model.yaml")
    labelled = cfg.labelled
    joined, report = labelled
    assert labelled.setup == "target in production" and cfg.labels is None
    assert report.n_matched == len(joined) == 3000 and joined["late"].notna().all()
    assert report.to_frame()["n_labelled"].sum() == 3000

    cfg = ModelConfig.load(models["binary_no_labels"] / "model.yaml")
    joined, report = cfg.labelled
    assert cfg.labelled.setup == "none" and not cfg.labelled.has_labels
    assert report.n_matched == 0 and len(joined) == 3000 and joined["late"].isna().all()
    assert "feedback loop is missing" in cfg.labelled.description
    rows, sentence = cfg.labelled.fit_rows(cfg.reference, "recent", 4)
    assert rows is cfg.reference and "baseline's 2,000 labelled rows" in sentence and "no labels" in sentence

    cfg = ModelConfig.load(models["regression_labels_file"] / "model.yaml")
    joined, report = cfg.labelled
    assert cfg.labelled.setup == "labels file" and report.n_matched == 2400
    assert joined["arr_delay"].notna().sum() == 2400


def test_outcome_plan_per_task(models):
    plans = {name: outcome_plan(ModelConfig.load(folder / "model.yaml")) for name, folder in models.items()}
    binary, regression, multiclass = (plans["binary_labels_in_production"], plans["regression_labels_file"],
                                      plans["multiclass_labels_in_production"])
    assert binary.metrics == ["roc_auc", "accuracy", "f1"] and binary.estimate_applies and binary.abstain_applies
    assert regression.metrics == ["mae", "rmse", "mape"] and regression.estimate_applies
    assert not regression.abstain_applies and "does not apply" in regression.abstain_reason
    assert multiclass.metrics == ["accuracy", "macro_f1"]
    assert multiclass.class_scores == {c: f"p_{c}" for c in sorted(CLASSES)}
    assert multiclass.estimate_applies and multiclass.abstain_applies
    # the class probabilities are model outputs, not features
    spec = ModelConfig.load(models["multiclass_labels_in_production"] / "model.yaml").spec
    assert spec.features == ["dep_hour", "distance", "carrier", "weather"]
    # without per-class scores: one sentence why each analysis does not apply
    frame = pd.read_parquet(models["multiclass_labels_in_production"].parent / "data_multiclass_labels_in_production" / "baseline.parquet")
    assert detect_class_scores(frame.drop(columns=["p_minor"]), "delay_class") == {}
    folder = models["multiclass_labels_in_production"]
    bare = without_class_scores({"baseline": folder.parent / "data_multiclass_labels_in_production" / "baseline.parquet",
                                 "production": folder.parent / "data_multiclass_labels_in_production" /
                                 "production.parquet"}, folder.parent / "data_multiclass_bare")
    cfg = ModelConfig(name="bare", baseline=str(bare["baseline"]), production=str(bare["production"]),
                      spec=ModelConfig.load(folder / "model.yaml").spec, window="W")
    plan = outcome_plan(cfg)
    assert plan.class_scores == {} and plan.metrics == ["accuracy", "macro_f1"]
    assert "logs only the predicted class" in plan.estimate_reason
    assert "logs only the predicted class" in plan.abstain_reason
    with pytest.raises(ValueError, match=r"metric must be one of \['mae', 'rmse', 'mape'\].*got 'roc_auc'"):
        outcome_plan(ModelConfig.load(models["regression_labels_file"] / "model.yaml"), "roc_auc")


def test_unknown_parameter_is_an_error_listing_the_valid_names(models, capsys):
    folder = models["binary_labels_in_production"]
    assert main(["report", str(folder / "01_compare_baseline.ipynb"), "-p", "windw=2026-02-02", "-q"]) == 1
    err = capsys.readouterr().err
    assert "unknown parameter 'windw' for 01_compare_baseline.ipynb" in err
    assert "config, window, alpha, multivariate" in err and "Did you mean 'window'?" in err
    assert main(["report", str(folder), "-p", "windw=2026-02-02", "-q"]) == 1
    err = capsys.readouterr().err
    assert "unknown parameter 'windw'" in err and "Did you mean 'window'?" in err
    assert not (folder / "reports").exists()      # nothing ran


def test_every_template_parameter_parses_in_papermill():
    """papermill must see every parameter (no 'Unable to parse line', no 'Passed unknown parameter')."""
    import papermill as pm

    from toolkit.reports._new import parameter_defaults

    for path in template_notebooks(ROOT / "notebooks"):
        seen = set(pm.inspect_notebook(str(path)))
        assert seen == set(parameter_defaults(path)), path.name


def test_missing_paths_say_they_do_not_exist(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "missing_dir"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == ("toolkit: error: 'missing_dir' does not exist; pass a template .ipynb or a "
                                    "model folder made by `toolkit new`")
    assert "->" not in captured.err + captured.out          # no output path printed for a run that cannot start
    assert main(["new", "m", "--baseline", "nope.parquet", "--production", "nope"]) == 1
    assert "baseline" in (err := capsys.readouterr().err) and "'" in err and "does not exist" in err


def test_progress_lines_and_all_windows_estimate(models):
    import io

    from toolkit.cli import _all_windows_plan
    from toolkit.reports._run import CellProgress

    stream = io.StringIO()
    progress = CellProgress(stream, every=0)
    progress(1, 12, 0.2, "import toolkit as tk")
    progress(2, 12, 3.4, "# a comment\ncfg = tk.ModelConfig.load(config)")
    assert stream.getvalue().splitlines() == ["      cell 1/12, 0 s elapsed: import toolkit as tk",
                                              "      cell 2/12, 3 s elapsed: cfg = tk.ModelConfig.load(config)"]
    line = _all_windows_plan(models["binary_labels_in_production"], None)
    windows = ModelConfig.load(models["binary_labels_in_production"] / "model.yaml").windows
    from toolkit.reports import is_per_window, template_notebooks

    templates = template_notebooks(models["binary_labels_in_production"])
    per_window = [t.stem for t in templates if is_per_window(t)]
    assert "05_retrain_decision" in [t.stem for t in templates] and "05_retrain_decision" not in per_window
    runs = len(templates) + len(per_window) * len(windows)
    assert (f"{len(templates)} templates on the latest window + {len(per_window)} window-specific templates x "
            f"{len(windows)} windows = {runs} runs") in line
    assert "estimated" in line and "assuming 30 s per report" in line


# ----------------------------------------------------------------------------- slow: the four templates


def _text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text()))


@pytest.fixture(scope="module")
def reports(models) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    # the four folders run side by side (each `toolkit report` runs its templates one after another)
    started = {name: subprocess.Popen(TOOLKIT + ["report", str(folder), "-p", "multivariate=false"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=folder.parent)
               for name, folder in models.items()}
    out = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=1800)
        run = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        out[name] = (models[name] / "reports", run)
    return out


STORIES = {
    "binary_labels_in_production": {
        "03_estimate_degradation": ["target column 'late' inside the production data", "Realized roc_auc"],
        "04_fallback_thresholds": ["Threshold chosen on the baseline's 2,000 labelled rows"],
        "02_inspect_drifted_features": ["Outcome relationships from"],
    },
    "binary_no_labels": {
        "03_estimate_degradation": ["The feedback loop is missing", "Label-free estimate",
                                    "realized performance cannot be measured"],
        "04_fallback_thresholds": ["Threshold chosen on the baseline's 2,000 labelled rows (production has no labels",
                                   "Expected routing to the fallback per window"],
        "02_inspect_drifted_features": ["No labels in production: the model's output per feature bin"],
    },
    "regression_labels_file": {
        "03_estimate_degradation": ["separate labels file", "Realized mae", "Label-free estimate",
                                    "Sample-size plan: does not apply"],
        "04_fallback_thresholds": ["does not apply to this model", "uncertainty"],
    },
    "multiclass_labels_in_production": {
        "03_estimate_degradation": ["Realized accuracy", "macro_f1", "Label-free estimate"],
        "04_fallback_thresholds": ["largest class probability"],
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SETUPS))
def test_four_templates_green_for_each_setup(name, models, reports):
    folder = models[name]
    out, run = reports[name]
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Unable to parse" not in run.stderr and "Passed unknown parameter" not in run.stderr
    assert run.stderr.count(" ok: ") == len(template_notebooks(folder)), run.stderr   # every template, 00-05
    index = (out / "index.html").read_text()
    for path in template_notebooks(folder):
        report = out / f"{path.stem}.html"
        assert report.stat().st_size > 10_000, path.name
        assert f'href="{path.stem}.html"' in index
        text = _text(report)
        assert "Traceback" not in text, path.name
        for phrase in STORIES[name].get(path.stem, []):
            assert phrase in text, f"{name}/{path.stem}: the report does not say {phrase!r}"
    # the copies in the folder stay stripped of outputs
    for path in template_notebooks(folder):
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.slow
def test_multiclass_without_class_scores_says_what_does_not_apply(models, tmp_path):
    """A multiclass model that logs only its predicted class: 03 and 04 run and say why, in one sentence each."""
    data = models["multiclass_labels_in_production"].parent / "data_multiclass_labels_in_production"
    bare = without_class_scores({"baseline": data / "baseline.parquet", "production": data / "production.parquet"},
                                tmp_path / "data")
    args = ["new", str(tmp_path / "bare"), "--baseline", str(bare["baseline"]), "--production", str(bare["production"]),
            "--timestamp", "sched_dep", "--id", "flight_id", *ROLES["multiclass"], "--quiet"]
    assert main(args) == 0
    notebooks = [str(tmp_path / "bare" / f"{stem}.ipynb") for stem in ("03_estimate_degradation", "04_fallback_thresholds")]
    run = subprocess.run(TOOLKIT + ["report", *notebooks, "--output-dir", str(tmp_path / "out")], capture_output=True,
                         text=True, timeout=1200, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    text = _text(tmp_path / "out" / "03_estimate_degradation.html")
    assert "Realized accuracy" in text and "macro_f1" in text
    assert "Label-free estimate: does not apply to this model" in text and "only the predicted class" in text
    text = _text(tmp_path / "out" / "04_fallback_thresholds.html")
    assert "does not apply to this model" in text and "nothing to rank on" in text
