"""Every printed number of published SPSS output, reproduced by :mod:`analysis.stats`.

The SPSS output and the data it was computed from are not part of the repository: they live in
``../shared/spss_reference`` relative to the repository root (its README.md names the sources:
the HELP-study lessons and answer keys of M. Higgins, a small SPSS exercise, and the SPSS
reference output of the mariposa R package). The module skips when that folder is absent.

Expected numbers are read from the SPSS files at test time. This module only encodes where each
table is (the syntax command it follows), which function call produces it, and which row of our
tidy result belongs to each printed cell. Every numeric cell of a compared table must be mapped:
an unknown row or column label fails the test, so no printed number is skipped silently.

A number matches when our value, rounded as SPSS rounds (half away from zero) to the number of
decimals SPSS printed, gives the same text. SPSS drops the leading zero (``.034``, ``-.253``) and
prints ``.000`` for p < .0005; footnote markers (``[a]``, ``(a)``) are ignored. Percentages of
the Crosstabulation are derived here from our counts; everything else is a row of our result.

Not compared (SPSS features the functions do not produce): Iteration History, Variables not in
the Equation (score tests), Model if Term Removed, Case Processing Summary, Descriptive
Statistics/Descriptives, and the mariposa runs under WEIGHT BY (the weighting variable is not
part of the shared data).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from scipy import stats

from analysis.stats import crosstab, logistic_regression, mann_whitney, normality_table

REPO = Path(__file__).resolve().parent.parent
REF = REPO.parent / "shared" / "spss_reference"
OUT = REF / "spss_output"
DATA = REF / "data"

if not (OUT.is_dir() and DATA.is_dir()):
    pytest.skip(f"SPSS reference output not found: expected {REF} (../shared/spss_reference "
                "relative to the repository root, with data/ and spss_output/)",
                allow_module_level=True)


# =============================================================================================
# comparing at the printed precision
# =============================================================================================

_MARKER = re.compile(r"\[[a-z*]\]|\([a-z*]\)")


def printed_number(text: str) -> tuple[str, int] | None:
    """The number SPSS printed, without footnote markers and %, and its decimals."""
    t = _MARKER.sub("", text.strip()).rstrip("*").rstrip("%").strip()
    if not re.fullmatch(r"-?\d*\.?\d+", t):
        return None
    return t, (len(t.split(".")[1]) if "." in t else 0)


def spss_format(value: float, decimals: int) -> str:
    """``value`` as SPSS prints it with ``decimals`` decimals (half away from zero, no 0.)."""
    q = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals),
                                             rounding=ROUND_HALF_UP)
    text = f"{q:f}"
    if set(text) <= set("-0."):
        text = text.lstrip("-")
    if text.startswith("0."):
        text = text[1:]
    elif text.startswith("-0."):
        text = "-" + text[2:]
    return text


@dataclass
class Check:
    """Collects comparisons of one SPSS table; :meth:`done` fails listing every mismatch."""

    where: str
    n: int = 0
    bad: list[str] = field(default_factory=list)

    def num(self, label: str, printed: str, ours: float | None) -> None:
        parsed = printed_number(printed)
        if parsed is None:
            if printed.strip():
                raise AssertionError(f"{self.where}: {label}: cannot read {printed!r}")
            return
        text, decimals = parsed
        self.n += 1
        if ours is None or not math.isfinite(ours):
            self.bad.append(f"{label}: SPSS {text}, ours {ours!r}")
            return
        got = spss_format(ours, decimals)
        if got != text:
            self.bad.append(f"{label}: SPSS {text}, ours {got} ({ours!r})")

    def lower_bound(self, label: str, printed: str, ours: float) -> None:
        """SPSS's ``.200*``: the true significance is above .200."""
        self.n += 1
        if not ours > 0.2:
            self.bad.append(f"{label}: SPSS {printed.strip()} (p > .2), ours {ours!r}")

    def done(self) -> int:
        if self.n == 0:
            pytest.fail(f"{self.where}: no number compared (table not parsed?)", pytrace=False)
        if self.bad:
            pytest.fail(f"{self.where}: {len(self.bad)} of {self.n} printed numbers differ:\n  "
                        + "\n  ".join(self.bad), pytrace=False)
        return self.n


def value(res: pd.DataFrame, statistic: str, term: str = "", column: str = "value") -> float:
    hit = res[(res["statistic"] == statistic) & (res["term"] == term)]
    assert len(hit) == 1, f"{statistic!r}/{term!r}: {len(hit)} rows"
    return float(hit.iloc[0][column])


# =============================================================================================
# reading the SPSS output
# =============================================================================================


@dataclass
class Table:
    title: str
    rows: list[list[str]]
    footnotes: list[str]


@cache
def csv_rows(name: str) -> tuple[tuple[str, ...], ...]:
    with (OUT / name).open(encoding="utf-8-sig", newline="") as fh:
        return tuple(tuple(r) for r in csv.reader(fh))


