"""Round-five user trial: data unlike the demo through the public entry points.

Each test builds a small dataset the demo never shows (other time zones, CSV with UTC offsets, string
ids, empty windows, multiclass with class scores...) and checks a figure against one computed by hand
with pandas / scikit-learn, or that the toolkit's message is right. Each failed on the code before its fix.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import toolkit as tk
from toolkit.cli import main


def _binary(n: int, start: str, days: float, tz: str, rng, shift: float = 0.0, id0: int = 0) -> pd.DataFrame:
    t = pd.Timestamp(start, tz=tz) + pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, n)), unit="s")
    x = rng.normal(shift, 1, n)
    s = 1 / (1 + np.exp(-x))
    return pd.DataFrame({"order": np.arange(id0, id0 + n), "event ts": t, "x": x,
                         "group": rng.choice(["u", "v", "w"], n), "score": s.round(6),
                         "yhat": (s > 0.5).astype(int), "target": (rng.uniform(size=n) < s).astype(int)})


def _config(folder: Path, engine: str) -> tk.ModelConfig:
    data = yaml.safe_load((folder / "model.yaml").read_text())
    data["engine"] = engine
    path = folder / f"model_{engine}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return tk.ModelConfig.load(path)


def _new(folder: Path, *args: str) -> None:
    assert main(["new", str(folder), "-q", *args]) == 0


# ----------------------------------------------------------------------------- CSV offsets, engines agree


@pytest.fixture(scope="module", params=["Asia/Kolkata", "America/Sao_Paulo"])
def csv_offsets(tmp_path_factory, request):
    """A binary model logged to CSV with one UTC offset (+05:30 or -03:00), labels in a separate CSV."""
    root = tmp_path_factory.mktemp("csv_offsets")
    rng = np.random.default_rng(11)
    _binary(2000, "2026-03-02", 7, request.param, rng).to_csv(root / "base.csv", index=False)
    prod = _binary(3000, "2026-03-09", 6, request.param, rng, shift=0.3, id0=10**5)
    prod.drop(columns="target").to_csv(root / "prod.csv", index=False)
    prod[["order", "target"]].sample(frac=0.5, random_state=2).to_csv(root / "labels.csv", index=False)
    _new(root / "m", "--baseline", str(root / "base.csv"), "--production", str(root / "prod.csv"),
         "--labels", str(root / "labels.csv"), "--target", "target", "--score", "score", "--prediction", "yhat",
         "--timestamp", "event ts", "--id", "order", "--window", "D")
    return root, prod


def test_csv_offset_days_are_local_days_under_every_engine(csv_offsets):
    """Days of a CSV with '+05:30' ('-03:00') stamps are local days in pandas and in DuckDB's engine counts alike
    (DuckDB cut them in UTC: a window '2026-03-08' of late-evening rows appeared and every day's n moved);
    the window table of the rows held agrees (a negative offset once broke its SQL)."""
    from sklearn.metrics import roc_auc_score

    root, prod = csv_offsets
    labels = pd.read_csv(root / "labels.csv")
    joined = prod.drop(columns="target").merge(labels, on="order")
    day = joined["event ts"].dt.strftime("%Y-%m-%d")
    by_hand = joined.groupby(day).apply(lambda g: roc_auc_score(g["target"], g["score"]), include_groups=False)
    for engine in ("pandas", "duckdb"):
        cfg = _config(root / "m", engine)
        assert cfg.windows == list(by_hand.index), engine
        checks = cfg.contract_object.validate_windows(cfg.window_sources(), engine=cfg.engine_used).to_frame()
        assert sorted(set(checks["window"].astype(str))) == list(by_hand.index), engine
        frame = cfg.performance().to_frame()
        auc = frame[frame["metric"] == "roc_auc"].set_index("window")
        assert list(auc.index) == list(by_hand.index), engine
        np.testing.assert_allclose(auc["value"].to_numpy(float), by_hand.to_numpy(), atol=1e-12, err_msg=engine)
        assert auc["n"].tolist() == day.value_counts().sort_index().tolist(), engine


# ----------------------------------------------------------------------------- multiclass, hive weeks, a gap


CLASSES = np.array(["cat", "dog", "bird"])


def _multiclass(n: int, start: str, days: float, rng, weights, prefix: str) -> pd.DataFrame:
    t = pd.Timestamp(start) + pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, n)), unit="s")
    x = rng.normal(0, 1, (n, 3))
    p = np.exp(x @ weights)
    p /= p.sum(1, keepdims=True)
    truth = CLASSES[(rng.uniform(size=(n, 1)) > p.cumsum(1)).sum(1)]
    return pd.DataFrame({"id": [f"{prefix}{i:06d}" for i in range(n)], "ts": t, "f 1": x[:, 0], "f.2": x[:, 1],
                         "SELECT": x[:, 2], "p_cat": p[:, 0], "p_dog": p[:, 1], "p_bird": p[:, 2],
                         "pred": CLASSES[p.argmax(1)], "label": truth})


@pytest.fixture(scope="module")
def multiclass_gap(tmp_path_factory):
    """Multiclass with class scores, weekly hive folders with one week missing, 60% of labels (string ids)."""
    root = tmp_path_factory.mktemp("multiclass_gap")
    rng = np.random.default_rng(5)
    weights = rng.normal(0, 1, (3, 3))
    _multiclass(3000, "2026-03-02", 14, rng, weights, "b").to_parquet(root / "base.parquet", index=False)
    prod = _multiclass(6000, "2026-03-16", 35, rng, weights, "p")
    week = prod["ts"].dt.to_period("W").dt.start_time.dt.strftime("%Y-%m-%d")
    prod, week = prod[week != "2026-03-30"], week[week != "2026-03-30"]
    for label, part in prod.groupby(week):
        (root / "prod" / f"week={label}").mkdir(parents=True)
        part.drop(columns="label").to_parquet(root / "prod" / f"week={label}" / "part.parquet", index=False)
    prod[["id", "label"]].sample(frac=0.6, random_state=1).to_parquet(root / "labels.parquet", index=False)
    _new(root / "m", "--baseline", str(root / "base.parquet"), "--production", str(root / "prod"),
         "--labels", str(root / "labels.parquet"), "--target", "label", "--prediction", "pred", "--timestamp", "ts",
         "--id", "id", "--window", "W")
    return root, prod


def test_feedback_names_the_estimate_a_multiclass_model_has(multiclass_gap):
    """With 60% of labels arrived, the feedback verdict said 'this model logs no score for a label-free
    estimate' of a model that logs p_cat/p_dog/p_bird (the estimate was merely not needed there)."""
    root, _ = multiclass_gap
    cfg = _config(root / "m", "pandas")
    health = tk.health(cfg, window="2026-04-13")
    row = health.to_frame().set_index("cause").loc["feedback"]
    assert row["status"] == "watch"
    assert "logs no score" not in row["summary"]
    assert "label-free estimate" in row["summary"]


def test_an_empty_window_is_named_as_a_gap_not_as_unknown(multiclass_gap, capsys):
    """Asking for the week production skipped said "not in production" as for a typo; it is a gap in the
    feed, and the error says so with its dates (CLI: exit 2, Python: KeyError)."""
    root, _ = multiclass_gap
    cfg = _config(root / "m", "pandas")
    with pytest.raises(KeyError, match="has no rows.*2026-03-30.*gap in the feed"):
        cfg.choose_window("2026-04-01")
    assert main(["check", str(root / "m" / "model_pandas.yaml"), "--window", "2026-W14"]) == 2
    assert "'2026-03-30' has no rows" in capsys.readouterr().err
    assert cfg.choose_window("2026-04-08").label == "2026-04-06"   # windows with rows still resolve


# ----------------------------------------------------------------------------- Parquet with a zone, labels inside


@pytest.fixture(scope="module")
def zoned_parquet(tmp_path_factory):
    """Binary model, nanosecond Parquet stamped America/Los_Angeles (a DST change inside), the target inside
    production and not yet known from 2026-03-16 local time on."""
    root = tmp_path_factory.mktemp("zoned_parquet")
    rng = np.random.default_rng(9)
    _binary(3000, "2026-02-02", 14, "America/Los_Angeles", rng).to_parquet(root / "base.parquet", index=False)
    prod = _binary(6000, "2026-02-23", 31, "America/Los_Angeles", rng, shift=0.3, id0=10**6)
    prod["target"] = prod["target"].astype(float)
    prod.loc[prod["event ts"] >= pd.Timestamp("2026-03-16", tz="America/Los_Angeles"), "target"] = np.nan
    prod.to_parquet(root / "prod.parquet", index=False)
    _new(root / "m", "--baseline", str(root / "base.parquet"), "--production", str(root / "prod.parquet"),
         "--target", "target", "--score", "score", "--prediction", "yhat", "--timestamp", "event ts", "--id", "order",
         "--window", "W")
    return root, prod


def test_zoned_nanosecond_parquet_weeks_are_local_under_duckdb(zoned_parquet):
    """DuckDB reads pandas' tz-aware Parquet as TIMESTAMPTZ_NS, which the engine took for a naive time and
    cut in UTC: 47 labels appeared in the week 2026-03-16 whose labels are all unknown, and every week's n moved."""
    root, prod = zoned_parquet
    week = prod["event ts"].dt.tz_localize(None).dt.to_period("W").dt.start_time.dt.strftime("%Y-%m-%d")
    labelled = prod["target"].notna()
    n_by_hand = labelled.groupby(week).sum()
    acc_by_hand = ((prod["yhat"] == prod["target"])[labelled]).groupby(week[labelled]).mean()
    for engine in ("pandas", "duckdb"):
        frame = _config(root / "m", engine).performance().to_frame()
        acc = frame[frame["metric"] == "accuracy"].set_index("window")
        assert acc["n"].tolist() == n_by_hand.tolist(), engine
        assert acc["n_rows"].tolist() == week.value_counts().sort_index().tolist(), engine
        np.testing.assert_allclose(acc["value"].dropna().to_numpy(float), acc_by_hand.to_numpy(), atol=1e-12)


def test_csv_across_a_dst_change_is_cut_in_local_days(tmp_path):
    """One CSV of Europe/Berlin stamps across the 2026-03-29 change holds offsets +01:00 and +02:00; it was
    read as UTC, so each day lost its first one or two local hours to the day before, in both engines."""
    rng = np.random.default_rng(4)
    _binary(2000, "2026-03-09", 7, "Europe/Berlin", rng).to_csv(tmp_path / "base.csv", index=False)
    prod = _binary(3000, "2026-03-25", 8, "Europe/Berlin", rng, shift=0.3, id0=10**5)
    prod.to_csv(tmp_path / "prod.csv", index=False)
    _new(tmp_path / "m", "--baseline", str(tmp_path / "base.csv"), "--production", str(tmp_path / "prod.csv"),
         "--target", "target", "--score", "score", "--prediction", "yhat", "--timestamp", "event ts", "--id", "order",
         "--window", "D")
    day = prod["event ts"].dt.strftime("%Y-%m-%d")
    for engine in ("pandas", "duckdb"):
        cfg = _config(tmp_path / "m", engine)
        table = cfg.window_table.set_index("window")
        assert table["n_rows"].tolist() == day.value_counts().sort_index().tolist(), engine
        acc = cfg.performance().to_frame().query("metric == 'accuracy'")
        assert acc["n"].tolist() == day.value_counts().sort_index().tolist(), engine
    assert table.loc["2026-03-29", "complete"]   # a 23-hour day is a whole day


# ----------------------------------------------------------------------------- string labels: the positive class


def test_toolkit_new_infers_the_positive_class_of_a_yes_no_target(tmp_path):
    """`toolkit new` wrote positive_label: 1 for a target of 'yes'/'no', so every performance call then
    failed ("target has no value equal to positive_label=1"); it is the class the score ranks higher."""
    rng = np.random.default_rng(12)

    def logged(n, id0, shift=0.0):
        frame = _binary(n, "2026-02-02" if id0 == 0 else "2026-02-23", 14, "Pacific/Auckland", rng, shift, id0)
        return frame.assign(yhat=np.where(frame["yhat"] == 1, "yes", "no"),
                            target=np.where(frame["target"] == 1, "yes", "no"))

    logged(3000, 0).to_parquet(tmp_path / "base.parquet", index=False)
    prod = logged(4000, 10**6, 0.3)
    prod.to_parquet(tmp_path / "prod.parquet", index=False)
    _new(tmp_path / "m", "--baseline", str(tmp_path / "base.parquet"), "--production", str(tmp_path / "prod.parquet"),
         "--target", "target", "--score", "score", "--prediction", "yhat", "--timestamp", "event ts", "--id", "order",
         "--window", "W")
    assert yaml.safe_load((tmp_path / "m" / "model.yaml").read_text())["spec"]["positive_label"] == "yes"
    week = prod["event ts"].dt.tz_localize(None).dt.to_period("W").dt.start_time.dt.strftime("%Y-%m-%d")
    recall = prod[prod["target"] == "yes"].groupby(week)["yhat"].apply(lambda p: (p == "yes").mean())
    for engine in ("pandas", "duckdb"):
        frame = _config(tmp_path / "m", engine).performance(metric="recall").to_frame().set_index("window")
        np.testing.assert_allclose(frame.loc[recall.index, "value"].to_numpy(float), recall.to_numpy(), atol=1e-12)
    # inverted score (it is the probability of 'no'): the positive class follows the score
    flipped = prod.assign(score=1 - prod["score"])
    assert tk.ModelSpec.infer(flipped, target="target", score="score").positive_label == "no"
    assert tk.ModelSpec.infer(prod.assign(target=prod["target"] == "yes"), target="target").positive_label == 1
    assert tk.ModelSpec.infer(prod, target="target").positive_label == "yes"   # no score: the yes-like word


# ----------------------------------------------------------------------------- class ids 0..K-1


def test_integer_class_ids_are_a_multiclass_model(tmp_path, capsys):
    """Classes logged as 0/1/2 were inferred as regression: the report showed an MAE of class ids. A
    prediction that only ever names target values is a classifier."""
    rng = np.random.default_rng(21)
    weights = rng.normal(0, 1, (3, 3))

    def logged(n, start, prefix):
        frame = _multiclass(n, start, 14, rng, weights, prefix)
        codes = {c: i for i, c in enumerate(CLASSES)}
        return frame.rename(columns={"p_cat": "p_0", "p_dog": "p_1", "p_bird": "p_2"}).assign(
            pred=frame["pred"].map(codes), label=frame["label"].map(codes))

    logged(3000, "2026-03-02", "b").to_parquet(tmp_path / "base.parquet", index=False)
    prod = logged(3000, "2026-03-16", "p")
    prod.to_parquet(tmp_path / "prod.parquet", index=False)
    _new(tmp_path / "m", "--baseline", str(tmp_path / "base.parquet"), "--production", str(tmp_path / "prod.parquet"),
         "--target", "label", "--prediction", "pred", "--timestamp", "ts", "--id", "id", "--window", "W")
    cfg = _config(tmp_path / "m", "pandas")
    assert cfg.spec.task == "multiclass"
    week = prod["ts"].dt.to_period("W").dt.start_time.dt.strftime("%Y-%m-%d")
    by_hand = (prod["pred"] == prod["label"]).groupby(week).mean()
    frame = cfg.performance().to_frame().query("metric == 'accuracy'").set_index("window")
    np.testing.assert_allclose(frame.loc[by_hand.index, "value"].to_numpy(float), by_hand.to_numpy(), atol=1e-12)
    assert main(["check", str(tmp_path / "m" / "model_pandas.yaml")]) in (0, 1)
    assert "Accuracy" in capsys.readouterr().out


# ----------------------------------------------------------------------------- odd column names


def test_a_feature_named_window_is_not_overwritten_silently(tmp_path):
    """ModelConfig stacks production with .assign(window=label): a feature called 'window' (aisle/door)
    became the window labels in cfg.labelled, so 02/03/05 read week labels as its values. Now a clear
    error names the clash; the Python API on frames keeps the column as it is."""
    rng = np.random.default_rng(2)
    frames = []
    for n, start, id0 in ((2000, "2026-02-02", 0), (2000, "2026-02-16", 10**6)):
        frame = _binary(n, start, 14, "UTC", rng, id0=id0)
        frames.append(frame.assign(window=rng.choice(["aisle", "door"], n), **{"it's": rng.normal(size=n),
                                                                              " lead": rng.normal(size=n)}))
    frames[0].to_parquet(tmp_path / "base.parquet", index=False)
    frames[1].to_parquet(tmp_path / "prod.parquet", index=False)
    _new(tmp_path / "m", "--baseline", str(tmp_path / "base.parquet"), "--production", str(tmp_path / "prod.parquet"),
         "--target", "target", "--score", "score", "--prediction", "yhat", "--timestamp", "event ts", "--id", "order",
         "--window", "W")
    cfg = _config(tmp_path / "m", "pandas")
    assert set(cfg.batches[cfg.windows[0]]["window"]) == {"aisle", "door"}
    with pytest.raises(tk.InputError, match="column named 'window'.*rename it"):
        cfg.labelled
    perf = tk.performance(frames[1], target="target", score="score", prediction="yhat", timestamp="event ts", by="W")
    assert perf.to_frame()["window"].str.match(r"\d{4}-\d{2}-\d{2}").all()


# ----------------------------------------------------------------------------- empty inputs


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_comparing_with_no_rows_does_not_say_stable(tmp_path, engine):
    """tk.compare(reference, <0 rows>) headlined "0 of 2 columns drifted (0%); dataset stable", from frames
    and from an empty Parquet file alike: a verdict about data that is not there."""
    rng = np.random.default_rng(0)
    full = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(["a", "b"], 500)})
    full.to_parquet(tmp_path / "full.parquet")
    full.iloc[:0].to_parquet(tmp_path / "empty.parquet")
    for ref, cur, side in ((full, full.iloc[:0], "current"), (full.iloc[:0], full, "reference"),
                           (tmp_path / "full.parquet", tmp_path / "empty.parquet", "current")):
        report = tk.compare(ref, cur, engine=engine)
        assert report.headline == f"nothing compared: {side} has no rows"
        assert not report.dataset_drifted and "stable" not in report.headline


