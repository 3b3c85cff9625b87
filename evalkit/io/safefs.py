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
#: Called once with (English, Chinese) text when a writer has to wait for another; the CLI
#: prints it. ``None``: wait silently.
waiting_notice: Callable[[str, str], None] | None = None

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
        waiting_notice(f"waiting: {store} is in use by another process",
                       f"等待中：{store} 正被另一个进程使用")


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
                      what: str, what_zh: str) -> None:
    """Refuse to write ``path`` over an input (``protect``), a folder, or a file evalkit did not
    write (``owned`` says whether an existing file is evalkit's)."""
    if path.is_dir():
        raise DataError(f"the {what} path is a folder", file=str(path),
                        fix="give a file name", zh=f"{what_zh}路径是文件夹", fix_zh="请指定文件名")
    if not path.exists():
        return
    for p in protect:
        with contextlib.suppress(OSError):
            if p.exists() and os.path.samefile(p, path):
                raise DataError(f"the {what} would overwrite an input file", file=str(path),
                                fix="give a new file name",
                                zh=f"{what_zh}会覆盖一个输入文件", fix_zh="请指定一个新文件名")
    if not owned(path):
        raise DataError(f"the {what} would overwrite a file evalkit did not write",
                        file=str(path), fix="give a new file name, or move the file away yourself",
                        zh=f"{what_zh}会覆盖一个并非由 evalkit 写出的文件",
                        fix_zh="请指定一个新文件名，或自行移走该文件")


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


_OS_FAULTS = {
    errno.ENOSPC: ("no space left on the device", "磁盘空间不足",
                   "free some space or write elsewhere", "请释放磁盘空间或改写到其他位置"),
    errno.EDQUOT: ("disk quota exceeded", "超出磁盘配额",
                   "free some space or write elsewhere", "请释放磁盘空间或改写到其他位置"),
    errno.EROFS: ("the file system is read-only", "文件系统为只读",
                  "write to a folder you can write to", "请写入一个有写权限的文件夹"),
    errno.EACCES: ("permission denied", "没有访问权限",
                   "check the permissions, or choose another path", "请检查权限，或改用其他路径"),
    errno.EPERM: ("operation not permitted", "操作不被允许",
                  "check the permissions, or choose another path", "请检查权限，或改用其他路径"),
    errno.EISDIR: ("is a folder where a file is expected", "是文件夹，此处需要文件",
                   "give a file", "请指定一个文件"),
    errno.ENOTDIR: ("a part of the path is not a folder", "路径中有一部分不是文件夹",
                    "check the path", "请检查路径"),
    errno.ENOENT: ("no such file or folder", "文件或文件夹不存在",
                   "check the path", "请检查路径"),
    errno.EEXIST: ("already exists", "已存在", "give a new name, or move it away",
                   "请指定新名称，或移走已有的文件"),
    errno.ENAMETOOLONG: ("the file name is too long", "文件名过长", "give a shorter name",
                         "请使用较短的名称"),
}
#: DuckDB reports the operating system's message inside its own text.
_DUCK_OS_TEXT = {"No space left on device": errno.ENOSPC, "Disk quota exceeded": errno.EDQUOT,
                 "Read-only file system": errno.EROFS, "Permission denied": errno.EACCES,
                 "Is a directory": errno.EISDIR, "Not a directory": errno.ENOTDIR,
                 "No such file or directory": errno.ENOENT}


def _os_fault(code: int | None, file: str | None, detail: str) -> DataError:
    en, zh, fix, fix_zh = _OS_FAULTS.get(code, (f"cannot read or write ({detail})",
                                                f"无法读写（{detail}）",
                                                "check the path and the disk", "请检查路径和磁盘"))
    return DataError(en, file=file, fix=fix, zh=zh, fix_zh=fix_zh)


def environment_error(exc: BaseException, path: str | Path | None = None,
                      name_path: bool = False) -> DataError | None:
    """The one-line :class:`DataError` for a fault of the environment (``OSError``, DuckDB's
    I/O errors and lock conflicts), or ``None`` if ``exc`` is not one. It names the file the
    error names, else ``path`` (``name_path``: ``path`` always, e.g. a store, not its copy)."""
    if name_path and path is not None:
        fault = environment_error(exc)
        if fault is not None:
            return DataError(fault.message, file=str(path), fix=fault.fix, zh=fault.message_zh,
                             fix_zh=fault.fix_zh)
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