def find_table(name: str, title: str, after: str, occurrence: int = 0, nth: int = 0) -> Table:
    """The ``nth`` table titled ``title`` after the ``occurrence``-th line containing ``after``.

    ``after`` is a piece of the SPSS syntax that produced the table (the output files start
    every procedure with its syntax).
    """
    rows = csv_rows(name)
    hits = [i for i, r in enumerate(rows) if after in ",".join(r)]
    assert len(hits) > occurrence, f"{name}: syntax {after!r} not found"
    i = hits[occurrence] + 1
    seen = 0
    while i < len(rows):
        r = rows[i]
        if r and r[0].startswith("Table: ") and _MARKER.sub("", r[0][7:]).strip() == title:
            if seen == nth:
                body, notes = [], []
                for r2 in rows[i + 1:]:
                    if not r2:
                        break
                    if r2[0].startswith("Footnote: "):
                        notes.append(r2[0][10:])
                    elif not r2[0].startswith("Layer: "):
                        body.append(list(r2))
                return Table(title, body, notes)
            seen += 1
        i += 1
    raise AssertionError(f"{name}: table {title!r} #{nth} after {after!r} not found")


def clean(label: str) -> str:
    return _MARKER.sub("", label).strip()


@cache
def helpmkh() -> pd.DataFrame:
    d = pd.read_csv(DATA / "helpmkh_subset.csv")
    # COMPUTE nodetox=MISSING(e2b) (Homework 6)
    d["nodetox"] = d["e2b"].isna().astype(int)
    # COMPUTE nmiss_pcs=nmiss(pcs,...,pcs4); COMPUTE pcs_nonemissing=nmiss_pcs < 1 (Lesson 22)
    d["pcs_nonemissing"] = (d[["pcs", "pcs1", "pcs2", "pcs3", "pcs4"]].isna().sum(axis=1)
                            < 1).astype(int)
    # COMPUTE diff_pcs_bl_1=pcs - pcs1 (Lesson 21)
    d["diff_pcs_bl_1"] = d["pcs"] - d["pcs1"]
    return d


# =============================================================================================
# CROSSTABS
# =============================================================================================

CHI_ROWS = {  # SPSS row label -> (our asymptotic row, exact row, exact one-sided row)
    "Pearson Chi-Square": ("pearson_chi2", "pearson_chi2_exact", "pearson_chi2_exact_one_sided"),
    "Continuity Correction": ("yates_chi2", None, None),
    "Likelihood Ratio": ("likelihood_ratio", "likelihood_ratio_exact",
                         "likelihood_ratio_exact_one_sided"),
    "Linear-by-Linear Association": ("linear_by_linear", "linear_by_linear_exact",
                                     "linear_by_linear_exact_one_sided"),
}
FOOT_EXPECTED = re.compile(r"(\d+) cells \(([\d.]+)%\) have expected count less than 5\. "
                           r"The minimum expected count is ([\d.]+)\.")
FOOT_STANDARDIZED = re.compile(r"The standardized statistic is (-?[\d.]+)\.")


def check_chi_square_row(ck: Check, res: pd.DataFrame, label: str, cells: dict[str, str],
                         is_2x2: bool, exact: bool) -> None:
    """One row of SPSS's Chi-Square Tests table; ``cells`` maps column header -> text."""
    def col(*names: str) -> str:
        for n in names:
            if n in cells:
                return cells.pop(n)
        return ""

    asym = col("Asymptotic Significance (2-sided)", "Asymp. Sig. (2-sided)")
    ex2, ex1, point = (col("Exact Sig. (2-sided)"), col("Exact Sig. (1-sided)"),
                       col("Point Probability"))
    val, df = col("Value"), col("df")
    if label == "N of Valid Cases":
        ck.num(label, val, value(res, "n_valid"))
    elif label == "Fisher's Exact Test":
        if is_2x2:
            ck.num(f"{label} exact 2-sided", ex2, value(res, "fisher_exact", column="p"))
            ck.num(f"{label} exact 1-sided", ex1,
                   value(res, "fisher_exact_one_sided", column="p"))
        else:
            ck.num(f"{label} value", val, value(res, "fisher_freeman_halton"))
            ck.num(f"{label} exact 2-sided", ex2,
                   value(res, "fisher_freeman_halton", column="p"))
    else:
        ours, ours_exact, ours_one = CHI_ROWS[label]
        ck.num(f"{label} value", val, value(res, ours))
        ck.num(f"{label} df", df, value(res, ours, column="df"))
        ck.num(f"{label} asymptotic p", asym, value(res, ours, column="p"))
        if ex2.strip() or ex1.strip():
            assert exact and ours_exact, f"{label}: exact columns without /METHOD=EXACT"
            ck.num(f"{label} exact 2-sided", ex2, value(res, ours_exact, column="p"))
            if ex1.strip():
                ck.num(f"{label} exact 1-sided", ex1, value(res, ours_one, column="p"))
        if point.strip():
            ck.num(f"{label} point probability", point, value(res, "point_probability"))
    assert not any(v.strip() for v in cells.values()), f"{label}: unmapped cells {cells}"


