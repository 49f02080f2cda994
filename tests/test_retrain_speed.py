"""Template 05's work done once: the label join and each window's guard are shared by the plan and the set.

The retraining plan and the retraining set of one config read the same labelled rows
(:func:`toolkit.outcomes.retrain_data.labelled_rows`). They are computed once per config object; these
tests prove the memo changes no number (every frame equals a fresh config's), counts the expensive calls,
and checks that a changed input (another contract, conflict rule or kept checks) is not served stale.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import toolkit as tk
import toolkit.outcomes.labels as labels_module
import toolkit.schema as schema_module
from toolkit.outcomes import retrain_data
from toolkit.outcomes.retrain_data import has_matched_labels, labelled_join, labelled_rows

N_WEEKS = 4


def _config(root: Path, *, conflict_all: bool = False, seed: int = 3) -> tk.ModelConfig:
    """Baseline + 4 weekly batches; labels with duplicates (same value, other label_time and inclusion_prob),
    conflicts (two values), an audit sample's inclusion probabilities, and out-of-range rows to quarantine."""
    rng = np.random.default_rng(seed)

    def draw(n, week):
        x = pd.DataFrame({"x1": rng.normal(0.2 * week, 1, n), "c": rng.choice(["a", "b"], n)})
        logit = -0.3 + (1.0 if week < 3 else -1.0) * x["x1"] + np.where(x["c"] == "b", 0.5, 0.0)
        return x, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)

    start = pd.Timestamp("2026-01-05", tz="UTC")
    data = root / "data"
    (data / "production").mkdir(parents=True)
    x, y = draw(3000, 0)
    x.assign(id=[f"B{i}" for i in range(len(x))], t=start - pd.Timedelta(days=30),
             score=1 / (1 + np.exp(-x["x1"].to_numpy())), y=y).to_parquet(data / "baseline.parquet")
    labels = []
    for week in range(1, N_WEEKS + 1):
        n = 1200
        x, y = draw(n, week)
        x.loc[:4, "x1"] = 1e6                                  # out of the baseline's range: quarantined
        ids = [f"P{week}-{i}" for i in range(n)]
        t = start + pd.Timedelta(weeks=week - 1) + pd.to_timedelta(rng.integers(0, 5 * 86400, n), unit="s")
        folder = data / "production" / f"week=2026-{week:02d}"
        folder.mkdir()
        x.assign(id=ids, t=t, score=1 / (1 + np.exp(-x["x1"].clip(-50, 50).to_numpy()))).to_parquet(
            folder / "part-0.parquet")
        pi = rng.choice([0.5, 1.0], n)
        lab = pd.DataFrame({"id": ids, "y": y, "label_time": t + pd.Timedelta(days=2), "inclusion_prob": pi})
        dup = lab.iloc[10:30].assign(label_time=lambda f: f["label_time"] + pd.Timedelta(days=1), inclusion_prob=0.25)
        flip = lab.iloc[40:50].assign(y=lambda f: 1 - f["y"], label_time=lambda f: f["label_time"] + pd.Timedelta(days=1))
        if conflict_all:
            flip = lab.assign(y=lambda f: 1 - f["y"], label_time=lambda f: f["label_time"] + pd.Timedelta(days=1))
        labels.append(pd.concat([lab, dup, flip]))
    pd.concat(labels, ignore_index=True).to_parquet(data / "labels.parquet")
    spec = tk.ModelSpec(features=["x1", "c"], target="y", score="score", timestamp="t", id="id",
                        kinds={"x1": "numeric", "c": "categorical"}, task="binary", positive_label=1, threshold=0.5)
    cfg = tk.ModelConfig(name="memo", baseline=str(data / "baseline.parquet"), production=str(data / "production"),
                         labels=str(data / "labels.parquet"), spec=spec)
    return tk.ModelConfig.load(cfg.save(root / "model.yaml"))


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return _config(tmp_path_factory.mktemp("memo")).root / "model.yaml"


def _counting(monkeypatch):
    calls = {"guard": 0, "join": 0}
    guard, join = schema_module.guard, labels_module.join_labels

    def counted_guard(*args, **kwargs):
        calls["guard"] += 1
        return guard(*args, **kwargs)

    def counted_join(*args, **kwargs):
        calls["join"] += 1
        return join(*args, **kwargs)

    monkeypatch.setattr(schema_module, "guard", counted_guard)
    monkeypatch.setattr(labels_module, "join_labels", counted_join)
    return calls


