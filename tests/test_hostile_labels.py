"""Hostile label joins: mismatched id types, null ids, label columns named like outputs, unparseable times.
Every label row is accounted for, for any frames hypothesis generates; no input column is ever overwritten."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolkit as tk


def _preds(n=40, seed=0):
    rng = np.random.default_rng(seed)
    ids = np.arange(n).astype(float)
    return pd.DataFrame({"id": ids, "score": rng.uniform(size=n),
                         "t": pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(np.arange(n), unit="h")})


def test_float_prediction_ids_match_string_label_ids():
    preds = _preds()
    preds.loc[3, "id"] = np.nan  # the NaN that turned every id into a float
    labelled = [i for i in range(40) if i != 3][:36]
    labels = pd.DataFrame({"id": [str(i) for i in labelled], "y": [i % 2 for i in labelled],
                           "label_time": pd.Timestamp("2026-02-01", tz="UTC")})
    joined, report = tk.join_labels(preds, labels, on="id", target="y", timestamp="t")
    # direct computation: the ids that are in both, compared as numbers
    expected = preds["id"].isin([float(i) for i in labelled])
    assert report.n_matched == int(expected.sum()) == 36 and report.n_orphans == 0
    assert report.coverage_share == pytest.approx(36 / 40)
    assert (joined.loc[expected, "y"].to_numpy() == preds.loc[expected, "id"].to_numpy() % 2).all()
    assert any("4.0 -> '4'" in n for n in report.notes)
    assert joined["id"].equals(preds["id"])  # the id column itself is untouched


@pytest.mark.parametrize("pred_ids,label_ids", [
    ([1, 2, 3], ["1", "2", "3"]),
    ([1.0, 2.0, 3.0], [1, 2, 3]),
    (["1", "2", "3"], [1.0, 2.0, 3.0]),
    ([1, 2, 3], [1.0, 2.0, 3.0]),
    (["a", "b", "c"], ["a", "b", "c"]),
    (pd.array([1, 2, 3], dtype="Int64"), ["1", "2", "3"]),
    (pd.array(["1", "2", "3"], dtype="string"), ["1", "2", "3"]),
    ([1, "2", 3.0], ["1", 2, "3"]),
])
def test_every_id_type_pairing_matches(pred_ids, label_ids):
    preds = pd.DataFrame({"id": pred_ids, "score": [0.1, 0.5, 0.9]})
    labels = pd.DataFrame({"id": label_ids, "y": [0, 1, 1]})
    joined, report = tk.join_labels(preds, labels, on="id", target="y", by=None)
    assert report.n_matched == 3 and report.n_orphans == 0
    assert joined["y"].tolist() == [0, 1, 1]


def test_non_whole_float_ids_do_not_match_by_accident():
    preds = pd.DataFrame({"id": [1.5, 2.0], "score": [0.1, 0.2]})
    labels = pd.DataFrame({"id": ["1", "2"], "y": [0, 1]})
    _, report = tk.join_labels(preds, labels, on="id", target="y", by=None)
    assert report.n_matched == 1 and report.n_orphans == 1


def test_label_rows_with_a_null_id_are_counted_not_lost():
    preds = _preds(10)
    labels = pd.DataFrame({"id": [0.0, 1.0, np.nan, np.nan, 99.0], "y": [1, 0, 1, 0, 1],
                           "label_time": pd.Timestamp("2026-02-01", tz="UTC")})
    joined, report = tk.join_labels(preds, labels, on="id", target="y", timestamp="t")
    assert (report.n_matched, report.n_orphans, report.n_no_id) == (2, 1, 2)
    assert report.label_rows == {"matched": 2, "duplicates": 0, "conflicting extras": 0, "orphans": 1,
                                 "no id": 2, "no value": 0}
    assert sum(report.label_rows.values()) == len(labels)
    assert any("2 label rows have no 'id' id" in n for n in report.notes)
    issues = report.issues.set_index("issue")["n"]
    assert issues["label rows without an id"] == 2


@pytest.mark.parametrize("column", ["label_status", "n_labels", "label_delay", "label_conflict", "_tk_row"])
def test_a_label_column_named_like_an_output_is_never_overwritten(column):
    preds = _preds(5)
    labels = pd.DataFrame({"id": [0.0, 1.0], "y": [1, 0], column: ["keep", "me"]})
    with pytest.raises(ValueError, match=rf"labels has column\(s\) '{column}', which join_labels adds"):
        tk.join_labels(preds, labels, on="id", target="y", timestamp="t")
    with pytest.raises(ValueError, match=rf"production has column\(s\) '{column}'"):
        tk.join_labels(preds.assign(**{column: 1}), labels.drop(columns=column), on="id", target="y", timestamp="t")


def test_a_label_column_named_reason_survives_in_the_orphans():
    preds = _preds(5)
    labels = pd.DataFrame({"id": [0.0, 42.0], "y": [1, 0], "reason": ["audit", "legal hold"]})
    joined, report = tk.join_labels(preds, labels, on="id", target="y", timestamp="t")
    assert report.orphans["reason"].tolist() == ["legal hold"]
    assert report.orphans["orphan_reason"].tolist() == ["id not in predictions"]
    assert joined.loc[0, "reason"] == "audit"


@pytest.mark.parametrize("kwargs,words", [
    ({"as_of": "yesterday-ish"}, ["as_of", "'yesterday-ish'", "2026-06-30"]),
    ({"expected_delay": "soon"}, ["expected_delay", "'soon'", "35D"]),
    ({"expected_delay": "-3D"}, ["expected_delay", "0 or more"]),
    ({"as_of": np.float64(3.5)}, ["as_of", "3.5"]),
])
def test_unparseable_arguments_name_the_argument(kwargs, words):
    preds = _preds(5)
    labels = pd.DataFrame({"id": [0.0], "y": [1], "label_time": pd.Timestamp("2026-02-01", tz="UTC")})
    with pytest.raises(ValueError) as err:
        tk.join_labels(preds, labels, on="id", target="y", timestamp="t", **kwargs)
    for word in words:
        assert word in str(err.value), str(err.value)
    assert "np.float64" not in str(err.value)


def test_unparseable_timestamp_columns_name_the_column():
    preds = _preds(5).assign(t=["2026-01-05", "not a date", "2026-01-07", "2026-01-08", "2026-01-09"])
    labels = pd.DataFrame({"id": [0.0], "y": [1], "label_time": ["2026-02-01"]})
    with pytest.raises(ValueError, match=r"production column 't' \(timestamp=\) has 1 value\(s\) that are not "
                                         r"timestamps \(e.g. 'not a date'\)"):
        tk.join_labels(preds, labels, on="id", target="y", timestamp="t")
    preds = _preds(5)
    with pytest.raises(ValueError, match=r"labels column 'label_time' \(label_time=\) has 1 value"):
        tk.join_labels(preds, labels.assign(label_time=["whenever"]), on="id", target="y", timestamp="t")
    with pytest.raises(ValueError, match=r"holds numbers, not timestamps.*unit='s'"):
        tk.join_labels(preds.assign(t=np.arange(5) * 1e9), labels, on="id", target="y", timestamp="t")
    # strings that ARE timestamps still work, and give the same delays as real timestamps
    as_text = preds.assign(t=preds["t"].astype(str))
    a = tk.join_labels(as_text, labels, on="id", target="y", timestamp="t").joined["label_delay"]
    b = tk.join_labels(preds, labels, on="id", target="y", timestamp="t").joined["label_delay"]
    assert a.equals(b)


# -- properties ----------------------------------------------------------------------------------------
_names = st.one_of(st.text(min_size=1, max_size=6), st.integers(-3, 3), st.sampled_from(
    ["reason", "label_time", "source", "score", "y", "id", "window", "n_matched", "value"]))
_id_values = st.one_of(st.integers(0, 6), st.floats(0, 6).map(lambda f: float(round(f))),
                       st.sampled_from(["0", "1", "2", "a", "b", " 1"]), st.none(), st.just(np.nan))


def _key(v):
    """The documented id rule: whole numbers as ints, then everything as text; None for a missing id."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and float(v).is_integer():
        return str(int(v))
    return str(v)