def check_footnotes(ck: Check, res: pd.DataFrame, notes: list[str]) -> None:
    for note in notes:
        if m := FOOT_EXPECTED.search(note):
            ck.num("cells with expected < 5", m.group(1), value(res, "cells_expected_lt5"))
            ck.num("% cells with expected < 5", m.group(2),
                   value(res, "pct_cells_expected_lt5"))
            ck.num("minimum expected count", m.group(3), value(res, "min_expected"))
        elif m := FOOT_STANDARDIZED.search(note):
            ck.num("linear-by-linear standardized statistic", m.group(1),
                   value(res, "linear_by_linear_standardized"))


def check_crosstabulation(ck: Check, res: pd.DataFrame, table: Table, row_levels: list[Any],
                          col_levels: list[Any]) -> None:
    """SPSS's Crosstabulation: counts, expected counts and percentages (derived from counts)."""
    n = value(res, "n_valid")
    obs = {(r, c): value(res, "observed", f"{r}|{c}") for r in row_levels for c in col_levels}
    exp = {(r, c): value(res, "expected", f"{r}|{c}") for r in row_levels for c in col_levels}
    r_tot = {r: value(res, "row_total", str(r)) for r in row_levels}
    c_tot = {c: value(res, "col_total", str(c)) for c in col_levels}
    k = len(col_levels)
    labelled = any(len(r) > 2 and r[2] == "Count" for r in table.rows)
    first = 3 if labelled else 2
    level: Any = None
    levels = iter(row_levels)
    for r in table.rows[2:]:
        if r[0] == "Total":
            level = "Total"
        elif r[1]:
            level = next(levels)
        stat = r[2] if labelled else "Count"
        cells = r[first:first + k + 1]
        assert len(cells) == k + 1, r
        for j, text in enumerate(cells):
            c = col_levels[j] if j < k else "Total"
            where = f"{stat} [{level}, {c}]"
            if level == "Total":
                count = c_tot[c] if c != "Total" else n
                expected, of_col, of_total = count, 100.0, 100.0 * count / n
            else:
                count = obs[level, c] if c != "Total" else r_tot[level]
                expected = exp[level, c] if c != "Total" else r_tot[level]
                col_n = c_tot[c] if c != "Total" else n
                of_col, of_total = 100.0 * count / col_n, 100.0 * count / n
            if stat == "Count":
                ck.num(where, text, count)
            elif stat == "Expected Count":
                ck.num(where, text, expected)
            elif stat.startswith("% within"):
                ck.num(where, text, of_col)
            elif stat == "% of Total":
                ck.num(where, text, of_total)
            else:
                raise AssertionError(f"unknown Crosstabulation row {stat!r}")


def check_chi_square_table(ck: Check, res: pd.DataFrame, table: Table, is_2x2: bool,
                           exact: bool) -> None:
    header = table.rows[0]
    for r in table.rows[1:]:
        label = clean(r[0])
        cells = {h: v for h, v in zip(header[1:], r[1:], strict=False)}
        check_chi_square_row(ck, res, label, cells, is_2x2, exact)
    check_footnotes(ck, res, table.footnotes)


HW3 = "higgins_hw3key_4f62eb1.csv"
HW3_TABLES = "/TABLES=female racegrp homeless g1b BY treat"
L22 = "higgins_lesson22_f6ed1c7.csv"
L22_TABLES = "/TABLES=female racegrp homeless BY pcs_nonemissing"
ANM = "anm_problem6_Output6.csv"
ANM_TABLES = "/TABLES=Gender BY Diabetes"
ANM_TITLE = "Gender * Diabetes Crosstabulation"
# (file, syntax anchor, its occurrence, Crosstabulation title, nth table after the anchor,
#  row variable, column variable, /METHOD=EXACT)
CSV_CROSSTABS = [
    (ANM, ANM_TABLES, 0, ANM_TITLE, 0, "Gender", "Diabetes", False),  # /CELLS=COUNT TOTAL
    (ANM, ANM_TABLES, 1, ANM_TITLE, 0, "Gender", "Diabetes", False),  # /CELLS=COUNT
    (HW3, HW3_TABLES, 0, "Crosstab", 0, "female", "treat", True),
    (HW3, HW3_TABLES, 0, "Crosstab", 1, "racegrp", "treat", True),
    (HW3, HW3_TABLES, 0, "Crosstab", 2, "homeless", "treat", True),
    (HW3, HW3_TABLES, 0, "Crosstab", 3, "g1b", "treat", True),
    (L22, L22_TABLES, 0, "Crosstab", 0, "female", "pcs_nonemissing", True),
    (L22, L22_TABLES, 0, "Crosstab", 1, "racegrp", "pcs_nonemissing", True),
    (L22, L22_TABLES, 0, "Crosstab", 2, "homeless", "pcs_nonemissing", True),
]


