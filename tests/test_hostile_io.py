"""Hostile data files: 0-byte, truncated and corrupt Parquet, malformed and empty CSV, through tk.read,
read_batches, ModelConfig and tk.compare(path) (the DuckDB path). Each is a tk.FileReadError naming the file and
the fix; never a pyarrow / pandas / DuckDB exception, never generated SQL, never a silently wrong frame."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk

LIBRARY_WORDS = ("SELECT", "read_parquet(", "ArrowInvalid", "ParserError", "duckdb.", "pyarrow.lib")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("io")
    rng = np.random.default_rng(11)
    good = pd.DataFrame({"x": rng.normal(size=300), "plan": rng.choice(["a", "b"], 300)})
    good.to_parquet(root / "good.parquet")
    raw = (root / "good.parquet").read_bytes()
    bad = {
        "zero.parquet": b"",
        "truncated.parquet": raw[: len(raw) // 2],
        "footerless.parquet": raw[:-8],
        "text.parquet": b"x,plan\n1,a\n",
        "zero.csv": b"",
        "ragged.csv": b"x,plan\n1,a\n2,b,extra,more\n3,c\n",
        "blank.csv": b"\n\n",
        "latin1.csv": "x,plan\n1,caf\xe9\n".encode("latin-1"),
    }
    for name, content in bad.items():
        (root / name).write_bytes(content)
    return root, good, list(bad)


def _clean(message: str, file: str) -> None:
    assert file in message, message
    assert not any(word in message for word in LIBRARY_WORDS), message
    assert any(fix in message for fix in ("Re-export", "re-export", "remove it", "check the quoting", "UTF-8"))


@pytest.mark.parametrize("name", ["zero.parquet", "truncated.parquet", "footerless.parquet", "text.parquet",
                                  "zero.csv", "ragged.csv", "blank.csv", "latin1.csv"])
def test_read_names_the_file_and_the_fix(files, name):
    root, _, _ = files
    with pytest.raises(tk.FileReadError) as err:
        tk.read(root / name)
    _clean(str(err.value), name)
    assert isinstance(err.value, tk.InputError) and isinstance(err.value, ValueError)


@pytest.mark.parametrize("name", ["zero.parquet", "truncated.parquet", "text.parquet", "zero.csv", "ragged.csv"])
def test_compare_on_a_path_goes_through_duckdb_and_names_the_file(files, name):
    root, good, _ = files
    with pytest.raises(tk.FileReadError) as err:
        tk.compare(good, str(root / name))
    _clean(str(err.value), name)


def test_the_duckdb_path_reads_ragged_csv_as_an_error_not_as_one_column(files, tmp_path):
    """DuckDB's sniffer used to take a ragged file as one column named 'x,plan' and report no drift at all."""
    root, good, _ = files
    good.to_csv(tmp_path / "fine.csv", index=False)
    report = tk.compare(good, str(tmp_path / "fine.csv"))
    assert sorted(report.to_frame()["column"]) == ["plan", "x"]  # a well-formed CSV still works
    with pytest.raises(tk.FileReadError, match="ragged.csv"):
        tk.compare(good, str(root / "ragged.csv"))