def test_health_names_a_gap_in_the_feed(multiclass_gap):
    """The week production skipped appeared in no report (00..05 never mention 2026-03-30): a feed outage
    passed unseen. The health report's notes (shown under 00's verdict) name it."""
    root, _ = multiclass_gap
    health = tk.health(_config(root / "m", "pandas"))
    assert any("no rows in 1 window" in n and "2026-03-30" in n for n in health.notes)
    assert "2026-03-30" in health.to_html()


def test_feedback_with_no_label_yet_does_not_lean_on_a_labelled_part(zoned_parquet):
    """'0 of 1,362 predictions labelled ... performance here rests on the labelled part and on the
    label-free estimate': with no label there is no labelled part."""
    root, _ = zoned_parquet
    health = tk.health(_config(root / "m", "pandas"), window="2026-03-16")
    summary = health.to_frame().set_index("cause").loc["feedback", "summary"]
    assert summary.startswith("0 of ") and summary.endswith("rests on the label-free estimate.")


# ----------------------------------------------------------------------------- ids written differently


def test_labels_whose_ids_never_match_say_why():
    """Labels keyed '00042' for predictions keyed 42 all became orphans with no hint; the report now says
    no id matched and shows one id of each side."""
    prod = pd.DataFrame({"id": np.arange(50), "t": pd.date_range("2026-01-01", periods=50, freq="h"),
                         "s": np.linspace(0, 1, 50)})
    labels = pd.DataFrame({"id": [f"{i:05d}" for i in range(50)], "y": np.arange(50) % 2})
    report = tk.join_labels(prod, labels, on="id", target="y").report
    assert report.label_rows["orphans"] == 50 and report.label_rows["matched"] == 0
    note = [n for n in report.notes if n.startswith("no label id matches")]
    assert note and "'00000'" in note[0] and "e.g. 0;" in note[0]
    assert "zero padding" in report.to_html()
    ok = tk.join_labels(prod, labels.assign(id=np.arange(50)), on="id", target="y").report
    assert not any(n.startswith("no label id matches") for n in ok.notes)