@pytest.mark.parametrize(("name", "anchor", "occurrence", "title", "nth", "row", "col", "exact"),
                         CSV_CROSSTABS,
                         ids=[f"{c[0].split('_')[1]}-{c[5]}x{c[6]}-{c[2]}" for c in CSV_CROSSTABS])
def test_crosstabs_csv(name: str, anchor: str, occurrence: int, title: str, nth: int, row: str,
                       col: str, exact: bool) -> None:
    data = pd.read_csv(DATA / "anm_problem6.csv") if name.startswith("anm") else helpmkh()
    res = crosstab(data, row, col, exact=exact)
    row_levels = sorted(data[row].dropna().unique().tolist())
    col_levels = sorted(data[col].dropna().unique().tolist())
    ck = Check(f"{name}: {row} x {col}")
    check_crosstabulation(ck, res, find_table(name, title, anchor, occurrence, nth),
                          row_levels, col_levels)
    check_chi_square_table(ck, res, find_table(name, "Chi-Square Tests", anchor, occurrence, nth),
                           len(row_levels) == 2 and len(col_levels) == 2, exact)
    ck.done()


# ---- mariposa (SPSS text output) ------------------------------------------------------------

_TOKEN = r"-?\d*\.?\d+(?:\([a-z]\))?%?"
_TEXT_ROW = re.compile(rf"^(?P<label>.*?)(?P<nums>(?:\s+{_TOKEN})+)\s*$")


def text_row(line: str) -> tuple[str, list[str]] | None:
    """(label, printed numbers) of a row of SPSS text output, or None without numbers."""
    m = _TEXT_ROW.match(line.rstrip())
    if not m or not m.group("label").strip():
        return None
    return m.group("label").strip(), m.group("nums").split()


@cache
def mariposa() -> pd.DataFrame:
    return pd.read_csv(DATA / "mariposa_survey_data_subset.csv")


# section of mariposa_fisher_test_output.txt -> (data subset, column variable, strata)
# gender 1 = Male, 2 = Female; region 1 = East, 2 = West; interview_mode 1-3 = Face-to-face,
# Telephone, Online; education 1 = Basic Secondary, 4 = University. The "small sample subset"
# of TEST 1c is the first 50 cases. TESTs 2a, 2b and 4 run under WEIGHT BY a weighting variable
# that is not in the shared data and are not compared.
MARIPOSA_CROSSTABS: dict[str, tuple[Callable[[pd.DataFrame], pd.DataFrame], str, list[int]]] = {
    "1a": (lambda d: d, "region", []),
    "1b": (lambda d: d, "interview_mode", []),
    "1c": (lambda d: d.head(50), "region", []),
    "3": (lambda d: d, "region", [1, 4]),
}
_CHI_LABELS = ("Pearson Chi-Square", "Continuity Correction", "Likelihood Ratio",
               "Fisher's Exact Test", "Linear-by-Linear Association", "N of Valid Cases")
_CHI_HEADER = {  # printed numbers of each row of the (non-exact) text table, in order
    "Fisher's Exact Test": ["Exact Sig. (2-sided)", "Exact Sig. (1-sided)"],
    "N of Valid Cases": ["Value"],
}


