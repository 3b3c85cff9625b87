"""Safe writes: one writer per warehouse, atomic replacement, nothing deleted that evalkit did not
write, and faults of the file system reported as bad input.

* :func:`store_lock` - an exclusive ``flock`` on the sibling file ``<store>.lock`` (deleted on
  release), held for the whole of a write to a warehouse (an ingest, a review). A second writer
  waits (told once through :data:`waiting_notice`) for at most :func:`lock_wait` seconds, then
  fails (exit 2).
* :func:`connect` - ``duckdb.connect`` that waits, within the same bound, while another process
  holds DuckDB's own file lock (a reader while a review is written, or the reverse).
* :func:`checkpoint` - folds a write-ahead log left by a crashed writer into the main file, so
  that a copy of the main file holds every committed row.
* :func:`sweep_temps` - deletes the temporary copies killed ingests left next to the store.
* :func:`atomic_write_bytes` - a file written to a sibling temporary file and renamed over the
  target (permissions of a replaced file kept, the temporary file deleted on failure).
* :func:`claim_dir` / :func:`replace_dir` - an output folder is new, empty or carries evalkit's
  marker; a folder evalkit wrote is replaced by writing a sibling and renaming it.
* :func:`environment_faults` - ``OSError`` and DuckDB's I/O errors (read-only or full disk,
  permissions, a lock held elsewhere) become one-line :class:`~evalkit.errors.DataError` s.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from evalkit.errors import DataError
from evalkit.i18n import Message

#: The file evalkit writes into every output folder it creates (``evalkit demo``, ``synth``).
MARKER = ".evalkit-output"
DEFAULT_LOCK_WAIT = 300.0
#: Called once with the message (``.text(lang)``) when a writer has to wait for another; the
#: CLI prints it. ``None``: wait silently.
waiting_notice: Callable[[Message], None] | None = None

_held = threading.local()
_DUCK_MAGIC = b"DUCK"


def lock_wait() -> float:
    """Seconds a writer waits for another (``EVALKIT_LOCK_WAIT``, default 300)."""
    try:
        return max(0.0, float(os.environ.get("EVALKIT_LOCK_WAIT", DEFAULT_LOCK_WAIT)))
    except ValueError:
        return DEFAULT_LOCK_WAIT


def lock_path(store: Path) -> Path:
    return store.with_name(store.name + ".lock")


def _busy(store: Path, waited: float) -> DataError:
    return DataError(Message("errors.io.safefs.another_evalkit_process_writing", waited=waited,
                             name=lock_path(store).name), file=str(store),
                     fix=Message("errors.io.safefs.fix_wait_until_finished_run"))


def _notify_wait(store: Path) -> None:
    if waiting_notice is not None:
        waiting_notice(Message("errors.io.safefs.waiting", store=store))


def _acquire(path: Path) -> int | None:
    """The descriptor of ``path`` locked exclusively, or ``None`` if another process holds it.
    The lock file is deleted on release, so a lock taken on a file that was meanwhile deleted
    (or replaced) does not count: the inode locked must still be the one at ``path``."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    try:
        current = os.stat(path).st_ino
    except FileNotFoundError:
        current = None
    if current != os.fstat(fd).st_ino:
        os.close(fd)
        return _acquire(path)
    return fd


@contextlib.contextmanager
def store_lock(store: str | Path, wait: float | None = None) -> Iterator[None]:
    """Hold the exclusive write lock of ``store`` (re-entrant within a thread): ``flock`` on
    ``<store>.lock``, which is deleted again on release."""
    store = Path(store).absolute()
    held: set = _held.__dict__.setdefault("paths", set())
    if store in held:
        yield
        return
    store.parent.mkdir(parents=True, exist_ok=True)
    path = lock_path(store)
    limit = lock_wait() if wait is None else wait
    start, told = time.monotonic(), False
    while (fd := _acquire(path)) is None:
        waited = time.monotonic() - start
        if waited >= limit:
            raise _busy(store, waited)
        if not told:
            _notify_wait(store)
            told = True
        time.sleep(0.02)
    held.add(store)
    try:
        yield
    finally:
        held.discard(store)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()   # still locked: a waiting process re-checks the inode it locked
        os.close(fd)