# ----------------------------------------------------------------------------- odd paths


def test_a_file_whose_name_has_glob_characters_is_read_as_itself(tmp_path, capsys):
    """`toolkit new --baseline "run [1]/base.parquet"` said the baseline "has no .parquet or .csv files":
    the existing path was taken for a glob, whose [1] matches the folder "run 1" only."""
    rng = np.random.default_rng(3)
    folder = tmp_path / "it's run [1]"
    folder.mkdir()
    _binary(1500, "2026-01-05", 14, "UTC", rng).to_parquet(folder / "base's.parquet", index=False)
    _binary(1500, "2026-01-19", 14, "UTC", rng, id0=10**5).to_csv(folder / "prod [v2].csv", index=False)
    from toolkit.io import expand_paths

    assert expand_paths(folder / "prod [v2].csv") == [folder / "prod [v2].csv"]
    _new(tmp_path / "m", "--baseline", str(folder / "base's.parquet"), "--production", str(folder / "prod [v2].csv"),
         "--target", "target", "--score", "score", "--prediction", "yhat", "--timestamp", "event ts", "--id", "order")
    for engine in ("pandas", "duckdb"):
        _config(tmp_path / "m", engine)
        assert main(["check", str(tmp_path / "m" / f"model_{engine}.yaml"), "--format", "json"]) in (0, 1)
        assert '"status"' in capsys.readouterr().out