@pytest.mark.parametrize("test_id", list(MARIPOSA_CROSSTABS))
def test_crosstabs_mariposa(test_id: str) -> None:
    text = (OUT / "mariposa_fisher_test_output.txt").read_text(encoding="utf-8-sig")
    blocks = re.split(r"^=+ TEST (\w+):.*$", text, flags=re.MULTILINE)
    sections = dict(zip(blocks[1::2], (b.splitlines() for b in blocks[2::2]), strict=True))
    subset, col, strata = MARIPOSA_CROSSTABS[test_id]
    data = subset(mariposa())
    rows: dict[str, list[list[str]]] = {}
    chi: list[tuple[str, list[str]]] = []
    sym: list[tuple[str, list[str]]] = []
    notes: list[str] = []
    part = "crosstab"
    for line in sections[test_id]:
        if line.strip() == "Chi-Square Tests":
            part = "chi"
        elif line.strip() == "Symmetric Measures":
            part = "sym"
        if re.match(r"^[a-z] \d+ cells", line):
            notes.append(line)
            continue
        parsed = text_row(line)
        if parsed is None:
            continue
        label, nums = parsed
        label = clean(label)
        if part == "crosstab":
            for key in ("Expected Count", "Count", "% within Gender", "% within", "% of Total"):
                if key in label:
                    rows.setdefault(key, []).append(nums)
                    break
            else:
                raise AssertionError(f"TEST {test_id}: unknown row {line!r}")
        elif part == "chi":
            hit = [k for k in _CHI_LABELS if label.endswith(k)]
            assert hit, f"TEST {test_id}: unknown row {line!r}"
            chi.append((hit[0], nums))
        else:
            hit = [k for k in ("Phi", "Cramer's V", "N of Valid Cases") if label.endswith(k)]
            assert hit, f"TEST {test_id}: unknown row {line!r}"
            sym.append((hit[0], nums))
    ck = Check(f"mariposa TEST {test_id}")
    n_strata = max(1, len(strata))
    assert len(chi) == 6 * n_strata - (0 if len(data[col].unique()) == 2 else 2 * n_strata)
    chi_per = len(chi) // n_strata
    for k in range(n_strata):
        sub = data if not strata else data[data["education"] == strata[k]]
        res = crosstab(sub, "gender", col)
        row_levels, col_levels = [1, 2], sorted(sub[col].unique().tolist())
        is_2x2 = len(col_levels) == 2
        # Crosstabulation: per row level (Male, Female, Total) one line of each statistic
        for stat, lines in rows.items():
            for i, level in enumerate([*row_levels, "Total"]):
                nums = lines[3 * k + i]
                assert len(nums) == len(col_levels) + 1
                for j, text_value in enumerate(nums):
                    c = col_levels[j] if j < len(col_levels) else "Total"
                    n = value(res, "n_valid")
                    if level == "Total":
                        count = value(res, "col_total", str(c)) if c != "Total" else n
                        row_n = n
                    else:
                        count = (value(res, "observed", f"{level}|{c}") if c != "Total"
                                 else value(res, "row_total", str(level)))
                        row_n = value(res, "row_total", str(level))
                    col_n = value(res, "col_total", str(c)) if c != "Total" else n
                    ours = {"Count": count,
                            "Expected Count": (value(res, "expected", f"{level}|{c}")
                                               if level != "Total" and c != "Total" else count),
                            "% within Gender": 100.0 * count / row_n,
                            "% within": 100.0 * count / col_n,
                            "% of Total": 100.0 * count / n}[stat]
                    ck.num(f"{stat} [{level}, {c}]", text_value, ours)
        for label, nums in chi[chi_per * k: chi_per * (k + 1)]:
            header = _CHI_HEADER.get(label, ["Value", "df", "Asymptotic Significance (2-sided)"])
            check_chi_square_row(ck, res, label, dict(zip(header, nums, strict=True)), is_2x2,
                                 exact=False)
        for label, nums in sym[3 * k: 3 * (k + 1)]:
            if label == "N of Valid Cases":
                ck.num(label, nums[0], value(res, "n_valid"))
            else:
                name = "phi" if label == "Phi" else "cramers_v"
                ck.num(f"{label} value", nums[0], value(res, name))
                ck.num(f"{label} approximate significance", nums[1], value(res, name, column="p"))
        check_footnotes(ck, res, [notes[k]])
    ck.done()


# =============================================================================================
# NPAR TESTS /M-W
# =============================================================================================


def check_mw(ck: Check, res: pd.DataFrame, groups: list[Any], ranks: list[list[str]],
             tests: dict[str, str]) -> None:
    """Ranks rows (N, Mean Rank, Sum of Ranks per group; Total N) and Test Statistics."""
    for g, nums in zip([*groups, "Total"], ranks, strict=True):
        if g == "Total":
            assert len(nums) == 1
            ck.num("Total N", nums[0], value(res, "n_valid"))
            continue
        n, mean_rank, rank_sum = nums
        ck.num(f"N [{g}]", n, value(res, "n", str(g)))
        ck.num(f"Mean Rank [{g}]", mean_rank, value(res, "mean_rank", str(g)))
        ck.num(f"Sum of Ranks [{g}]", rank_sum, value(res, "rank_sum", str(g)))
    ours = {"Mann-Whitney U": value(res, "mann_whitney_u"),
            "Wilcoxon W": value(res, "wilcoxon_w",
                                res.loc[res["statistic"] == "wilcoxon_w", "term"].item()),
            "Z": value(res, "z"),
            "Asymp. Sig. (2-tailed)": value(res, "z", column="p")}
    for label, text_value in tests.items():
        assert label in ours, f"unknown Test Statistics row {label!r}"
        ck.num(label, text_value, ours[label])


def test_mann_whitney_csv() -> None:
    """Homework 3: NPAR TESTS /M-W= a15a a15b d1 e2b i1 i2 BY treat(0 1)."""
    name, anchor = "higgins_hw3key_4f62eb1.csv", "/M-W= a15a a15b d1 e2b i1 i2 BY treat(0 1)"
    variables = ["a15a", "a15b", "d1", "e2b", "i1", "i2"]
    ranks = find_table(name, "Ranks", anchor).rows
    tests = find_table(name, "Test Statistics", anchor).rows
    assert [clean(r[0]).split()[0] for r in ranks[1::3]] == variables
    ck = Check(f"{name}: Mann-Whitney")
    for k, var in enumerate(variables):
        res = mann_whitney(helpmkh(), var, "treat", groups=(0, 1))
        block = [r[2:5] for r in ranks[1 + 3 * k: 4 + 3 * k]]
        block[2] = block[2][:1]
        check_mw(ck, res, [0, 1], block, {clean(r[0]): r[1 + k] for r in tests[1:]})
    ck.done()


