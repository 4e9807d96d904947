"""The qualitative arm: the eight case firms, the coding frame and the pathway rule.

Data flow::

    data/cases/case_firms.yaml --load_cases--> cases (dict)
    config/coding_frame.yaml  --load_coding_frame--> frame (dict)
    cross_case_matrix(cases, frame)  -> long firm x dimension table of coded values
    derive_pathways(matrix, frame)   -> one row per firm: votes, derived pathway, section 4.5
    study_disagreements(cases, derived, frame) -> where the study disagrees with itself

Nothing in the YAML files is evaluated as code: the rule is a small fixed vocabulary of methods
(``majority``, ``gate``) parameterised by data. See ``docs/qualitative.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from itertools import combinations
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.config import load_yaml
from analysis.errors import PipelineInputError

PATHWAYS: tuple[str, ...] = ("traditional", "born_global", "born_again_global")
RULE_METHODS: tuple[str, ...] = ("majority", "gate")
CLAIM_OPS: tuple[str, ...] = (">=", ">", "<=", "<")
CLAIM_VARIABLES: tuple[str, ...] = ("share_of_sales_abroad", "years_to_first_foreign_sale")

MATRIX_COLUMNS: list[str] = [
    "firm", "dimension", "code", "counted", "source", "basis", "evidence",
    "study_4_5_pathway", "study_4_5_all_aspects", "study_4_5_qualifier",
    "study_4_5_statement", "unwilling_international",
]
DISAGREEMENT_COLUMNS: list[str] = [
    "firm", "dimension", "section_a", "statement_a", "section_b", "statement_b",
    "kind", "note", "origin",
]
_DEFAULT_DEFINITIONS: dict[str, dict[str, float]] = {
    "born_global": {"max_years_to_first_foreign_sale": 3, "min_share_of_sales_abroad": 25},
    "born_again_global": {"min_years_to_first_foreign_sale": 10},
}


# --------------------------------------------------------------------------------------------
# loading and validation
# --------------------------------------------------------------------------------------------
def validate_cases(cases: Mapping[str, Any], where: str = "case firms") -> dict[str, Any]:
    """Check the structure of the case-firm data.

    Parameters
    ----------
    cases : mapping
        The parsed ``case_firms.yaml``.
    where : str
        Name used in error messages.

    Returns
    -------
    dict
        The same data (as a plain dict).

    Raises
    ------
    PipelineInputError
        Listing every structural problem found.
    """
    problems: list[str] = []
    if not isinstance(cases, Mapping) or "firms" not in cases:
        raise PipelineInputError(f"{where}: expected a mapping with a 'firms' list")
    dims = list(cases.get("meta", {}).get("dimensions", []))
    if not dims:
        problems.append("meta.dimensions: missing or empty")
    seen: dict[str, str] = {}
    for i, firm in enumerate(cases["firms"]):
        fid = firm.get("id")
        if not fid:
            problems.append(f"firms[{i}]: missing id")
            continue
        names = [fid] + [a.get("name", "") for a in firm.get("aliases", []) or []]
        for a in firm.get("aliases", []) or []:
            if not a.get("name") or not a.get("appears_in"):
                problems.append(f"{fid}: every alias needs 'name' and 'appears_in'")
        for n in names:
            key = n.strip().casefold()
            if key in seen:
                problems.append(f"{fid}: name {n!r} already used by {seen[key]}")
            seen[key] = fid
        for d in dims:
            if d not in (firm.get("dimensions") or {}):
                problems.append(f"{fid}: dimension {d!r} missing (write statements: [] if silent)")
        for sc in firm.get("section_classifications", []) or []:
            p = sc.get("pathway")
            if p is not None and p not in PATHWAYS:
                problems.append(
                    f"{fid}: section {sc.get('section')} pathway {p!r} not in {PATHWAYS}")
        final = firm.get("final_4_5") or {}
        if final.get("pathway") not in PATHWAYS:
            problems.append(f"{fid}: final_4_5.pathway must be one of {PATHWAYS}")
    if problems:
        raise PipelineInputError(f"{where}: {len(problems)} problem(s)", problems)
    return dict(cases)


def load_cases(path: str | Path) -> dict[str, Any]:
    """Load and check ``data/cases/case_firms.yaml``.

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    dict
        Keys ``meta``, ``firms`` (list, one dict per firm), ``study_claims``,
        ``recorded_disagreements``, ``cross_case_findings`` and ``final_4_5_all``.
    """
    return validate_cases(load_yaml(path), where=str(path))


def load_coding_frame(path: str | Path) -> dict[str, Any]:
    """Load and check ``config/coding_frame.yaml`` (rule and vocabulary only).

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    dict
        Keys ``vocabulary``, ``dimensions``, ``definitions``, ``rule``, ``coding``.
    """
    frame = load_yaml(path)
    _check_rule(frame, where=str(path))
    return frame


def _check_rule(frame: Mapping[str, Any], where: str = "coding frame") -> None:
    problems: list[str] = []
    vocab = list(frame.get("vocabulary", PATHWAYS))
    rule = frame.get("rule") or {}
    if rule.get("method") not in RULE_METHODS:
        problems.append(f"rule.method: {rule.get('method')!r} is not one of {RULE_METHODS}")
    for p in rule.get("tie_break", []):
        if p not in vocab:
            problems.append(f"rule.tie_break: {p!r} is not in the vocabulary {vocab}")
    for p, dims in (rule.get("requires") or {}).items():
        if p not in vocab:
            problems.append(f"rule.requires: {p!r} is not in the vocabulary {vocab}")
        for d in dims or []:
            if d not in (frame.get("dimensions") or {}):
                problems.append(f"rule.requires.{p}: unknown dimension {d!r}")
    if rule.get("fallback", "traditional") not in vocab:
        problems.append(f"rule.fallback: {rule.get('fallback')!r} is not in the vocabulary")
    if problems:
        raise PipelineInputError(f"{where}: the pathway rule is not valid", problems)


def _firms(cases: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in cases["firms"]}


def _known_names(cases: Mapping[str, Any]) -> str:
    ids = sorted(_firms(cases))
    aliases = sorted(
        f"{a['name']} -> {f['id']}" for f in cases["firms"] for a in (f.get("aliases") or [])
    )
    return f"known firms: {', '.join(ids)}; aliases: {', '.join(aliases) or 'none'}"


def resolve_alias(name: str, cases: Mapping[str, Any]) -> str:
    """Return the canonical firm id for a name or alias (case-insensitive).

    Parameters
    ----------
    name : str
        A firm id or one of its recorded aliases (e.g. ``"piqt"``).
    cases : mapping
        The case data from :func:`load_cases`.

    Returns
    -------
    str
        The canonical id (e.g. ``"PIKIT"``).

    Raises
    ------
    ValueError
        If the name is unknown; the message lists known firms and aliases.
    """
    key = str(name).strip().casefold()
    for firm in cases["firms"]:
        names = [firm["id"]] + [a["name"] for a in (firm.get("aliases") or [])]
        if key in {n.casefold() for n in names}:
            return firm["id"]
    raise PipelineInputError(f"unknown case firm {name!r}; {_known_names(cases)}")


# --------------------------------------------------------------------------------------------
# tidy views of the case data
# --------------------------------------------------------------------------------------------
def _interval(years: Mapping[str, Any] | None) -> tuple[float, float, bool] | None:
    if not years or years.get("low") is None or years.get("high") is None:
        return None
    return float(years["low"]), float(years["high"]), bool(years.get("high_inclusive", True))


def _fmt_years(years: Mapping[str, Any] | None) -> str:
    if not years:
        return "not stated"
    q = years.get("qualifier", "=")
    if q == "=":
        return f"{years.get('value')}"
    return str(q)


def case_facts(cases: Mapping[str, Any]) -> pd.DataFrame:
    """Appendix 1 pace facts and the section 4.5 statement, one row per firm.

    Parameters
    ----------
    cases : mapping
        The case data from :func:`load_cases`.

    Returns
    -------
    DataFrame
        Columns ``firm``, ``aliases``, ``years_to_first_foreign_sale`` (text, e.g. ``"<3"``),
        ``years_low``, ``years_high``, ``years_high_inclusive``, ``share_of_sales_abroad``
        (percent, current), ``study_4_5_pathway``, ``study_4_5_all_aspects``,
        ``study_4_5_qualifier``, ``unwilling_international``; sorted by firm.
    """
    rows = []
    for fid, f in sorted(_firms(cases).items()):
        pace = f["dimensions"].get("pace") or {}
        yrs = pace.get("years_to_first_foreign_sale")
        share = (pace.get("share_of_sales_abroad") or {}).get("value")
        iv = _interval(yrs)
        final = f.get("final_4_5") or {}
        rows.append({
            "firm": fid,
            "aliases": ", ".join(a["name"] for a in (f.get("aliases") or [])),
            "years_to_first_foreign_sale": _fmt_years(yrs),
            "years_low": iv[0] if iv else float("nan"),
            "years_high": iv[1] if iv else float("nan"),
            "years_high_inclusive": iv[2] if iv else pd.NA,
            "share_of_sales_abroad": float(share) if share is not None else float("nan"),
            "study_4_5_pathway": final.get("pathway"),
            "study_4_5_all_aspects": final.get("all_aspects"),
            "study_4_5_qualifier": final.get("qualifier"),
            "unwilling_international": bool(final.get("unwilling_international", False)),
        })
    return pd.DataFrame(rows)


def case_statements(cases: Mapping[str, Any]) -> pd.DataFrame:
    """Every statement of every firm and dimension, long format.

    Parameters
    ----------
    cases : mapping
        The case data from :func:`load_cases`.

    Returns
    -------
    DataFrame
        Columns ``firm``, ``dimension``, ``order`` (position within the dimension), ``source``,
        ``text``; sorted by firm, dimension (meta order), order.
    """
    dims = list(cases["meta"]["dimensions"])
    rows = []
    for fid, f in sorted(_firms(cases).items()):
        for d in dims:
            for i, s in enumerate((f["dimensions"].get(d) or {}).get("statements") or []):
                rows.append({"firm": fid, "dimension": d, "order": i,
                             "source": s.get("source"), "text": s.get("text")})
    out = pd.DataFrame(rows, columns=["firm", "dimension", "order", "source", "text"])
    out["_d"] = out["dimension"].map({d: i for i, d in enumerate(dims)})
    return (out.sort_values(["firm", "_d", "order"], kind="stable")
            .drop(columns="_d").reset_index(drop=True))


def section_classifications(cases: Mapping[str, Any]) -> pd.DataFrame:
    """What sections 4.1-4.4 say each firm resembles, per dimension.

    Parameters
    ----------
    cases : mapping
        The case data from :func:`load_cases`.

    Returns
    -------
    DataFrame
        Columns ``firm``, ``section``, ``dimension``, ``pathway``, ``stated`` (False = inferred
        because the study does not name the firm), ``statement``, ``basis``.
    """
    rows = []
    for fid, f in sorted(_firms(cases).items()):
        for sc in f.get("section_classifications") or []:
            rows.append({"firm": fid, "section": str(sc.get("section")),
                         "dimension": sc.get("dimension"), "pathway": sc.get("pathway"),
                         "stated": bool(sc.get("stated", False)),
                         "statement": sc.get("statement"), "basis": sc.get("basis")})
    cols = ["firm", "section", "dimension", "pathway", "stated", "statement", "basis"]
    return (pd.DataFrame(rows, columns=cols)
            .sort_values(["firm", "section", "dimension"], kind="stable").reset_index(drop=True))


# --------------------------------------------------------------------------------------------
# the cross-case matrix and the rule
# --------------------------------------------------------------------------------------------
def cross_case_matrix(cases: Mapping[str, Any], frame: Mapping[str, Any]) -> pd.DataFrame:
    """Firm x dimension table of coded values with the evidence behind each cell (long format).

    Firm names under ``frame['coding']`` may be aliases (resolved case-insensitively). A cell
    missing from the coding, or coded ``null``, is uncoded (``code`` is ``None``).

    Parameters
    ----------
    cases : mapping
        The case data from :func:`load_cases`.
    frame : mapping
        The coding frame from :func:`load_coding_frame`.

    Returns
    -------
    DataFrame
        One row per firm and dimension. Columns: ``firm``, ``dimension``, ``code``, ``counted``
        (the dimension votes in the rule), ``source``, ``basis``, ``evidence`` (the firm's
        statements on the dimension, each with its source), and the firm-level section 4.5
        columns ``study_4_5_pathway``, ``study_4_5_all_aspects``, ``study_4_5_qualifier``,
        ``study_4_5_statement``, ``unwilling_international``. Sorted by firm, then dimension in
        the coding-frame order.

    Raises
    ------
    PipelineInputError
        For unknown firms or dimensions and codes outside the vocabulary.
    """
    _check_rule(frame)
    vocab = list(frame.get("vocabulary", PATHWAYS))
    fdims = frame.get("dimensions") or {}
    cdims = list(cases["meta"]["dimensions"])
    problems = [f"coding frame dimension {d!r} is not a case-data dimension {cdims}"
                for d in fdims if d not in cdims]
    coding: dict[str, dict[str, Any]] = {}
    for name, cells in (frame.get("coding") or {}).items():
        try:
            fid = resolve_alias(name, cases)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if fid in coding:
            problems.append(f"coding: firm {fid} coded twice (as {name!r})")
        coding[fid] = dict(cells or {})
        for d, cell in coding[fid].items():
            if d not in fdims:
                problems.append(f"coding.{name}.{d}: unknown dimension; known: {list(fdims)}")
            code = (cell or {}).get("code") if isinstance(cell, Mapping) else cell
            if code is not None and code not in vocab:
                problems.append(f"coding.{name}.{d}: code {code!r} is not one of {vocab}")
    if problems:
        raise PipelineInputError("coding frame does not match the case data", problems)

    statements = case_statements(cases)
    rows = []
    for fid, firm in sorted(_firms(cases).items()):
        final = firm.get("final_4_5") or {}
        for d in fdims:
            cell = coding.get(fid, {}).get(d)
            cell = cell if isinstance(cell, Mapping) else {"code": cell}
            ev = statements[(statements["firm"] == fid) & (statements["dimension"] == d)]
            rows.append({
                "firm": fid,
                "dimension": d,
                "code": cell.get("code"),
                "counted": bool(fdims[d].get("counted", True)),
                "source": cell.get("source"),
                "basis": cell.get("basis"),
                "evidence": "; ".join(f"{t} [{s}]" for t, s in zip(ev["text"], ev["source"],
                                                                   strict=True)),
                "study_4_5_pathway": final.get("pathway"),
                "study_4_5_all_aspects": final.get("all_aspects"),
                "study_4_5_qualifier": final.get("qualifier"),
                "study_4_5_statement": final.get("statement"),
                "unwilling_international": bool(final.get("unwilling_international", False)),
            })
    return pd.DataFrame(rows, columns=MATRIX_COLUMNS)


def cross_case_wide(matrix: pd.DataFrame) -> pd.DataFrame:
    """Pivot the long matrix to firms x dimensions (coded values).

    Parameters
    ----------
    matrix : DataFrame
        Output of :func:`cross_case_matrix`.

    Returns
    -------
    DataFrame
        Column ``firm`` then one column per dimension in matrix order; cells are codes
        (``None`` = uncoded); sorted by firm.
    """
    dims = list(dict.fromkeys(matrix["dimension"]))
    wide = matrix.pivot(index="firm", columns="dimension", values="code")
    wide = wide.reindex(columns=dims).sort_index().reset_index()
    wide.columns.name = None
    return wide.astype(object).where(wide.notna(), None)


def _apply_rule(codes: Mapping[str, Any], counted: list[str],
                rule: Mapping[str, Any], vocab: list[str]) -> dict[str, Any]:
    votes = {p: sum(1 for d in counted if codes.get(d) == p) for p in vocab}
    n_uncoded = sum(1 for d in counted if codes.get(d) is None)
    fallback = rule.get("fallback", "traditional")
    requires = {p: list(v or []) for p, v in (rule.get("requires") or {}).items()}
    tie_order = list(rule.get("tie_break", vocab))
    tie_order += [p for p in vocab if p not in tie_order]
    vote_txt = ", ".join(f"{p} {votes[p]}" for p in vocab)
    tie = False
    if rule["method"] == "majority":
        top = max(votes.values()) if votes else 0
        if top == 0:
            winner, why = fallback, f"no counted dimension coded -> fallback {fallback}"
        else:
            cands = [p for p in tie_order if votes[p] == top]
            winner = cands[0]
            tie = len(cands) > 1
            why = f"majority of {len(counted)} counted dimensions ({vote_txt})"
            if tie:
                why += f"; tie between {', '.join(cands)} broken by tie_break -> {winner}"
            else:
                why += f" -> {winner}"
        req = requires.get(winner, [])
        unmet = [d for d in req if codes.get(d) != winner]
        if unmet:
            found = ", ".join(f"{d}={codes.get(d)}" for d in unmet)
            why += (f"; requires {', '.join(req)} coded {winner}, found {found} "
                    f"-> fallback {fallback}")
            winner = fallback
        elif req:
            why += f"; requirement met ({', '.join(f'{d}={winner}' for d in req)})"
    else:  # gate
        winner, why = fallback, ""
        for p, req in requires.items():
            if req and all(codes.get(d) == p for d in req):
                winner = p
                why = f"gate: {', '.join(req)} coded {p} -> {p}"
                break
        if not why:
            why = f"gate: no requirement met ({vote_txt}) -> fallback {fallback}"
    others = sum(1 for d in counted if codes.get(d) is not None and codes.get(d) != winner)
    return {"votes": votes, "n_uncoded": n_uncoded, "derived_pathway": winner, "tie": tie,
            "n_other": others, "rule": why}


def derive_pathways(matrix: pd.DataFrame, frame: Mapping[str, Any]) -> pd.DataFrame:
    """Derive each firm's overall pathway from its coded cells by the frame's rule.

    Parameters
    ----------
    matrix : DataFrame
        Output of :func:`cross_case_matrix`.
    frame : mapping
        The coding frame; uses ``vocabulary`` and ``rule``.

    Returns
    -------
    DataFrame
        One row per firm, sorted by firm. Columns: ``firm``, ``n_<code>`` for every code in the
        vocabulary, ``n_uncoded``, ``n_counted``, ``derived_pathway``, ``tie``, ``mixed``
        (at least ``mixed_min_votes`` counted dimensions carry another code), ``rule`` (the
        explanation), ``study_4_5_pathway``, ``study_4_5_all_aspects``, ``study_4_5_qualifier``,
        ``study_4_5_statement``, ``unwilling_international``, ``agrees`` (derived pathway equals
        4.5), ``purity_agrees`` (``not mixed`` equals 4.5's "all six aspects"; NA where 4.5 does
        not say).
    """
    _check_rule(frame)
    rule = frame["rule"]
    vocab = list(frame.get("vocabulary", PATHWAYS))
    min_mixed = int(rule.get("mixed_min_votes", 1))
    rows = []
    for fid, g in matrix.groupby("firm", sort=True):
        codes = {d: (None if pd.isna(c) else str(c))
                 for d, c in zip(g["dimension"], g["code"], strict=True)}
        counted = list(g.loc[g["counted"].astype(bool), "dimension"])
        res = _apply_rule(codes, counted, rule, vocab)
        first = g.iloc[0]
        mixed = res["n_other"] >= min_mixed
        all_aspects = first["study_4_5_all_aspects"]
        row = {"firm": fid}
        row.update({f"n_{p}": res["votes"][p] for p in vocab})
        row.update({
            "n_uncoded": res["n_uncoded"],
            "n_counted": len(counted),
            "derived_pathway": res["derived_pathway"],
            "tie": res["tie"],
            "mixed": mixed,
            "rule": res["rule"],
            "study_4_5_pathway": first["study_4_5_pathway"],
            "study_4_5_all_aspects": all_aspects,
            "study_4_5_qualifier": first["study_4_5_qualifier"],
            "study_4_5_statement": first["study_4_5_statement"],
            "unwilling_international": bool(first["unwilling_international"]),
            "agrees": res["derived_pathway"] == first["study_4_5_pathway"],
            "purity_agrees": (pd.NA if all_aspects is None or pd.isna(all_aspects)
                              else bool(all_aspects) == (not mixed)),
        })
        rows.append(row)
    out = pd.DataFrame(rows)
    out["purity_agrees"] = out["purity_agrees"].astype("boolean")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# disagreements
# --------------------------------------------------------------------------------------------
def _check_interval(iv: tuple[float, float, bool] | None, op: str, v: float) -> str:
    """'holds' if every value in the interval satisfies ``x op v``, 'fails' if none does."""
    if iv is None:
        return "indeterminate"
    lo, hi, hi_incl = iv
    if op == ">=":
        every, none = lo >= v, hi < v or (hi == v and not hi_incl)
    elif op == ">":
        every, none = lo > v, hi <= v
    elif op == "<=":
        every, none = hi <= v, lo > v
    elif op == "<":
        every, none = hi < v or (hi == v and not hi_incl), lo >= v
    else:
        raise PipelineInputError(f"claim operator {op!r} is not one of {CLAIM_OPS}")
    return "holds" if every else ("fails" if none else "indeterminate")


def _firm_interval(firm: Mapping[str, Any], variable: str) -> tuple[float, float, bool] | None:
    pace = firm["dimensions"].get("pace") or {}
    if variable == "years_to_first_foreign_sale":
        return _interval(pace.get("years_to_first_foreign_sale"))
    if variable == "share_of_sales_abroad":
        v = (pace.get("share_of_sales_abroad") or {}).get("value")
        return None if v is None else (float(v), float(v), True)
    raise PipelineInputError(f"claim variable {variable!r} is not one of {CLAIM_VARIABLES}")


def _fact_text(firm: Mapping[str, Any], variable: str) -> str:
    pace = firm["dimensions"].get("pace") or {}
    item = pace.get(variable) or {}
    return f"{item.get('text', 'not stated')}" if item else "not stated"


def evaluate_claims(cases: Mapping[str, Any]) -> pd.DataFrame:
    """Check the study's numeric claims (``study_claims``) against the appendix values.

    Parameters
    ----------
    cases : mapping
        The case data from :func:`load_cases`.

    Returns
    -------
    DataFrame
        One row per claim and firm: ``claim``, ``section``, ``firm``, ``variable``, ``op``,
        ``value``, ``appendix`` (the appendix statement), ``result`` in {"holds", "fails",
        "indeterminate"} (indeterminate: the appendix gives an interval that straddles the
        claim, or no value).
    """
    firms = _firms(cases)
    rows = []
    for c in cases.get("study_claims") or []:
        chk = c["check"]
        for name in c["firms"]:
            fid = resolve_alias(name, cases)
            iv = _firm_interval(firms[fid], chk["variable"])
            rows.append({"claim": c["id"], "section": str(c["section"]), "firm": fid,
                         "variable": chk["variable"], "op": chk["op"],
                         "value": float(chk["value"]), "text": c["text"],
                         "appendix": _fact_text(firms[fid], chk["variable"]),
                         "result": _check_interval(iv, chk["op"], float(chk["value"]))})
    cols = ["claim", "section", "firm", "variable", "op", "value", "text", "appendix", "result"]
    return (pd.DataFrame(rows, columns=cols)
            .sort_values(["claim", "firm"], kind="stable").reset_index(drop=True))


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text).casefold()).strip()


def _appendix_sets(cases: Mapping[str, Any]) -> dict[tuple[str, str], frozenset[str]]:
    out: dict[tuple[str, str], frozenset[str]] = {}
    for fid, f in _firms(cases).items():
        for d, block in (f.get("dimensions") or {}).items():
            texts = frozenset(_norm(s["text"]) for s in (block or {}).get("statements") or []
                              if str(s.get("source", "")).startswith("Appendix"))
            if texts:
                out[(fid, d)] = texts
    return out


def _row(firm: str, dimension: str, section_a: str, statement_a: str, section_b: str,
         statement_b: str, kind: str, note: str, origin: str) -> dict[str, str]:
    return {"firm": firm, "dimension": dimension, "section_a": section_a,
            "statement_a": statement_a, "section_b": section_b, "statement_b": statement_b,
            "kind": kind, "note": note, "origin": origin}


def _section_vs_final(cases: Mapping[str, Any]) -> Iterable[dict[str, str]]:
    for fid, f in sorted(_firms(cases).items()):
        final = f.get("final_4_5") or {}
        p45, pure = final.get("pathway"), final.get("all_aspects")
        scs = f.get("section_classifications") or []
        for sc in scs:
            p = sc.get("pathway")
            if p is None or p == p45 or pure is False:
                continue
            how = "stated" if sc.get("stated") else str(sc.get("basis") or "inferred")
            if pure:
                note = (f"4.5 says all six aspects are {p45}; section {sc['section']} classifies "
                        f"{sc['dimension']} as {p} ({how}).")
            else:
                note = (f"4.5 classifies the firm {p45} without claiming every aspect; "
                        f"section {sc['section']} classifies {sc['dimension']} as {p} ({how}).")
            yield _row(fid, sc["dimension"], str(sc["section"]), sc.get("statement", ""),
                       "4.5", final.get("statement", ""), "section_vs_4_5", note, "computed")
        if pure is False and p45 == "traditional" and not any(
                sc.get("pathway") == "born_again_global" for sc in scs):
            yield _row(fid, "all", "4.1-4.4", "no dimension classified born-again global",
                       "4.5", final.get("statement", ""), "section_vs_4_5",
                       "4.5 says some aspects resemble born-again global firms; no section does.",
                       "computed")


def _identical_appendix(cases: Mapping[str, Any]) -> Iterable[dict[str, str]]:
    sets = _appendix_sets(cases)
    sec_of = cases["meta"].get("section_dimension_of") or {}
    cls = section_classifications(cases)
    lookup = {(r.firm, r.dimension): r for r in cls.itertuples(index=False)}
    dims = list(cases["meta"]["dimensions"])
    for d in dims:
        firms = sorted(f for (f, dd) in sets if dd == d)
        for a, b in combinations(firms, 2):
            if sets[(a, d)] != sets[(b, d)]:
                continue
            sd = sec_of.get(d, d)
            ra, rb = lookup.get((a, sd)), lookup.get((b, sd))
            if ra is None or rb is None or ra.pathway == rb.pathway:
                continue
            inferred = "" if (ra.stated and rb.stated) else " (at least one class inferred)"
            yield _row(
                f"{a}/{b}", d, f"{ra.section} ({a})", f"{a}: {ra.pathway}",
                f"{rb.section} ({b})", f"{b}: {rb.pathway}",
                "identical_appendix_different_class",
                f"Appendix entries for {a} and {b} on {d} are word for word identical, yet the "
                f"section classifies them differently{inferred}.", "computed")


def _screens(cases: Mapping[str, Any], defs: Mapping[str, Any]) -> Iterable[dict[str, str]]:
    bg = defs.get("born_global", {})
    bag = defs.get("born_again_global", {})
    max_y = float(bg.get("max_years_to_first_foreign_sale", 3))
    min_s = float(bg.get("min_share_of_sales_abroad", 25))
    min_dom = float(bag.get("min_years_to_first_foreign_sale", 10))
    for fid, f in sorted(_firms(cases).items()):
        final = f.get("final_4_5") or {}
        yrs = _firm_interval(f, "years_to_first_foreign_sale")
        share = _firm_interval(f, "share_of_sales_abroad")
        timing = _check_interval(yrs, "<=", max_y)
        level = _check_interval(share, ">=", min_s)
        facts = (f"{_fact_text(f, 'years_to_first_foreign_sale')}; "
                 f"{_fact_text(f, 'share_of_sales_abroad')}")
        if final.get("pathway") != "born_global" and timing != "fails" and level == "holds":
            yield _row(
                fid, "pace", "4.5", (cases.get("final_4_5_all") or {}).get("statement", ""),
                "Appendix 1", facts, "definition_conflict",
                f"Born-global screen (>= {min_s:g}% abroad within {max_y:g} years): first "
                f"foreign sale within {max_y:g} years {timing}; current share >= {min_s:g}%. "
                "The share within three years of founding is not reported, so the firm may meet "
                "the common born-global definition that 4.5 rules out.", "computed")
        if final.get("pathway") == "born_again_global":
            dom = _check_interval(yrs, ">=", min_dom)
            if dom != "holds":
                yield _row(
                    fid, "pace", "4.5", final.get("statement", ""), "Appendix 1", facts,
                    "definition_conflict",
                    f"Born-again global screen (domestic period >= {min_dom:g} years before the "
                    f"first foreign sale): {dom}. A first foreign sale this early is hard to "
                    "square with a 'well established' domestic firm.", "computed")


def study_disagreements(cases: Mapping[str, Any], derived: pd.DataFrame,
                        frame: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Every place where the study disagrees with itself or with the derived pathway.

    Combines the disagreements recorded in the case data (textual; need reading) with
    computed ones:

    - ``section_vs_4_5``: a section 4.1-4.4 classification differs from 4.5 where 4.5 claims
      all six aspects (contradiction), or where 4.5 gives born-again global;
    - ``derived_vs_4_5``: the coding-frame rule gives another pathway than 4.5;
    - ``derived_purity_vs_4_5``: 4.5 says "all six aspects" but the coding is mixed, or the
      reverse;
    - ``claim_vs_appendix`` / ``claim_indeterminate``: a numeric claim in the text fails, or
      cannot be checked, against the appendix numbers;
    - ``definition_conflict``: born-global and born-again-global screens (frame ``definitions``);
    - ``identical_appendix_different_class``: identical appendix entries, different classes.

    Parameters
    ----------
    cases : mapping
        The case data from :func:`load_cases`.
    derived : DataFrame
        Output of :func:`derive_pathways`.
    frame : mapping, optional
        The coding frame; its ``definitions`` set the screens (defaults: born global = first
        foreign sale within 3 years and >= 25% abroad; born-again global = >= 10 domestic years).

    Returns
    -------
    DataFrame
        Columns ``firm`` (``ALL`` for study-wide, ``A/B`` for pairs), ``dimension``,
        ``section_a``, ``statement_a``, ``section_b``, ``statement_b``, ``kind``, ``note``,
        ``origin`` ("recorded" or "computed"); sorted by firm, kind, dimension, sections.
    """
    defs = dict(_DEFAULT_DEFINITIONS)
    if frame is not None:
        defs.update(frame.get("definitions") or {})
    rows: list[dict[str, str]] = []
    for r in cases.get("recorded_disagreements") or []:
        rows.append(_row(str(r["firm"]), str(r.get("dimension", "")), str(r["section_a"]),
                         str(r["statement_a"]), str(r["section_b"]), str(r["statement_b"]),
                         str(r["kind"]), str(r.get("note", "")), "recorded"))
    rows.extend(_section_vs_final(cases))
    for d in derived.itertuples(index=False):
        if not d.agrees:
            rows.append(_row(
                d.firm, "overall", "derived (coding_frame rule)", d.rule, "4.5",
                str(d.study_4_5_statement), "derived_vs_4_5",
                f"Rule gives {d.derived_pathway}; 4.5 says {d.study_4_5_pathway}.", "computed"))
        if d.purity_agrees is not pd.NA and not bool(d.purity_agrees):
            rows.append(_row(
                d.firm, "overall", "derived (coding_frame rule)",
                f"{d.derived_pathway}, mixed={bool(d.mixed)}: {d.rule}", "4.5",
                str(d.study_4_5_statement), "derived_purity_vs_4_5",
                "4.5 says all six aspects are alike, but the coded dimensions are mixed."
                if d.mixed else "4.5 says aspects are mixed, but every coded dimension agrees.",
                "computed"))
    for c in evaluate_claims(cases).itertuples(index=False):
        if c.result == "holds":
            continue
        rows.append(_row(
            c.firm, "pace", c.section, c.text, "Appendix 1", c.appendix,
            "claim_vs_appendix" if c.result == "fails" else "claim_indeterminate",
            f"Claim {c.claim}: {c.variable} {c.op} {c.value:g} {c.result} against the appendix.",
            "computed"))
    rows.extend(_screens(cases, defs))
    rows.extend(_identical_appendix(cases))
    out = pd.DataFrame(rows, columns=DISAGREEMENT_COLUMNS)
    return (out.sort_values(["firm", "kind", "dimension", "section_a", "section_b"],
                            kind="stable").reset_index(drop=True))


def run_cases(*, cases_path: str, frame_path: str, out_matrix: str, out_wide: str,
              out_pathways: str, out_disagreements: str, out_claims: str) -> pd.DataFrame:
    """Stage ``cases``: code the case firms, derive their pathways, list the disagreements."""
    import logging

    from analysis.runlog import write_csv

    log = logging.getLogger(__name__)
    cases = load_cases(cases_path)
    frame = load_coding_frame(frame_path)
    matrix = cross_case_matrix(cases, frame)
    derived = derive_pathways(matrix, frame)
    disagreements = study_disagreements(cases, derived, frame)
    write_csv(matrix, out_matrix)
    write_csv(cross_case_wide(matrix), out_wide)
    write_csv(derived, out_pathways)
    write_csv(disagreements, out_disagreements)
    write_csv(evaluate_claims(cases), out_claims)
    log.info("%d firms; derived pathway agrees with section 4.5 for %d; %d disagreements",
             len(derived), int(derived["agrees"].sum()), len(disagreements))
    return derived
