"""tk.join_labels: every label is matched, counted as a duplicate or conflict, or listed as an orphan."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk


@pytest.fixture()
def logged():
    rng = np.random.default_rng(0)
    n = 400
    t = pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(np.sort(rng.integers(0, 28 * 86400, n)), unit="s")
    preds = pd.DataFrame({"customer_id": [f"C{i:04d}" for i in range(n)], "event_time": t,
                          "score": rng.random(n)})
    delay = pd.to_timedelta(rng.uniform(20, 40, n), unit="D")
    labels = pd.DataFrame({"customer_id": preds["customer_id"], "churned": (rng.random(n) < 0.3).astype(int),
                           "label_time": t + delay, "source": "matured", "inclusion_prob": 1.0})
    as_of = pd.Timestamp("2026-02-20", tz="UTC")
    labels = labels[labels["label_time"] <= as_of].reset_index(drop=True)
    return preds, labels, as_of


def test_join_keeps_prediction_rows_and_label_columns(logged):
    preds, labels, as_of = logged
    joined, report = tk.join_labels(preds, labels, on="customer_id", target="churned", timestamp="event_time",
                                    as_of=as_of)
    assert len(joined) == len(preds) and (joined["customer_id"] == preds["customer_id"]).all()
    for col in ("churned", "label_time", "source", "inclusion_prob", "label_delay", "n_labels", "label_conflict",
                "label_status"):
        assert col in joined.columns
    assert joined["churned"].notna().sum() == len(labels) == report.n_matched
    merged = preds.merge(labels, on="customer_id")
    assert (joined.set_index("customer_id").loc[merged["customer_id"], "churned"].to_numpy()
            == merged["churned"].to_numpy()).all()
    delay = (joined["label_time"] - joined["event_time"]).dt.total_seconds() / 86400
    assert report.delays.set_index("quantile").loc[0.5, "delay_days"] == pytest.approx(delay.median())
    # the result is a named tuple: unpacking and attributes agree
    result = tk.join_labels(preds, labels, on="customer_id", target="churned", timestamp="event_time")
    assert result.report.n_matched == report.n_matched and result.joined.shape == joined.shape


def test_coverage_per_window_and_waiting_vs_overdue(logged):
    preds, labels, as_of = logged
    joined, report = tk.join_labels(preds, labels, on="customer_id", target="churned", timestamp="event_time",
                                    as_of=as_of, expected_delay="35D")
    cov = report.to_frame()
    assert cov["window"].tolist() == ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]
    assert cov["n_predictions"].sum() == len(preds)
    assert (cov["n_labelled"] + cov["n_waiting"] + cov["n_overdue"] == cov["n_predictions"]).all()
    assert cov["coverage"].is_monotonic_decreasing                      # recent weeks have fewer labels
    unlabelled = joined["churned"].isna()
    age = as_of - joined["event_time"]
    assert ((joined["label_status"] == "overdue") == (unlabelled & (age > pd.Timedelta("35D")))).all()
    assert report.n_waiting + report.n_overdue == unlabelled.sum()


def test_duplicates_conflicts_and_orphans_are_counted(logged):
    preds, labels, _ = logged
    dupes = labels.iloc[:5]
    conflicts = labels.iloc[5:8].assign(churned=1 - labels["churned"].iloc[5:8],
                                        label_time=labels["label_time"].iloc[5:8] + pd.Timedelta("1D"))
    orphans = pd.DataFrame({"customer_id": ["X1", "X2"], "churned": [0, 1],
                            "label_time": labels["label_time"].iloc[:2].to_numpy(), "source": "matured",
                            "inclusion_prob": 1.0})
    all_labels = pd.concat([labels, dupes, conflicts, orphans], ignore_index=True)
    joined, report = tk.join_labels(preds, all_labels, on="customer_id", target="churned", timestamp="event_time")
    assert (report.n_duplicates, report.n_conflicts, report.n_orphans) == (5, 3, 2)
    assert report.n_matched + report.n_duplicates + 3 + report.n_orphans == len(all_labels)   # nothing lost
    assert sorted(report.orphans["customer_id"]) == ["X1", "X2"]
    assert (report.orphans["reason"] == "id not in predictions").all()
    conflicted = joined[joined["label_conflict"]]
    assert sorted(conflicted["customer_id"]) == sorted(labels["customer_id"].iloc[5:8])
    # default policy: the latest label wins
    latest = conflicts.set_index("customer_id")["churned"]
    assert (conflicted.set_index("customer_id")["churned"] == latest.reindex(conflicted["customer_id"])).all()
    assert (joined.loc[joined["customer_id"].isin(dupes["customer_id"]), "n_labels"] == 2).all()
    issues = report.issues.set_index("issue")
    assert issues.loc["conflicting labels (different values)", "n"] == 3

    first, _ = tk.join_labels(preds, all_labels, on="customer_id", target="churned", conflicts="first")
    earliest = labels.set_index("customer_id")["churned"]
    c = first[first["label_conflict"]].set_index("customer_id")["churned"]
    assert (c == earliest.reindex(c.index)).all()
    dropped, rep = tk.join_labels(preds, all_labels, on="customer_id", target="churned", conflicts="drop",
                                  timestamp="event_time")
    assert dropped.loc[dropped["label_conflict"], "churned"].isna().all()
    assert (dropped.loc[dropped["label_conflict"], "label_status"] == "conflict dropped").all()
    with pytest.raises(ValueError, match="conflicting labels"):
        tk.join_labels(preds, all_labels, on="customer_id", target="churned", conflicts="raise")


def test_repeated_ids_match_the_latest_prediction_before_the_label():
    t = pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-15"], utc=True)
    preds = pd.DataFrame({"id": ["a", "a", "b"], "t": t, "score": [0.2, 0.7, 0.5]})
    labels = pd.DataFrame({"id": ["a", "a", "b", "b"], "y": [0, 1, 1, 0],
                           "label_time": pd.to_datetime(["2026-01-20", "2026-02-10", "2026-02-01", "2026-01-02"],
                                                        utc=True)})
    joined, report = tk.join_labels(preds, labels, on="id", target="y", timestamp="t", by=None)
    assert joined["y"].tolist() == [0, 1, 1]
    assert report.n_orphans == 1 and report.orphans["reason"].iloc[0] == "label before any prediction of this id"


def test_repeated_ids_without_label_time_set_those_labels_aside_and_join_the_rest():
    """Which scoring of 'a' a label belongs to is unknowable without label_time: its labels are set aside
    (counted as orphans with the reason), never guessed; 'b' and 'c' still join, and nothing is lost."""
    t = pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-15", "2026-01-16"], utc=True)
    preds = pd.DataFrame({"id": ["a", "a", "b", "c"], "t": t, "score": [0.2, 0.7, 0.5, 0.4]})
    labels = pd.DataFrame({"id": ["a", "a", "b", "c", "z"], "y": [0, 1, 1, 0, 1]})
    joined, report = tk.join_labels(preds, labels, on="id", target="y", timestamp="t", by=None)
    assert joined["y"].tolist()[2:] == [1, 0] and joined["y"].iloc[:2].isna().all()
    assert joined["label_status"].tolist()[:2] == ["ambiguous id", "ambiguous id"]
    assert report.n_orphans == 3
    assert sorted(report.orphans["reason"]) == ["id not in predictions", "id repeats in predictions",
                                                "id repeats in predictions"]
    assert sum(report.label_rows.values()) == len(labels)
    note = next(n for n in report.notes if "ids repeat" in n)
    assert "2 label rows" in note and "label_time" in note


def test_spec_and_mismatched_id_types():
    preds = pd.DataFrame({"cid": [1, 2, 3], "score": [0.1, 0.5, 0.9]})
    labels = pd.DataFrame({"cid": ["1", "3"], "y": [0, 1]})
    spec = tk.ModelSpec(features=[], target="y", score="score", id="cid")
    joined, report = tk.join_labels(preds, labels, spec=spec)
    assert joined["y"].tolist()[0] == 0 and np.isnan(joined["y"].iloc[1]) and joined["y"].iloc[2] == 1
    assert any("matched on canonical text keys" in n for n in report.notes)


def test_bad_input(logged):
    preds, labels, _ = logged
    with pytest.raises(ValueError, match="no id column"):
        tk.join_labels(preds, labels, target="churned")
    with pytest.raises(KeyError, match="labels lacks column"):
        tk.join_labels(preds, labels, on="customer_id", target="label")
    with pytest.raises(ValueError, match="already has column"):
        tk.join_labels(preds.assign(churned=0), labels, on="customer_id", target="churned")
    with pytest.raises(ValueError, match="conflicts must be one of"):
        tk.join_labels(preds, labels, on="customer_id", target="churned", conflicts="newest")


def test_renders(logged):
    preds, labels, as_of = logged
    _, report = tk.join_labels(preds, labels.assign(source=np.where(np.arange(len(labels)) % 3, "matured", "<audit>")),
                               on="customer_id", target="churned", timestamp="event_time", as_of=as_of)
    html = report._repr_html_()
    assert "Label feedback" in html
    spec = report.chart().to_dict()
    assert len(spec["vconcat"]) == 2
    assert "predictions labelled" in repr(report)
    assert set(report.sources["source"]) == {"matured", "<audit>"}