def mariposa_mw_sections() -> list[tuple[str, bool, bool, list[str]]]:
    """(variable, weighted, split by region, lines) per NPar Tests run of the mariposa file."""
    text = (OUT / "mariposa_mann_whitney_output.txt").read_text(encoding="utf-8-sig")
    out = []
    for block in re.split(r"^NPar Tests$", text, flags=re.MULTILINE)[1:]:
        var = re.search(r"/M-W= (\w+) BY gender\(1 2\)", block).group(1)
        weighted = re.search(r"Weight\s+(.+?)\s*$", block, flags=re.MULTILINE).group(1)
        split = re.search(r"Split File\s+(.+?)\s*$", block, flags=re.MULTILINE).group(1)
        out.append((var, weighted != "<none>", split != "<none>", block.splitlines()))
    return out


MW_IDS = [f"{v}{'-weighted' if w else ''}{'-by-region' if s else ''}"
          for v, w, s, _ in mariposa_mw_sections()]


@pytest.mark.parametrize("index", range(len(MW_IDS)), ids=MW_IDS)
def test_mann_whitney_mariposa(index: int) -> None:
    """mariposa: NPAR TESTS /M-W= <variable> BY gender(1 2), optionally SPLIT FILE by region."""
    var, weighted, split, lines = mariposa_mw_sections()[index]
    if weighted:
        pytest.skip("run under WEIGHT BY a weighting variable that is not in the shared data")
    ranks: list[list[str]] = []
    tests: list[tuple[str, str]] = []
    part = ""
    for line in lines:
        if line.strip() in ("Ranks", "Test Statistics(a)"):
            part = line.strip()
            continue
        parsed = text_row(line)
        if parsed is None or not part:
            continue
        label, nums = parsed
        if part == "Ranks":
            assert re.search(r"(Male|Female|Total)$", label), line
            ranks.append(nums)
        else:
            key = re.sub(r"^(East|West)\s+", "", label)
            tests.append((key, nums[0]))
    strata = [1, 2] if split else [None]
    assert len(ranks) == 3 * len(strata) and len(tests) == 4 * len(strata)
    ck = Check(f"mariposa M-W {MW_IDS[index]}")
    for k, region in enumerate(strata):
        sub = mariposa() if region is None else mariposa()[mariposa()["region"] == region]
        res = mann_whitney(sub, var, "gender", groups=(1, 2))
        check_mw(ck, res, [1, 2], ranks[3 * k: 3 * k + 3], dict(tests[4 * k: 4 * k + 4]))
    ck.done()


# =============================================================================================
# LOGISTIC REGRESSION
# =============================================================================================

HW6 = "higgins_hw6key_946e263.csv"
L1819 = "higgins_lesson1819_755fa6a.csv"
HELP_LABELS = {  # variable label as SPSS prints it in Variables in the Equation -> column
    "Age at baseline (in years)": "age", "Gender of respondent": "female",
    "Perceived Social Support - friends": "pss_fr",
    "SF36 Physical Composite Score - Baseline": "pcs",
    "SF36 Mental Composite Score - Baseline": "mcs", "CESD total score - Baseline": "cesd",
    "female": "female", "pss_fr": "pss_fr", "pcs": "pcs", "indtot": "indtot",
    "Constant": "constant",
}
# (file, syntax anchor, its occurrence, outcome, predictors of each step)
LOGIT_MODELS = [
    (HW6, "/METHOD=ENTER mcs", 0, "nodetox", [["mcs"]]),
    (HW6, "/METHOD=ENTER age female pss_fr pcs mcs cesd", 0, "nodetox",
     [["age", "female", "pss_fr", "pcs", "mcs", "cesd"]]),
    *[(L1819, "/METHOD=ENTER indtot", k, "homeless", [["indtot"]]) for k in range(5)],
    (L1819, "/METHOD=ENTER female pss_fr pcs indtot", 0, "homeless",
     [["female", "pss_fr", "pcs", "indtot"]]),
    # forward stepwise (LR): indtot enters at step 1, pss_fr at step 2; each step's model is
    # the Enter model of its variables
    (L1819, "/METHOD=FSTEP(LR) female pss_fr pcs indtot", 0, "homeless",
     [["indtot"], ["pss_fr", "indtot"]]),
]


def steps(table: Table, first: int) -> list[list[list[str]]]:
    """Data rows of a table split by SPSS's "Step k" label in the first column."""
    out: list[list[list[str]]] = []
    for r in table.rows[first:]:
        if r[0].startswith("Step"):
            out.append([])
        out[-1].append(r)
    return out