@st.composite
def label_problems(draw):
    n_pred = draw(st.integers(0, 12))
    n_lab = draw(st.integers(0, 15))
    pred_ids = draw(st.lists(_id_values, min_size=n_pred, max_size=n_pred, unique_by=_key))
    pred_ids = [v for v in pred_ids if _key(v) is not None]  # unique, non-null prediction ids (4 and 4.0 are one id)
    lab_ids = draw(st.lists(_id_values, min_size=n_lab, max_size=n_lab))
    preds = pd.DataFrame({"id": pd.Series(pred_ids, dtype=object if any(isinstance(v, str) for v in pred_ids)
                                          else None)})
    labels = pd.DataFrame({"id": pd.Series(lab_ids, dtype=object), "y": draw(st.lists(
        st.one_of(st.integers(0, 1), st.none()), min_size=n_lab, max_size=n_lab))})
    extra_pred = draw(st.lists(_names, max_size=3, unique_by=str))
    extra_lab = draw(st.lists(_names, max_size=3, unique_by=str))
    for col in extra_pred:
        if col not in preds.columns and col not in ("id", "y"):
            preds[col] = draw(st.integers(0, 9))
    for col in extra_lab:
        if col not in labels.columns and col not in preds.columns and col not in ("id", "y"):
            labels[col] = draw(st.sampled_from(["x", "legal hold"]))
    return preds, labels


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(label_problems())
def test_every_label_row_is_accounted_for_and_no_input_column_is_overwritten(problem):
    preds, labels = problem
    before_p, before_l = preds.copy(), labels.copy()
    try:
        joined, report = tk.join_labels(preds, labels, on="id", target="y", by=None)
    except (ValueError, KeyError, TypeError) as err:  # a documented, named refusal, never a crash from inside
        text = str(err)
        assert any(word in text for word in ("join_labels adds", "labels would add", "duplicate column",
                                             "not timestamps")), text
        return
    # inputs untouched
    pd.testing.assert_frame_equal(preds, before_p)
    pd.testing.assert_frame_equal(labels, before_l)
    for col in preds.columns:
        pd.testing.assert_series_equal(joined[col], preds[col], check_names=False)
    assert len(joined) == len(preds)
    # accounting: matched + duplicates + conflicting extras + orphans + no id + no value == label rows
    rows = report.label_rows
    assert sum(rows.values()) == len(labels)
    key = _key  # direct computation of the documented id rule
    pred_keys = {key(v) for v in preds["id"]}
    usable = [key(v) for v, y in zip(labels["id"], labels["y"]) if key(v) is not None and y == y and y is not None]
    assert rows["no id"] == sum(key(v) is None for v in labels["id"])
    assert rows["orphans"] == sum(k not in pred_keys for k in usable)
    assert report.n_matched == len({k for k in usable if k in pred_keys})