def _same_rows(a, b):
    for name in ("frame", "exclusions", "coverage", "problems"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert (a.n_eligible, a.windows, a.label_rule, a.keep_checks) == (b.n_eligible, b.windows, b.label_rule,
                                                                      b.keep_checks)
    pd.testing.assert_frame_equal(a.joined, b.joined, check_exact=True)


def test_plan_and_set_join_once_and_guard_each_window_once(path, monkeypatch):
    cfg = tk.ModelConfig.load(path)
    cfg.labelled                                              # a report run loads it from the shared cache
    calls = _counting(monkeypatch)
    plan = tk.retraining_plan(cfg, n_resamples=200, explain=False)
    # has_labels, the rows and the onset share one join, derived from cfg.labelled: only the predictions with
    # several labels are joined again
    assert calls == {"guard": N_WEEKS, "join": 1}, calls
    tk.retraining_set(cfg, since=cfg.windows[1])
    tk.retraining_set(cfg, since="onset") if plan.onset else None
    tk.retraining_set(cfg, include_reference=True)
    assert calls == {"guard": N_WEEKS, "join": 1}, calls     # the sets re-apply the rules, nothing recomputed
    tk.retraining_set(cfg, conflicts="latest")                # 'latest' is cfg.labelled itself: no join
    assert calls == {"guard": N_WEEKS, "join": 1}, calls
    tk.retraining_set(cfg, conflicts="first")                 # another rule re-joins the several-label rows...
    assert calls == {"guard": N_WEEKS, "join": 2}, calls     # ...under the same guards


@pytest.mark.parametrize("conflicts, keep_checks", [("drop", ("unseen_category",)), ("latest", ()),
                                                    ("first", ("unseen_category", "out_of_range"))])
def test_memoised_rows_equal_a_fresh_configs(path, conflicts, keep_checks):
    cfg = tk.ModelConfig.load(path)
    labelled_rows(cfg)                                        # fills the memo (drop, default checks)
    labelled_rows(cfg, conflicts="latest", keep_checks=())
    windows = cfg.windows[1:]
    again = labelled_rows(cfg, windows=windows, conflicts=conflicts, keep_checks=keep_checks)
    fresh = labelled_rows(tk.ModelConfig.load(path), windows=windows, conflicts=conflicts, keep_checks=keep_checks)
    _same_rows(again, fresh)
    # the fixture exercises every rule: duplicates, conflicts and quarantined rows are present
    assert again.feedback.n_duplicates > 0
    reasons = set(again.exclusions["reason"])
    assert any(r.startswith("quarantined: out_of_range") for r in reasons) == ("out_of_range" not in keep_checks)
    assert ("label_conflict" in reasons) == (conflicts == "drop")


def test_plan_and_set_numbers_equal_those_of_fresh_configs(path):
    """The memo changes no number: the set after the plan equals the set of a config that never ran a plan."""
    cfg = tk.ModelConfig.load(path)
    plan = tk.retraining_plan(cfg, n_resamples=200, explain=False)
    again = tk.retraining_plan(cfg, n_resamples=200, explain=False)
    fresh_plan = tk.retraining_plan(tk.ModelConfig.load(path), n_resamples=200, explain=False)
    for other in (again, fresh_plan):
        pd.testing.assert_frame_equal(plan.candidates, other.candidates, check_exact=True)
        pd.testing.assert_frame_equal(plan.windows, other.windows, check_exact=True)
        assert (plan.message, plan.onset, plan.cutoff, plan.evidence, plan.notes) == \
            (other.message, other.onset, other.cutoff, other.evidence, other.notes)
    since = plan.onset or cfg.windows[1]
    shared = tk.retraining_set(cfg, since=since, include_reference=True)
    fresh = tk.retraining_set(tk.ModelConfig.load(path), since=since, include_reference=True)
    pd.testing.assert_frame_equal(shared.frame, fresh.frame, check_exact=True)
    pd.testing.assert_frame_equal(shared.exclusions, fresh.exclusions, check_exact=True)
    assert {k: v for k, v in shared.datasheet.items() if k != "created"} == \
        {k: v for k, v in fresh.datasheet.items() if k != "created"}


def test_another_contract_or_batch_is_not_served_from_the_memo(path):
    cfg = tk.ModelConfig.load(path)
    before = labelled_rows(cfg)
    assert before.exclusions["reason"].str.startswith("quarantined: out_of_range").any()
    loose = tk.infer_contract(pd.concat([cfg.reference, *cfg.batches.values()], ignore_index=True), spec=cfg.spec)
    cfg.__dict__["contract_object"] = loose                   # a contract that accepts the outliers
    after = labelled_rows(cfg)
    assert not after.exclusions["reason"].str.startswith("quarantined: out_of_range").any()
    assert after.n_eligible == before.n_eligible and len(after.frame) > len(before.frame)
    fresh = tk.ModelConfig.load(path)
    fresh.__dict__["contract_object"] = loose
    _same_rows(after, labelled_rows(fresh))


def test_has_matched_labels_answers_as_cfg_labelled(path, tmp_path):
    cfg = tk.ModelConfig.load(path)
    assert has_matched_labels(cfg) is True and cfg.labelled.has_labels
    clash = _config(tmp_path / "all", conflict_all=True)      # every label conflicts: labelled, with conflicts
    assert clash.labelled.has_labels and has_matched_labels(clash)
    assert labelled_join(clash).joined["y"].isna().all()     # the drop join alone would have said "no labels"
    plan = tk.retraining_plan(clash, n_resamples=200, explain=False)
    assert "none reach the analysis" not in plan.message      # as before: judged, not "connect the feedback loop"
    bare = tk.ModelConfig(name="bare", baseline=cfg.baseline, production=cfg.production, spec=cfg.spec)
    assert has_matched_labels(bare) is False and not bare.labelled.has_labels


@pytest.mark.parametrize("conflicts", ["drop", "first", "latest"])
def test_labelled_join_equals_the_full_join_under_each_rule(path, conflicts):
    """Derived from cfg.labelled, the join equals join_labels' own, column by column, with duplicates (other
    label_time and inclusion_prob) and conflicts present; label_status as well on this fixture."""
    cfg = tk.ModelConfig.load(path)
    before = cfg.labelled.joined.copy()
    shared = labelled_join(cfg, conflicts)
    assert labelled_join(cfg, conflicts) is shared
    pd.testing.assert_frame_equal(cfg.labelled.joined, before, check_exact=True)   # the shared join is untouched
    direct = tk.join_labels(cfg.production_frame, cfg.label_frame, spec=cfg.spec, by="window", conflicts=conflicts)
    assert (direct.n_duplicates, direct.n_conflicts) > (0, 0)
    pd.testing.assert_frame_equal(shared.joined, direct.joined, check_exact=True)
    if conflicts == "latest":
        assert shared is cfg.labelled


def test_ids_written_differently_fall_back_to_the_full_join(tmp_path):
    """Label ids as text and prediction ids as numbers match only through join_labels' canonical keys: the
    partial re-join would miss them, so the full join is used, and the result is still the full join's."""
    cfg = _config(tmp_path)
    prod = tmp_path / "data" / "production"
    for part in prod.glob("*/part-0.parquet"):
        frame = pd.read_parquet(part)
        frame["id"] = frame["id"].str.replace("P", "").str.replace("-", "0").astype(np.int64)
        frame.to_parquet(part)
    labels = pd.read_parquet(tmp_path / "data" / "labels.parquet")
    labels["id"] = labels["id"].str.replace("P", "").str.replace("-", "0").astype(np.int64).astype(str)
    labels.to_parquet(tmp_path / "data" / "labels.parquet")
    cfg = tk.ModelConfig.load(tmp_path / "model.yaml")
    assert retrain_data._from_shared_join(cfg, "drop") is None
    direct = tk.join_labels(cfg.production_frame, cfg.label_frame, spec=cfg.spec, by="window", conflicts="drop")
    assert direct.n_matched > 0 and direct.n_duplicates > 0
    pd.testing.assert_frame_equal(labelled_join(cfg, "drop").joined, direct.joined, check_exact=True)


def test_a_stand_in_config_without_a_dict_keeps_no_memo():
    assert retrain_data._memo(object()) == {}