def test_a_csv_day_folder_across_a_dst_change_is_cut_in_local_days(tmp_path):
    """Production as one CSV per local day, Europe/Berlin stamps: the files before 2026-03-29 hold +01:00, the
    later ones +02:00. The engines took the first file's offset for every file, so each summer day lost its
    first local hour to the day before; they now cut in the named zone whose offsets match every file."""
    rng = np.random.default_rng(5)
    _binary(2000, "2026-03-09", 7, "Europe/Berlin", rng).to_csv(tmp_path / "base.csv", index=False)
    prod = _binary(4000, "2026-03-26", 6, "Europe/Berlin", rng, shift=0.3, id0=10**5)
    day = prod["event ts"].dt.strftime("%Y-%m-%d")
    for label, rows in prod.groupby(day):
        folder = tmp_path / "prod" / f"day={label}"
        folder.mkdir(parents=True)
        rows.to_csv(folder / "part-0.csv", index=False)
    _new(tmp_path / "m", "--baseline", str(tmp_path / "base.csv"), "--production", str(tmp_path / "prod"),
         "--target", "target", "--score", "score", "--prediction", "yhat", "--timestamp", "event ts", "--id", "order",
         "--window", "D")
    expected = day.value_counts().sort_index()
    for engine in ("pandas", "duckdb"):
        cfg = _config(tmp_path / "m", engine)
        acc = cfg.performance().to_frame().query("metric == 'accuracy'")
        assert acc["window"].astype(str).tolist() == list(expected.index), engine
        assert acc["n"].tolist() == expected.tolist(), engine
        over_time = cfg.drift_over_time().to_frame().drop_duplicates("window")
        assert over_time["window_rows"].tolist() == expected.tolist(), engine