def _lock_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def connect(store: str | Path, read_only: bool, wait: float | None = None
            ) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, waiting while another process holds the file (bounded). Raises the
    :class:`DataError` of :func:`environment_error` for a file that cannot be opened."""
    store = Path(store)
    check_store_file(store)
    limit = lock_wait() if wait is None else wait
    start, told = time.monotonic(), False
    while True:
        try:
            return duckdb.connect(str(store), read_only=read_only)
        except duckdb.Error as exc:
            waited = time.monotonic() - start
            if _lock_conflict(exc) and waited < limit:
                if not told:
                    _notify_wait(store)
                    told = True
                time.sleep(0.02)
                continue
            fault = environment_error(exc, store)
            if fault is not None:
                raise fault from None
            raise DataError(Message("errors.common.cannot_open_warehouse", exc=exc),
                            file=str(store),
                            fix=Message("errors.io.safefs.fix_give_duckdb_file_written_2")) from None


def check_store_file(store: Path) -> None:
    """A warehouse path must be absent, empty or a DuckDB file (never a folder, a CSV, ...)."""
    if not store.exists():
        return
    if not store.is_file():
        raise DataError(Message("errors.io.safefs.warehouse_path_file"), file=str(store),
                        fix=Message("errors.io.safefs.fix_give_duckdb_file_name"))
    with open(store, "rb") as f:
        head = f.read(12)
    if head and head[8:12] != _DUCK_MAGIC:
        raise DataError(Message("errors.io.safefs.duckdb_warehouse_file_holds"), file=str(store),
                        fix=Message("errors.io.safefs.fix_give_duckdb_file_written"))


def wal_path(store: Path) -> Path:
    return store.with_name(store.name + ".wal")


def checkpoint(store: Path) -> None:
    """Fold ``<store>.wal`` (left by a writer that stopped after a commit) into the store. Call
    under :func:`store_lock`, before copying the store."""
    if store.is_file() and wal_path(store).exists():
        con = connect(store, read_only=False)
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()


def temp_name(target: Path, suffix: str = ".tmp") -> Path:
    """A fresh hidden sibling of ``target``: ``.<name>.<random>.tmp``."""
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}{suffix}")


def sweep_temps(store: Path) -> list[Path]:
    """Delete the temporary copies of ``store`` (and their logs) that killed writers left;
    call under :func:`store_lock`. Returns what was deleted."""
    pattern = re.compile(re.escape(f".{store.name}.") + r"[0-9a-z_]+\.tmp(\.wal)?")
    gone = []
    if store.parent.is_dir():
        for p in store.parent.iterdir():
            if pattern.fullmatch(p.name) and p.is_file():
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
                    gone.append(p)
    return gone


def keep_mode(previous: Path, new: Path) -> None:
    """Give ``new`` the permission bits of ``previous`` if that exists."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(new, previous.stat().st_mode & 0o7777)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to a sibling temporary file, flush it to disk and rename it onto ``path``
    (a replaced file keeps its permissions; a new one gets the umask's). On failure the
    temporary file is deleted and ``path`` is untouched."""
    path = Path(path)
    tmp = temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        keep_mode(path, tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(exc, OSError):   # named after the file written, not the temporary one
            raise type(exc)(exc.errno, exc.strerror, str(path)) from exc
        raise
    return path


def check_replaceable(path: Path, protect: list[Path], owned: Callable[[Path], bool],
                      what: Message) -> None:
    """Refuse to write ``path`` over an input (``protect``), a folder, or a file evalkit did not
    write (``owned`` says whether an existing file is evalkit's); ``what`` names the file."""
    if path.is_dir():
        raise DataError(Message("errors.io.safefs.path_is_folder", what=what), file=str(path),
                        fix=Message("errors.io.safefs.fix_give_file_name"))
    if not path.exists():
        return
    for p in protect:
        with contextlib.suppress(OSError):
            if p.exists() and os.path.samefile(p, path):
                raise DataError(Message("errors.io.safefs.would_overwrite_input", what=what),
                                file=str(path),
                                fix=Message("errors.io.safefs.fix_give_new_file_name"))
    if not owned(path):
        raise DataError(Message("errors.io.safefs.would_overwrite_foreign", what=what),
                        file=str(path), fix=Message("errors.io.safefs.fix_new_name_or_move"))


def _not_ours(path: Path) -> DataError:
    return DataError(Message("errors.io.safefs.output_folder_empty_written"), file=str(path),
                     fix=Message("errors.io.safefs.fix_give_new_empty_folder"))


def _check_folder(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise DataError(Message("errors.io.safefs.output_path_folder"), file=str(path),
                        fix=Message("errors.common.fix_give_folder_name"))


def claim_dir(path: str | Path, command: str) -> Path:
    """Make ``path`` an output folder of ``evalkit <command>``: it must be new, empty or hold
    :data:`MARKER` (written by an earlier run); the marker is written into it."""
    path = Path(path).absolute()
    _check_folder(path)
    if path.is_dir() and not (path / MARKER).is_file() and any(path.iterdir()):
        raise _not_ours(path)
    path.mkdir(parents=True, exist_ok=True)
    if not (path / MARKER).is_file():
        atomic_write_bytes(path / MARKER, f"written by evalkit {command}\n".encode())
    return path


def replace_dir(out: str | Path, fill: Callable[[Path], None],
                owned: Callable[[Path], bool]) -> Path:
    """Write a folder at ``out``: ``fill(tmp)`` writes a sibling temporary folder, which is then
    renamed to ``out``. ``out`` must be absent, empty, or a folder ``owned`` says evalkit wrote
    (it is replaced whole). On failure the temporary folder is deleted and ``out`` untouched."""
    out = Path(out).absolute()
    _check_folder(out)
    full = out.is_dir() and any(out.iterdir())
    if full and not owned(out):
        raise _not_ours(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(out)
    try:
        os.mkdir(tmp, 0o777)
        fill(tmp)
        keep_mode(out, tmp)
        if full:
            old = temp_name(out, ".old")
            os.replace(out, old)
            try:
                os.replace(tmp, out)
            except BaseException:
                os.replace(old, out)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):   # named after the folder written, not the temporary one
            raise type(exc)(exc.errno, exc.strerror, str(out)) from exc
        raise
    return out


#: Each errno's message and fix.
_OS_FAULTS = {
    errno.ENOSPC: (Message("errors.io.safefs.os.no_space"),
                  Message("errors.io.safefs.os.fix_free_space")),
    errno.EDQUOT: (Message("errors.io.safefs.os.quota"),
                  Message("errors.io.safefs.os.fix_free_space")),
    errno.EROFS: (Message("errors.io.safefs.os.read_only"),
                 Message("errors.io.safefs.os.fix_writable_folder")),
    errno.EACCES: (Message("errors.io.safefs.os.permission"),
                  Message("errors.io.safefs.os.fix_permissions")),
    errno.EPERM: (Message("errors.io.safefs.os.not_permitted"),
                 Message("errors.io.safefs.os.fix_permissions")),
    errno.EISDIR: (Message("errors.io.safefs.os.is_folder"),
                  Message("errors.io.safefs.os.fix_give_file")),
    errno.ENOTDIR: (Message("errors.io.safefs.os.not_folder"),
                   Message("errors.io.safefs.os.fix_check_path")),
    errno.ENOENT: (Message("errors.io.safefs.os.no_such_file"),
                  Message("errors.io.safefs.os.fix_check_path")),
    errno.EEXIST: (Message("errors.io.safefs.os.exists"),
                  Message("errors.io.safefs.os.fix_new_name")),
    errno.ENAMETOOLONG: (Message("errors.io.safefs.os.name_too_long"),
                        Message("errors.io.safefs.os.fix_shorter_name")),
}
#: DuckDB reports the operating system's message inside its own text.
_DUCK_OS_TEXT = {"No space left on device": errno.ENOSPC, "Disk quota exceeded": errno.EDQUOT,
                 "Read-only file system": errno.EROFS, "Permission denied": errno.EACCES,
                 "Is a directory": errno.EISDIR, "Not a directory": errno.ENOTDIR,
                 "No such file or directory": errno.ENOENT}


def _os_fault(code: int | None, file: str | None, detail: str) -> DataError:
    if code not in _OS_FAULTS:
        return DataError(Message("errors.io.safefs.os.cannot_read_write", detail=detail),
                         file=file, fix=Message("errors.io.safefs.os.fix_check_path_disk"))
    what, fix = _OS_FAULTS[code]
    return DataError(Message("errors.io.safefs.os_fault", fault=what), file=file,
                     fix=Message("errors.io.safefs.os_fault", fault=fix))


def environment_error(exc: BaseException, path: str | Path | None = None,
                      name_path: bool = False) -> DataError | None:
    """The one-line :class:`DataError` for a fault of the environment (``OSError``, DuckDB's
    I/O errors and lock conflicts), or ``None`` if ``exc`` is not one. It names the file the
    error names, else ``path`` (``name_path``: ``path`` always, e.g. a store, not its copy)."""
    if name_path and path is not None:
        fault = environment_error(exc)
        if fault is not None:
            return fault.located(file=str(path))
        return None
    if isinstance(exc, OSError):
        file = exc.filename if exc.filename is not None else path
        return _os_fault(exc.errno, None if file is None else str(file),
                         exc.strerror or str(exc))
    if not isinstance(exc, duckdb.Error):
        return None
    text = str(exc)
    quoted = re.search(r'"([^"]+)"', text)
    file = quoted.group(1) if quoted else (None if path is None else str(path))
    if _lock_conflict(exc):
        pid = re.search(r"PID (\d+)", text)
        who = f" (PID {pid.group(1)})" if pid else ""
        return DataError(Message("errors.io.safefs.warehouse_use_another_process", who=who),
                         file=file, fix=Message("errors.io.safefs.fix_wait_until_finished_run"))
    for phrase, code in _DUCK_OS_TEXT.items():
        if phrase in text:
            return _os_fault(code, file, phrase)
    if isinstance(exc, duckdb.IOException):
        return _os_fault(None, file, text)
    return None


@contextlib.contextmanager
def environment_faults() -> Iterator[None]:
    """Turn the faults of :func:`environment_error` raised inside into :class:`DataError`."""
    try:
        yield
    except (OSError, duckdb.Error) as exc:
        fault = environment_error(exc)
        if fault is None:
            raise
        raise fault from exc