def check_classification(ck: Check, res: pd.DataFrame, rows: list[list[str]], step: str) -> None:
    observed = [r for r in rows if r[1] != "Overall Percentage"]
    assert len(observed) == 2 and len(rows) == 3
    for o, r in enumerate(observed):
        for q in (0, 1):
            ck.num(f"{step} classification observed={o} predicted={q}", r[3 + q],
                   value(res, "classification", f"observed={o}|predicted={q}"))
        ck.num(f"{step} % correct observed={o}", r[5], value(res, "pct_correct", f"observed={o}"))
    ck.num(f"{step} overall % correct", rows[2][5], value(res, "pct_correct", "overall"))


def check_variables(ck: Check, res: pd.DataFrame, rows: list[list[str]], step: str) -> None:
    names = ["B", "S.E.", "Wald", "df", "Sig.", "Exp(B)", "Lower", "Upper"]
    for r in rows:
        term = HELP_LABELS[clean(r[1])]
        ours = [value(res, "B", term), value(res, "se", term), value(res, "wald", term),
                value(res, "wald", term, "df"), value(res, "wald", term, "p"),
                value(res, "exp_b", term), value(res, "exp_b", term, "ci_low"),
                value(res, "exp_b", term, "ci_high")]
        for name, text_value, mine in zip(names, r[2:], ours, strict=False):
            ck.num(f"{step} {term} {name}", text_value, mine)


@pytest.mark.parametrize(("name", "anchor", "occurrence", "outcome", "step_predictors"),
                         LOGIT_MODELS,
                         ids=[f"{m[0].split('_')[1]}-{m[1].split('=')[1]}-{m[2]}"
                              for m in LOGIT_MODELS])
def test_logistic_regression(name: str, anchor: str, occurrence: int, outcome: str,
                             step_predictors: list[list[str]]) -> None:
    d = helpmkh()

    def table(title: str, nth: int = 0) -> Table:
        return find_table(name, title, anchor, occurrence, nth)

    ck = Check(f"{name}: {anchor} #{occurrence}")
    block1_class = table("Classification Table", 1)
    cut = float(re.search(r"The cut value is (\.\d+)", block1_class.footnotes[-1]).group(1))
    # Block 0: the constant-only model
    null = logistic_regression(d, outcome, [], cut=cut)
    check_classification(ck, null, steps(table("Classification Table"), 3)[0], "Step 0")
    check_variables(ck, null, table("Variables in the Equation").rows[2:], "Step 0")
    fits = [logistic_regression(d, outcome, p, cut=cut) for p in step_predictors]
    omnibus = steps(table("Omnibus Tests of Model Coefficients"), 1)
    summary = table("Model Summary").rows[1:]
    hl = table("Hosmer and Lemeshow Test").rows[1:]
    contingency = steps(table("Contingency Table for Hosmer and Lemeshow Test"), 2)
    classification = steps(block1_class, 3)
    variables = steps(table("Variables in the Equation", 1), 2)
    assert len(omnibus) == len(summary) == len(hl) == len(contingency) == len(fits)
    for s, res in enumerate(fits):
        step = f"Step {s + 1}"
        for r in omnibus[s]:
            if r[1] == "Step" and s > 0:  # improvement over the previous step
                prev = fits[s - 1]
                chi2 = value(prev, "neg2ll") - value(res, "neg2ll")
                df = value(res, "omnibus_chi2", column="df") - value(prev, "omnibus_chi2",
                                                                      column="df")
                ours = [chi2, df, float(stats.chi2.sf(chi2, df))]
            else:
                ours = [value(res, "omnibus_chi2", column=c) for c in ("value", "df", "p")]
            for label, text_value, mine in zip(("Chi-square", "df", "Sig."), r[2:], ours,
                                               strict=True):
                ck.num(f"{step} omnibus {r[1]} {label}", text_value, mine)
        assert summary[s][0] == str(s + 1) and hl[s][0] == str(s + 1)
        for label, text_value, stat in zip(("-2LL", "Cox & Snell", "Nagelkerke"),
                                           summary[s][1:],
                                           ("neg2ll", "cox_snell_r2", "nagelkerke_r2"),
                                           strict=True):
            ck.num(f"{step} {label}", text_value, value(res, stat))
        for label, text_value, column in zip(("Chi-square", "df", "Sig."), hl[s][1:],
                                             ("value", "df", "p"), strict=True):
            ck.num(f"{step} Hosmer-Lemeshow {label}", text_value,
                   value(res, "hosmer_lemeshow", column=column))
        groups = int(res["statistic"].eq("hl_total").sum())
        if groups != len(contingency[s]):
            ck.bad.append(f"{step}: {groups} Hosmer-Lemeshow groups, SPSS "
                          f"{len(contingency[s])}")
            ck.n += 5 * len(contingency[s])
            contingency[s] = []
        for r in contingency[s]:
            for label, text_value in zip(("hl_observed_0", "hl_expected_0", "hl_observed_1",
                                          "hl_expected_1", "hl_total"), r[2:], strict=True):
                ck.num(f"{step} HL group {r[1]} {label}", text_value, value(res, label, r[1]))
        check_classification(ck, res, classification[s], step)
        check_variables(ck, res, variables[s], step)
    ck.done()


