"""Reference tables: GB/T 4754-2017 industries and the statistical size classes.

Three CSV files in the repository's ``data/`` folder back this module:

- ``gbt4754_sections.csv``: the 20 sections (门类) A-T of GB/T 4754-2017 国民经济行业分类.
- ``gbt4754_divisions.csv``: the 97 divisions (大类) 01-97, each with its section.
- ``size_thresholds.csv``: the National Bureau of Statistics' 统计上大中小微型企业划分办法（2017）
  (国统字〔2017〕213号): one row per industry group, the industry codes it covers (division,
  group or class prefixes; the longest matching prefix wins) and the lower bounds, in yuan and
  persons, of the large / medium / small classes.

The standard's rule (说明 1): large, medium and small firms must meet the lower bounds of *all*
listed criteria at once (同时满足所列指标的下限), otherwise they move down one class (否则下划一档);
a micro firm need meet only one criterion (微型企业只须满足所列指标中的一项即可), i.e. a firm is
micro as soon as any criterion is below the small lower bound. :func:`classify_size` applies this to
the criteria evalkit has (employees 从业人员 and operating revenue 营业收入); where the standard
uses total assets (资产总额), which evalkit does not hold, only the remaining criterion is applied,
as each row's ``notes`` states.

``kpi_indicators.csv`` defines the performance indicators monitoring can measure
(:func:`load_kpi_indicators`): for each indicator key of ``kpi_targets``, its names, level, how it
is measured (:data:`KPI_MEASURES`), from which firm-year column, over which industry clusters, its
unit and its direction (higher or lower is better). A district with other clusters or indicators
gives its own file in the same format (the monitoring study's ``indicators``).

``departments.csv`` names the district's departments in English (:func:`department_name`), by their
short name as the ``policies`` table records it (区科委) or their full name (区科学技术委员会).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, DataError, require_columns
from evalkit.i18n import Message
from evalkit.io.schemas import SIZE_CLASSES

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

SECTIONS_FILE = "gbt4754_sections.csv"
DIVISIONS_FILE = "gbt4754_divisions.csv"
SIZE_FILE = "size_thresholds.csv"
KPI_FILE = "kpi_indicators.csv"

#: How an indicator is measured (``kpi_indicators.csv`` column ``measure``; evalkit.monitor.kpi):
#: district measures read ``firm_years`` (restricted to the ``clusters``, if any), policy measures
#: the policy's ledger rows and supported firms.
KPI_MEASURES = {
    "count_true": ("district", "firms with the true/false column `source` true in the year"),
    "sum": ("district", "the column `source` summed over firms in the year"),
    "new_true": ("district", "firms whose `source` first turned true after the baseline year, "
                             "cumulative"),
    "cluster_growth": ("district", "compound annual growth (percent a year) of `source` summed "
                                   "over the firms, since the baseline year"),
    "policy_firms": ("policy", "distinct firms the policy has paid, cumulative"),
    "policy_execution": ("policy", "disbursed / appropriated over the completed years, percent"),
    "supported_growth": ("policy", "mean year-on-year growth (percent) of `source` summed over "
                                   "the firms the policy paid, from the year after its first "
                                   "payment"),
}
KPI_DIRECTIONS = ("higher", "lower")
_KPI_COLUMNS = ("indicator", "name_zh", "name_en", "level", "measure", "source", "clusters",
                "unit_zh", "unit_en", "direction", "notes")

#: The criteria classify_size applies, in the CSV's column-name stems.
_CRITERIA = ("employees", "revenue")
_LARGE, _MEDIUM, _SMALL, _MICRO = SIZE_CLASSES


def _path(name: str | Path) -> Path:
    path = DATA_DIR / name
    if not path.is_file():
        raise ConfigError(Message("errors.reference.reference_table_found_evalkit", name=name,
                                  data_dir=DATA_DIR))
    return path


def _read(name: str | Path) -> pd.DataFrame:
    return pd.read_csv(_path(name), dtype=str, keep_default_na=False, encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _sections() -> pd.DataFrame:
    return _read(SECTIONS_FILE)


@functools.lru_cache(maxsize=1)
def _divisions() -> pd.DataFrame:
    return _read(DIVISIONS_FILE)


def load_sections() -> pd.DataFrame:
    """The 20 GB/T 4754-2017 sections: ``code, name_zh, name_en, division_first, division_last``.

    Returns a copy; the cached table is never exposed to mutation.
    """
    return _sections().copy()


def load_divisions() -> pd.DataFrame:
    """The 97 GB/T 4754-2017 divisions: ``code`` (two digits), ``section``, ``name_zh``,
    ``name_en``. Returns a copy."""
    return _divisions().copy()


@functools.lru_cache(maxsize=1)
def _division_section() -> dict[str, str]:
    d = _divisions()
    return dict(zip(d["code"], d["section"], strict=True))


def load_size_thresholds() -> pd.DataFrame:
    """The size-class table as stored: one row per industry group, thresholds in yuan / persons
    (empty where the standard does not use the criterion). Returns a copy."""
    return _size_table().copy()


@functools.lru_cache(maxsize=1)
def _size_table() -> pd.DataFrame:
    t = _read(SIZE_FILE)
    for crit in (*_CRITERIA, "assets"):
        for size in (_LARGE, _MEDIUM, _SMALL):
            col = f"{crit}_{size}"
            t[col] = pd.to_numeric(t[col].replace("", None), errors="raise").astype("float64")
    return t


def _expand_codes(spec: str) -> list[str]:
    """``"54-58 591"`` -> ``["54", "55", "56", "57", "58", "591"]``."""
    out: list[str] = []
    for token in spec.split():
        if "-" in token:
            lo, hi = token.split("-")
            if len(lo) != len(hi) or not (lo.isdigit() and hi.isdigit()):
                raise ConfigError(Message("errors.reference.bad_code_range", size_file=SIZE_FILE,
                                          token=token))
            out.extend(str(i).zfill(len(lo)) for i in range(int(lo), int(hi) + 1))
        else:
            out.append(token)
    return out


@functools.lru_cache(maxsize=1)
def _prefix_groups() -> dict[str, str]:
    """Industry-code prefix -> size group, each prefix claimed by exactly one group."""
    out: dict[str, str] = {}
    for group, spec in zip(_size_table()["group"], _size_table()["codes"], strict=True):
        for prefix in _expand_codes(spec):
            if prefix in out:
                raise ConfigError(Message("errors.reference.code_claimed", size_file=SIZE_FILE,
                                          prefix=prefix, out=out[prefix], group=group))
            out[prefix] = group
    return out


def _normalise(code: object) -> str:
    """Strip an optional leading section letter (``I6510`` -> ``6510``), checking it agrees."""
    if not isinstance(code, str):
        raise DataError(Message("errors.reference.industry_code_text", code=code),
                        column="industry_code",
                        fix=Message("errors.reference.fix_read_industry_code_column"))
    text = code.strip()
    letter = ""
    if text[:1].isalpha():
        letter, text = text[0].upper(), text[1:]
    if not (text.isdigit() and text.isascii() and 2 <= len(text) <= 4):
        raise DataError(Message("errors.reference.industry_code_gb_t", code=code),
                        column="industry_code",
                        fix=Message("errors.reference.fix_give_digit_division_digit"))
    section = _division_section().get(text[:2])
    if section is None:
        raise DataError(Message("errors.reference.industry_code_division_does", code=code,
                                text=text[:2]), column="industry_code",
                        fix=Message("errors.reference.fix_divisions_run"))
    if letter and letter != section:
        raise DataError(Message("errors.reference.industry_code_division_belongs", code=code,
                                text=text[:2], section=section, letter=letter),
                        column="industry_code")
    return text


def section_of(industry_code: str) -> str:
    """The section letter (A-T) of a 2-digit division, 3-digit group or 4-digit class code.

    Raises :class:`DataError` for a code whose division is not in GB/T 4754-2017.
    """
    _normalise(industry_code)  # type and format check before the (hashing) cache
    return _section_cached(industry_code)


@functools.lru_cache(maxsize=4096)
def _section_cached(industry_code: str) -> str:
    return _division_section()[_normalise(industry_code)[:2]]


def sections_of(codes: pd.Series | Iterable[str]) -> pd.Series:
    """Vectorised :func:`section_of`; keeps the index of a Series input."""
    s = codes if isinstance(codes, pd.Series) else pd.Series(list(codes), dtype=object)
    uniq = pd.unique(s.to_numpy(dtype=object))
    lookup = {c: _located(section_of, c, s) for c in uniq}
    return pd.Series([lookup[c] for c in s.to_numpy(dtype=object)], index=s.index,
                     dtype=object, name="section")


def _located(fn, code, s: pd.Series):
    """Call ``fn(code)``; on DataError say at which position(s) of ``s`` the code sits."""
    try:
        return fn(code)
    except DataError as err:
        where = np.flatnonzero(s.to_numpy(dtype=object) == code)[:5].tolist()
        raise err.located(column="industry_code", detail=Message(
            "errors.reference.at_positions", message=err.detail, where=where)) from None


def size_group_of(industry_code: str) -> str:
    """The size-standard group (``size_thresholds.csv`` column ``group``) of an industry code.

    The longest matching prefix wins. A code too short to decide (division 59 or 70, which the
    standard splits between groups) raises :class:`DataError` asking for the class code.
    """
    _normalise(industry_code)
    return _size_group_cached(industry_code)


@functools.lru_cache(maxsize=4096)
def _size_group_cached(industry_code: str) -> str:
    code = _normalise(industry_code)
    prefixes = _prefix_groups()
    group = None
    for n in range(len(code), 1, -1):
        group = prefixes.get(code[:n])
        if group is not None:
            break
    finer = {g for p, g in prefixes.items() if len(p) > len(code) and p.startswith(code)}
    if finer and (group is None or finer - {group}):
        groups = sorted(finer | ({group} if group else set()))
        raise DataError(Message("errors.reference.industry_code_split_size",
                                industry_code=industry_code, groups=groups),
                        column="industry_code",
                        fix=Message("errors.reference.fix_give_digit_class_code"))
    if group is None:  # every division is covered by the CSV; this guards the file's edits
        raise ConfigError(Message("errors.reference.assigns_size_group_industry",
                                  size_file=SIZE_FILE, code=code))
    return group


def _as_float(x, name: str) -> np.ndarray:
    try:
        return np.asarray(pd.to_numeric(pd.Series(np.ravel(np.asarray(x, dtype=object))),
                                        errors="raise"), dtype="float64")
    except (ValueError, TypeError) as err:
        raise DataError(Message("errors.reference.numeric", name=name, err=err), column=name) from None


def classify_size(industry_code, revenue, employees):
    """Size class per 统计上大中小微型企业划分办法（2017）: ``'large'|'medium'|'small'|'micro'``.

    Parameters
    ----------
    industry_code : str or array-like of str, shape (n,) or scalar
        GB/T 4754-2017 class (4-digit) or division (2-digit) code, optionally prefixed by the
        section letter.
    revenue : float or array-like, shape (n,) or scalar
        Operating revenue (营业收入) in **yuan**.
    employees : float or array-like, shape (n,) or scalar
        Employees (从业人员), persons.

    Scalars broadcast against arrays. Returns a ``str`` when every input is a scalar, a Series
    (index of the first Series input) when any input is a Series, else an object ndarray.

    Large, medium and small need every applied criterion at or above its lower bound; anything
    else is micro. A criterion the group uses that is missing (NaN) or negative raises
    :class:`DataError`; an unknown division raises :class:`DataError`.
    """
    scalar = all(np.ndim(x) == 0 and not isinstance(x, pd.Series)
                 for x in (industry_code, revenue, employees))
    index = next((x.index for x in (industry_code, revenue, employees)
                  if isinstance(x, pd.Series)), None)
    codes_arr = np.ravel(np.asarray(industry_code, dtype=object))
    rev = _as_float(revenue, "revenue")
    emp = _as_float(employees, "employees")
    try:
        codes_arr, rev, emp = np.broadcast_arrays(codes_arr, rev, emp)
    except ValueError:
        raise DataError(Message("errors.reference.industry_code_revenue_employees",
                                size=codes_arr.size, size_2=rev.size, size_3=emp.size)) from None
    codes_s = pd.Series(codes_arr, dtype=object)
    uniq = pd.unique(codes_arr)
    group_of = {c: _located(size_group_of, c, codes_s) for c in uniq}
    groups = np.array([group_of[c] for c in codes_arr], dtype=object)

    table = _size_table().set_index("group")
    values = {"employees": emp, "revenue": rev}
    out = np.full(codes_arr.shape, _MICRO, dtype=object)
    for group in pd.unique(groups):
        rows = groups == group
        row = table.loc[group]
        used = [c for c in _CRITERIA if not np.isnan(row[f"{c}_{_SMALL}"])]
        for crit in used:
            v = values[crit][rows]
            bad = np.isnan(v) | (v < 0)
            if bad.any():
                pos = np.flatnonzero(rows)[bad][:5].tolist()
                raise DataError(Message("errors.reference.missing_negative_position_size",
                                        crit=crit, pos=pos, group=group, name_zh=row['name_zh']),
                                column=crit)
        # Walk up from small: a firm reaches a class only if every applied criterion does.
        level = np.full(int(rows.sum()), 0)  # 0 micro, 1 small, 2 medium, 3 large
        for rank, size in ((1, _SMALL), (2, _MEDIUM), (3, _LARGE)):
            meets = np.ones(int(rows.sum()), dtype=bool)
            for crit in used:
                meets &= values[crit][rows] >= row[f"{crit}_{size}"]
            level = np.where(meets, rank, level)
        names = np.array([_MICRO, _SMALL, _MEDIUM, _LARGE], dtype=object)
        out[rows] = names[level]
    if scalar:
        return str(out[0])
    if index is not None:
        if len(index) != out.size:
            index = None
        return pd.Series(out, index=index, dtype=object, name="size_class")
    return out


def load_kpi_indicators(path: str | Path | None = None) -> pd.DataFrame:
    """The indicator definitions: ``indicator, name_zh, name_en, level, measure, source,
    clusters, unit_zh, unit_en, direction, notes`` (``clusters`` a tuple of cluster codes, empty
    for all firms). ``path`` is a district's own table in the format of ``data/kpi_indicators.csv``
    (default: that file). Returns a copy; a malformed table raises :class:`ConfigError` naming
    the row and column."""
    if path is None:
        return _kpi_default().copy()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(Message("errors.reference.indicator_table_found", path=path))
    return _kpi_checked(_read(path.resolve()), path.name)


@functools.lru_cache(maxsize=1)
def _kpi_default() -> pd.DataFrame:
    return _kpi_checked(_read(KPI_FILE), KPI_FILE)


def _kpi_checked(t: pd.DataFrame, name: str) -> pd.DataFrame:
    require_columns(t, _KPI_COLUMNS, Message("labels.table.indicators"), file=name)
    t = t[list(_KPI_COLUMNS)].apply(lambda c: c.str.strip())

    def bad(i: int, col: str, problem: Message) -> ConfigError:
        return ConfigError(Message("errors.reference.kpi_row", name=name, row=i + 2, column=col,
                                   problem=problem))

    seen: set[str] = set()
    for i, r in enumerate(t.itertuples(index=False)):
        if not r.indicator or r.indicator in seen:
            raise bad(i, "indicator",
                      Message("errors.reference.kpi.indicator", indicator=r.indicator))
        seen.add(r.indicator)
        if r.measure not in KPI_MEASURES:
            raise bad(i, "measure", Message("errors.reference.kpi.measure", measure=r.measure,
                                            measures=", ".join(KPI_MEASURES)))
        if r.level != KPI_MEASURES[r.measure][0]:
            raise bad(i, "level", Message("errors.reference.kpi.level", measure=r.measure,
                                          level=KPI_MEASURES[r.measure][0], given=r.level))
        if r.direction not in KPI_DIRECTIONS:
            raise bad(i, "direction",
                      Message("errors.reference.kpi.direction", direction=r.direction))
        if r.measure not in ("policy_firms", "policy_execution") and not r.source:
            raise bad(i, "source", Message("errors.reference.kpi.source", measure=r.measure))
        if not (r.unit_zh and r.unit_en and r.name_zh and r.name_en):
            raise bad(i, "name_zh/name_en/unit_zh/unit_en", Message("errors.reference.kpi.names"))
    return t.assign(clusters=[tuple(c.split()) for c in t["clusters"]])


# ----------------------------------------------------------------------------- departments

DEPARTMENTS_FILE = "departments.csv"


@functools.lru_cache(maxsize=1)
def _departments() -> dict[str, str]:
    table = _read(DEPARTMENTS_FILE)
    out = {}
    for row in table.itertuples(index=False):
        out[row.name_zh.strip()] = row.name_en.strip()
        out[row.full_zh.strip()] = row.name_en.strip()
    return out


def department_name(name: object, lang: str) -> str:
    """A department's name in ``lang``: as recorded for Chinese; for English, its name in
    ``departments.csv`` (short ``name_zh`` such as 区科委 or full ``full_zh``), else the name as
    recorded (a department the table does not know)."""
    text = "" if name is None else str(name)
    if lang != "en":
        return text
    return _departments().get(text.strip(), text)