def test_text_timestamps_with_mixed_offsets_and_repeated_ids_in_different_units():
    """Paris summer and winter offsets as text; ids scored twice; label times in another datetime unit."""
    preds = pd.DataFrame({"id": [1, 1, 2, 3],
                          "t": ["2026-01-05 09:00:00+01:00", "2026-07-06 09:00:00+02:00",
                                "2026-01-06 10:00:00+01:00", "2026-07-07 10:00:00+02:00"]})
    labels = pd.DataFrame({"id": ["1", "1", "2"], "y": [0, 1, 1],
                           "label_time": pd.to_datetime(["2026-02-01", "2026-08-01", "2026-02-02"]).as_unit("ns")})
    joined, report = tk.join_labels(preds, labels, on="id", target="y", timestamp="t")
    # direct computation: each label goes to the latest prediction of its id at or before its label_time
    assert joined["y"].tolist()[:3] == [0, 1, 1] and np.isnan(joined["y"].iloc[3])
    assert joined["label_delay"].iloc[0] == pd.Timestamp("2026-02-01", tz="UTC") - pd.Timestamp("2026-01-05 08:00Z")
    assert sum(report.label_rows.values()) == len(labels) and report.n_orphans == 0


def test_string_dtype_ids_against_object_ids_with_numbers():
    preds = pd.DataFrame({"id": pd.array(["1", "2", "x"], dtype="string"), "score": [0.1, 0.2, 0.3]})
    labels = pd.DataFrame({"id": pd.Series([1, "2", "x"], dtype=object), "y": [1, 0, 1]})
    joined, report = tk.join_labels(preds, labels, on="id", target="y", by=None)
    assert joined["y"].tolist() == [1, 0, 1] and report.n_orphans == 0