def test_one_broken_batch_in_a_folder_is_named(files, tmp_path):
    _, good, _ = files
    for week in ("2026-01", "2026-02"):
        (tmp_path / f"week={week}").mkdir()
        good.to_parquet(tmp_path / f"week={week}" / "part-0.parquet")
    (tmp_path / "week=2026-03").mkdir()
    (tmp_path / "week=2026-03" / "part-0.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(tk.FileReadError, match=r"week=2026-03/part-0.parquet"):
        dict(tk.read_batches(tmp_path))
    with pytest.raises(tk.FileReadError, match=r"week=2026-03/part-0.parquet"):
        tk.compare(good, str(tmp_path))
    spec = tk.ModelSpec.infer(good)
    good.to_parquet(tmp_path.parent / f"{tmp_path.name}-base.parquet")
    cfg = tk.ModelConfig(name="m", baseline=f"../{tmp_path.name}-base.parquet", production=".", spec=spec,
                         root=tmp_path)
    assert len(cfg.reference) == len(good)
    with pytest.raises(tk.FileReadError, match=r"week=2026-03/part-0.parquet"):
        cfg.batches


def test_model_config_baseline_that_is_corrupt_or_missing(files, tmp_path):
    root, good, _ = files
    spec = tk.ModelSpec.infer(good)
    cfg = tk.ModelConfig(name="m", baseline=str(root / "truncated.parquet"), production=str(root / "good.parquet"),
                         spec=spec)
    with pytest.raises(tk.FileReadError, match="truncated.parquet"):
        cfg.reference
    cfg = tk.ModelConfig(name="m", baseline=str(tmp_path / "nope.parquet"), production=str(root), spec=spec)
    with pytest.raises(FileNotFoundError, match="nope.parquet' does not exist"):
        cfg.reference


def test_a_header_only_csv_is_an_empty_frame_not_an_error(tmp_path):
    (tmp_path / "header.csv").write_text("x,plan\n")
    frame = tk.read(tmp_path / "header.csv")
    assert list(frame.columns) == ["x", "plan"] and len(frame) == 0


def test_an_unsupported_suffix_and_a_missing_path(tmp_path):
    (tmp_path / "data.json").write_text("{}")
    with pytest.raises(tk.FileReadError, match=r"data.json.*\.parquet and \.csv"):
        tk.read(tmp_path / "data.json")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tk.read(tmp_path / "missing.parquet")
    with pytest.raises(FileNotFoundError, match="no .parquet or .csv files match"):
        tk.read(str(tmp_path / "*.parquet"))
    with pytest.raises(TypeError, match="path must be a file, glob or folder"):
        tk.read(5)


def test_good_files_are_read_exactly(files):
    """The wrapping changes nothing for good input: same frame as pandas reads."""
    root, good, _ = files
    pd.testing.assert_frame_equal(tk.read(root / "good.parquet"), pd.read_parquet(root / "good.parquet"))


def test_a_corrupt_page_past_an_intact_footer_is_named(tmp_path):
    """The footer reads fine; the damage shows only when DuckDB decompresses the page."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200_000), "s": rng.choice(["a", "b", "c"], 200_000)})
    frame.to_parquet(tmp_path / "big.parquet", compression="zstd", row_group_size=50_000)
    raw = bytearray((tmp_path / "big.parquet").read_bytes())
    at = int(len(raw) * 0.2)
    raw[at:at + 2000] = bytes(rng.integers(0, 256, 2000, dtype=np.uint8))
    (tmp_path / "page.parquet").write_bytes(bytes(raw))
    with pytest.raises(tk.FileReadError) as err:
        tk.compare(frame, str(tmp_path / "page.parquet"))
    _clean(str(err.value), "page.parquet")
    with pytest.raises(tk.FileReadError) as err:
        tk.read(tmp_path / "page.parquet")
    _clean(str(err.value), "page.parquet")


@pytest.mark.parametrize("sep", [";", "\t"])
def test_a_csv_with_another_separator_is_named_not_read_as_one_column(tmp_path, sep):
    frame = pd.DataFrame({"x": [1.5, 2.5], "plan": ["a", "b"]})
    frame.to_csv(tmp_path / "euro.csv", sep=sep, index=False)
    with pytest.raises(tk.FileReadError, match=r"euro.csv' looks (semicolon|tab)-separated.*sep="):
        tk.read(tmp_path / "euro.csv")
    with pytest.raises(tk.FileReadError, match=r"euro.csv' looks (semicolon|tab)-separated"):
        tk.compare(frame, str(tmp_path / "euro.csv"))


def test_csv_timestamps_come_back_as_timestamps_and_a_bad_one_keeps_the_column_text(tmp_path):
    """A CSV has no types: a time column written from Parquet must not read back as a "type change"."""
    from toolkit.io import read

    t = pd.Series(pd.date_range("2026-03-07 20:00", periods=12, freq="h", tz="America/Chicago"))  # DST switch
    kolkata = pd.Series(pd.date_range("2026-05-04", periods=12, freq="D", tz="Asia/Kolkata"))
    frame = pd.DataFrame({"when": t, "local": kolkata, "day": kolkata.dt.strftime("%Y-%m-%d"),
                          "code": ["2026-01-01x"] + ["2026-01-02"] * 11, "v": np.arange(12.0)})
    frame.to_csv(tmp_path / "p.csv", index=False)
    back = read(tmp_path / "p.csv")
    # two offsets: each instant kept, in a named zone with those offsets (local days stay local days)
    assert str(back["when"].dtype) == "datetime64[ns, America/Chicago]"
    assert (back["when"] == t).all() and (back["when"].dt.hour == t.dt.hour).all()
    assert str(back["local"].dtype) == "datetime64[ns, UTC+05:30]" and (back["local"] == kolkata).all()
    assert pd.api.types.is_datetime64_any_dtype(back["day"].dtype)
    assert not pd.api.types.is_datetime64_any_dtype(back["code"].dtype) and back["code"].iloc[0] == "2026-01-01x"  # one bad value: left as text
    assert back["v"].tolist() == list(np.arange(12.0))
