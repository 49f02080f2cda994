"""A small on-disk cache of computed results, shared by the processes of one report run.

``toolkit report FOLDER`` runs each template in its own kernel, and several of them ask for the same
statistics (the health verdict's). :func:`cached` computes a value once per key and lets every other
process load it: the first process to ask holds a file lock while it computes, the others wait on
the lock and then read the stored result instead of computing it again.

The key is a fingerprint of everything the value depends on (see :func:`model_fingerprint`): the
model's ``model.yaml`` content, each data file's path, size and modification time, the contract and
model files, the toolkit's version and its source files' modification times. A changed or new data
file changes the key, so a stale result is never read. Sources that are not files (a DuckDB or Spark
table) cannot be fingerprinted cheaply: nothing is cached for them.

The cache lives in ``$XDG_CACHE_HOME/toolkit/results`` (``~/.cache/toolkit/results`` by default);
``TOOLKIT_CACHE=off`` turns it off. Only the newest entries are kept (:data:`KEEP` per namespace).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
from pathlib import Path

__all__ = ["cache_dir", "cached", "in_report_run", "model_fingerprint"]

#: entries kept per namespace; older ones are deleted when a new one is written
KEEP = 24


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is off (``TOOLKIT_CACHE=off``)."""
    if os.environ.get("TOOLKIT_CACHE", "").strip().lower() in ("0", "off", "no", "false"):
        return None
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "toolkit"


def in_report_run() -> bool:
    """True in the processes of a ``toolkit report`` run (the CLI and its kernels, marked
    ``TOOLKIT_REPORT_KERNEL=1``): there several processes ask for the same frames, so sharing them on disk
    pays; an analyst's own session computes them in memory and leaves no frame-sized file behind."""
    return os.environ.get("TOOLKIT_REPORT_KERNEL", "") == "1"


_CODE_STAMP: list = []


def _code_stamp() -> str:
    """The toolkit's version and its source files' newest modification time (an edited toolkit recomputes)."""
    if not _CODE_STAMP:
        from . import __version__

        root = Path(__file__).parent
        newest = max((p.stat().st_mtime_ns for p in root.rglob("*.py")), default=0)
        _CODE_STAMP.append(f"{__version__}:{newest}")
    return _CODE_STAMP[0]


def _file_state(path: Path) -> list:
    from .io import expand_paths

    files = expand_paths(path)
    out = []
    for f in files:
        st = f.stat()
        out.append([str(f.resolve()), st.st_size, st.st_mtime_ns])
    return out


def model_fingerprint(cfg, *extra) -> str | None:
    """A hex digest of a :class:`~toolkit.ModelConfig`'s inputs (and ``extra``), or None if they are not all files.

    Covers the config's content, every data file (path, size, modification time), the contract and model
    files, and the toolkit's code (:func:`_code_stamp`). None when an input is a table or cannot be listed.
    """
    from .io import source_kind

    state: dict = {"config": cfg.to_dict(), "root": str(Path(cfg.root).resolve()), "code": _code_stamp(),
                   "extra": [repr(e) for e in extra]}
    for key in ("baseline", "production", "labels", "contract", "model"):
        text = getattr(cfg, key, None)
        if text is None:
            continue
        if source_kind(str(text)) != "files":
            return None
        path = cfg.path(str(text))
        if key in ("contract", "model"):
            try:
                st = path.stat()
                state[key] = [str(path.resolve()), st.st_size, st.st_mtime_ns]
            except OSError:
                state[key] = None
            continue
        try:
            state[key] = _file_state(path)
        except (OSError, ValueError, TypeError):
            return None
    text = json.dumps(state, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on ``path`` (blocks while another process holds it); a no-op where flock is missing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no cross-process coordination, only the atomic write
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prune(folder: Path, namespace: str, keep: int = KEEP) -> None:
    entries = sorted(folder.glob(f"{namespace}-*.pkl"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[keep:]:
        for p in (old, old.with_suffix(".lock")):
            with contextlib.suppress(OSError):
                p.unlink()


def cached(namespace: str, key: str | None, compute, keep: int = KEEP):
    """``compute()``'s value, computed once per ``(namespace, key)`` across processes; ``key`` None: not cached.
    The newest ``keep`` entries of the namespace are kept (fewer for large values).

    The first caller computes under a lock and stores the value (pickled, written atomically); callers that
    come meanwhile wait for it, later callers read it. An unreadable entry is recomputed. Errors of
    ``compute`` propagate and store nothing.

    Examples
    --------
    >>> cached("example", None, lambda: 41 + 1)     # no key: computed, not stored
    42
    """
    folder = cache_dir()
    if key is None or folder is None:
        return compute()
    try:
        folder = folder / "results"
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return compute()
    entry = folder / f"{namespace}-{key}.pkl"
    with _locked(entry.with_suffix(".lock")):
        if entry.is_file():
            try:
                with open(entry, "rb") as handle:
                    value = pickle.load(handle)
                os.utime(entry)  # recently used: pruned last
                return value
            except Exception:  # noqa: BLE001 - a truncated or outdated entry is recomputed, never trusted
                with contextlib.suppress(OSError):
                    entry.unlink()
        value = compute()
        tmp = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, entry)
        except Exception:  # noqa: BLE001 - an unpicklable value or a full disk only loses the caching
            with contextlib.suppress(OSError):
                tmp.unlink()
            return value
    with contextlib.suppress(OSError):
        _prune(folder, namespace, keep)
    return value