# =============================================================================================
# EXAMINE: Tests of Normality
# =============================================================================================

# (file, syntax anchor, variables, factor, listwise)
NORMALITY = [
    ("higgins_hw7key_aea6326.csv", "EXAMINE VARIABLES=cesd cesd1 cesd2 cesd3 cesd4",
     ["cesd", "cesd1", "cesd2", "cesd3", "cesd4"], None, True),
    ("higgins_hw7key_aea6326.csv", "EXAMINE VARIABLES=cesd cesd1 cesd2 cesd3 cesd4 BY treat",
     ["cesd", "cesd1", "cesd2", "cesd3", "cesd4"], "treat", True),
    ("higgins_lesson22_f6ed1c7.csv", "EXAMINE VARIABLES=pcs pcs1 pcs2 pcs3 pcs4",
     ["pcs", "pcs1", "pcs2", "pcs3", "pcs4"], None, True),
    ("higgins_lesson22_f6ed1c7.csv", "EXAMINE VARIABLES=pcs pcs1 pcs2 pcs3 pcs4 BY treat",
     ["pcs", "pcs1", "pcs2", "pcs3", "pcs4"], "treat", True),
    ("higgins_lesson21_ee7fd83.csv", "EXAMINE VARIABLES=diff_pcs_bl_1", ["diff_pcs_bl_1"],
     None, False),
]
NORMALITY_IDS = [f"{n[0].split('_')[1]}-{n[2][0]}{'-by-' + n[3] if n[3] else ''}"
                 for n in NORMALITY]


def normality_cells(name: str, anchor: str, variables: list[str], factor: str | None,
                    listwise: bool) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(where, test, column, our row) for every printed cell of a Tests of Normality table."""
    table = find_table(name, "Tests of Normality", anchor)
    ours = normality_table(helpmkh(), variables, by=[factor] if factor else [],
                           listwise=listwise)
    rows = table.rows[2:]
    var = None
    levels = iter([])
    for r in rows:
        if r[0]:
            var = clean(r[0]).split()[0]
            assert var in variables, r
            levels = iter(sorted(helpmkh()[factor].dropna().unique()) if factor else [None])
        level = next(levels)
        sub = ours[ours["variable"] == var]
        if factor:
            sub = sub[sub[factor] == level]
        cells = r[2:] if factor else r[1:]
        assert len(cells) == 6, r
        for test, part in (("ks_lilliefors", cells[:3]), ("shapiro_wilk", cells[3:])):
            row = sub[sub["test"] == test].iloc[0].to_dict()
            for column, text_value in zip(("statistic", "df", "p"), part, strict=True):
                yield f"{var} [{level}] {test} {column}", text_value, column, row


@pytest.mark.parametrize("spec", NORMALITY, ids=NORMALITY_IDS)
def test_tests_of_normality(spec: tuple[Any, ...]) -> None:
    """Statistic and df of both tests, Shapiro-Wilk Sig. and the K-S lower bound .200*.

    The other K-S (Lilliefors) Sig. values are compared in
    :func:`test_tests_of_normality_lilliefors_sig`.
    """
    ck = Check(f"{spec[0]}: Tests of Normality {spec[1]}")
    for where, text_value, column, row in normality_cells(*spec):
        if column == "p" and row["test"] == "ks_lilliefors":
            if "*" in text_value:
                ck.lower_bound(where, text_value, row["p"])
            continue
        ck.num(where, text_value, row[column])
    ck.done()


@pytest.mark.parametrize("spec", NORMALITY, ids=NORMALITY_IDS)
def test_tests_of_normality_lilliefors_sig(spec: tuple[Any, ...]) -> None:
    """K-S (Lilliefors) Sig. below SPSS's .200* bound, at the printed precision.

    Where SPSS prints a number it is the Dallal-Wilkinson value (p <= .1 in these tables),
    which :func:`analysis.stats.lilliefors_p.spss_pvalue` uses there; its Monte-Carlo accuracy
    above .1 is tested in tests/test_lilliefors_p.py.
    """
    ck = Check(f"{spec[0]}: Tests of Normality {spec[1]} (K-S Sig.)")
    for where, text_value, column, row in normality_cells(*spec):
        if column == "p" and row["test"] == "ks_lilliefors" and "*" not in text_value:
            ck.num(where, text_value, row["p"])
    if ck.n == 0:
        pytest.skip("every K-S Sig. of this table is SPSS's lower bound .200*")
    ck.done()
