"""The mixed-methods joint display: quantitative verdicts beside the case-firm evidence.

One row per hypothesis in the verdicts table and one per resource theme of the study's
section 5. The qualitative evidence is assembled from the case data (statements, Appendix 1
facts, study-level findings) and the cross-case matrix as directed by
``config/integration.yaml``; the fit ("converge", "diverge", "complement", "n/a") comes from
the ordered, declarative ``fit_rule`` there. See ``docs/qualitative.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import PipelineInputError
from analysis.qual.cases import case_facts, case_statements, resolve_alias

FIT_CONDITIONS: tuple[str, ...] = (
    "no_mapping", "quantitative_not_estimable", "qualitative_undirected",
    "direction_opposite", "verdict_differs", "direction_mixed", "always",
)
FITS: tuple[str, ...] = ("converge", "diverge", "complement", "n/a")
ESTIMABLE: tuple[str, ...] = ("Supported", "Not supported")
OPPOSITE: dict[str, str] = {"negative": "positive", "positive": "negative"}
VERDICT_COLUMNS: tuple[str, ...] = (
    "hypothesis", "label", "study_verdict", "verdict", "direction_observed", "summary",
)
DISPLAY_COLUMNS: list[str] = [
    "row_type", "id", "label", "quantitative_result", "verdict", "study_verdict",
    "direction_observed", "implied_verdict", "implied_direction", "qualitative_evidence",
    "coded_values", "evidence_refs", "rationale", "fit", "fit_reason", "meta_inference",
]


def load_integration_config(path: str | Path) -> dict[str, Any]:
    """Read and check ``config/integration.yaml``.

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    dict
        Keys ``fit_rule``, ``theme_fit``, ``hypotheses``, ``themes``.
    """
    from analysis.config import load_yaml

    cfg = load_yaml(path)
    _check_config(cfg)
    return cfg


def _check_config(cfg: Mapping[str, Any]) -> None:
    problems = []
    for i, step in enumerate(cfg.get("fit_rule") or []):
        if step.get("when") not in FIT_CONDITIONS:
            problems.append(f"fit_rule[{i}].when: {step.get('when')!r} not in {FIT_CONDITIONS}")
        if step.get("fit") not in FITS:
            problems.append(f"fit_rule[{i}].fit: {step.get('fit')!r} not in {FITS}")
    if not cfg.get("fit_rule"):
        problems.append("fit_rule: missing")
    for h, spec in (cfg.get("hypotheses") or {}).items():
        if spec.get("implied_verdict") not in (*ESTIMABLE, None):
            problems.append(f"hypotheses.{h}.implied_verdict: {spec.get('implied_verdict')!r}")
        if spec.get("implied_direction", "none") not in ("negative", "positive", "none", None):
            problems.append(f"hypotheses.{h}.implied_direction: "
                            f"{spec.get('implied_direction')!r}")
    for key, val in (cfg.get("theme_fit") or {}).items():
        if val not in FITS:
            problems.append(f"theme_fit.{key}: {val!r} not in {FITS}")
    if problems:
        raise PipelineInputError("integration configuration is not valid", problems)


def _natural_key(h: str) -> tuple[str, int, str]:
    m = re.match(r"^([A-Za-z]*)(\d+)(.*)$", str(h))
    return (m.group(1), int(m.group(2)), m.group(3)) if m else (str(h), 0, "")


def _direction(spec: Mapping[str, Any]) -> str:
    d = spec.get("implied_direction")
    return "none" if d in (None, "") else str(d)


def _fit(spec: Mapping[str, Any] | None, verdict_row: Mapping[str, Any] | None,
         rule: list[Mapping[str, Any]]) -> tuple[str, str]:
    verdict = "" if verdict_row is None else str(verdict_row.get("verdict") or "")
    observed = "" if verdict_row is None else str(verdict_row.get("direction_observed") or "")
    implied = "none" if spec is None else _direction(spec)
    conditions = {
        "no_mapping": spec is None or verdict_row is None,
        "quantitative_not_estimable": verdict not in ESTIMABLE,
        "qualitative_undirected": implied == "none",
        "direction_opposite": OPPOSITE.get(implied) == observed,
        "verdict_differs": spec is not None and verdict != spec.get("implied_verdict"),
        "direction_mixed": observed == "mixed",
        "always": True,
    }
    for step in rule:
        if conditions[step["when"]]:
            return str(step["fit"]), f"{step['when']}: {step.get('note', '')}".rstrip(": ")
    return "n/a", "no fit_rule condition held"


def _evidence(items: list[Mapping[str, Any]], cases: Mapping[str, Any], statements: pd.DataFrame,
              facts: pd.DataFrame, matrix: pd.DataFrame, where: str) -> tuple[str, str, str]:
    findings = {f["id"]: f for f in cases.get("cross_case_findings") or []}
    texts, refs, coded = [], [], []
    for item in items:
        if "finding" in item:
            f = findings.get(item["finding"])
            if f is None:
                raise PipelineInputError(
                    f"{where}: unknown finding {item['finding']!r}; known: {sorted(findings)}")
            texts.append(f"{f['text']} [{f['source']}]")
            refs.append(f"finding:{f['id']}")
        elif "fact" in item:
            var = item["fact"]
            if var == "years_to_first_foreign_sale":
                vals = ", ".join(f"{r.firm} {r.years_to_first_foreign_sale}"
                                 for r in facts.itertuples(index=False))
                texts.append(f"Years from establishment to first foreign sale: {vals} "
                             "[Appendix 1]")
            elif var == "share_of_sales_abroad":
                vals = ", ".join(f"{r.firm} {r.share_of_sales_abroad:g}%"
                                 for r in facts.itertuples(index=False))
                texts.append(f"Current share of annual sales abroad: {vals} [Appendix 1]")
            else:
                raise PipelineInputError(f"{where}: unknown fact {var!r}")
            refs.append(f"fact:{var}")
        elif "dimension" in item:
            dim = item["dimension"]
            if dim not in set(statements["dimension"]):
                raise PipelineInputError(f"{where}: unknown dimension {dim!r}")
            firms = item.get("firms", "all")
            ids = (sorted(set(statements["firm"])) if firms == "all"
                   else sorted(resolve_alias(f, cases) for f in firms))
            sel = statements[(statements["dimension"] == dim) & statements["firm"].isin(ids)]
            if item.get("contains"):
                sel = sel[sel["text"].str.contains(str(item["contains"]), case=False,
                                                   regex=False)]
            if item.get("source"):
                sel = sel[sel["source"].str.contains(str(item["source"]), case=False,
                                                     regex=False)]
            for r in sel.itertuples(index=False):
                texts.append(f"{r.firm}: {r.text} [{r.source}]")
                refs.append(f"{r.firm}.{r.dimension}[{r.source}]")
            m = matrix[(matrix["dimension"] == dim) & matrix["firm"].isin(ids)]
            if len(m):
                parts = []
                for code, g in m.groupby(m["code"].fillna("uncoded"), sort=True):
                    parts.append(f"{code} {len(g)} ({', '.join(sorted(g['firm']))})")
                coded.append(f"{dim}: " + "; ".join(parts))
        else:
            raise PipelineInputError(f"{where}: evidence item needs finding, fact or dimension")
    return " | ".join(texts), "; ".join(dict.fromkeys(coded)), "; ".join(dict.fromkeys(refs))


def joint_display(verdicts: pd.DataFrame, cases: Mapping[str, Any], matrix: pd.DataFrame,
                  integration_cfg: Mapping[str, Any], *, rule: str | None = None,
                  sample: str | None = None) -> pd.DataFrame:
    """Build the mixed-methods joint display.

    Parameters
    ----------
    verdicts : DataFrame
        From the hypothesis engine: ``hypothesis``, ``label``, ``study_verdict``, ``verdict``
        ("Supported" / "Not supported" / "Not estimable"), ``direction_observed`` ("negative",
        "positive", "mixed", ""), ``summary``. Every hypothesis in it gets a row.
    cases : mapping
        The case data (:func:`analysis.qual.cases.load_cases`).
    matrix : DataFrame
        The cross-case matrix (:func:`analysis.qual.cases.cross_case_matrix`).
    integration_cfg : mapping
        ``config/integration.yaml``.
    rule, sample : str, optional
        If given and ``verdicts`` has ``rule`` / ``sample`` columns (the engine writes one row
        per hypothesis, rule and sample), keep only those rows. After filtering each hypothesis
        must occur once.

    Returns
    -------
    DataFrame
        Hypothesis rows (natural order: H1, H2, ..., H10) then theme rows (config order).
        Columns: ``row_type`` ("hypothesis"/"theme"), ``id``, ``label``,
        ``quantitative_result``, ``verdict``, ``study_verdict``, ``direction_observed``,
        ``implied_verdict``, ``implied_direction``, ``qualitative_evidence`` (statements with
        sources, " | "-separated; "no qualitative evidence mapped" if none), ``coded_values``
        (codes of the referenced dimensions), ``evidence_refs`` (pointers such as
        ``LAGCOM.finance[Appendix 2]`` or ``finding:F-5.1-pecking-order``), ``rationale``,
        ``fit`` ("converge", "diverge", "complement", "n/a"), ``fit_reason`` (the rule
        condition that decided) and ``meta_inference`` (:func:`meta_inference`).
    """
    _check_config(integration_cfg)
    missing = [c for c in VERDICT_COLUMNS if c not in verdicts.columns]
    if missing:
        raise PipelineInputError(f"verdicts: missing columns {missing}")
    for col, val in (("rule", rule), ("sample", sample)):
        if val is not None and col in verdicts.columns:
            verdicts = verdicts[verdicts[col] == val]
    dup = sorted(set(verdicts.loc[verdicts["hypothesis"].duplicated(), "hypothesis"]))
    if dup:
        raise PipelineInputError(
            f"verdicts: several rows for {', '.join(map(str, dup))}; pass the rows of one sample "
            "under one rule (joint_display(..., rule=..., sample=...))")
    fit_rule = list(integration_cfg["fit_rule"])
    hyp_cfg = integration_cfg.get("hypotheses") or {}
    statements = case_statements(cases)
    facts = case_facts(cases)
    vrows = {str(r["hypothesis"]): r for r in verdicts.to_dict("records")}
    rows = []
    fits: dict[str, str] = {}
    for h in sorted(vrows, key=_natural_key):
        v = vrows[h]
        spec = hyp_cfg.get(h)
        fit, reason = _fit(spec, v, fit_rule)
        fits[h] = fit
        if spec is None:
            evidence, coded, refs = "no qualitative evidence mapped", "", ""
        else:
            evidence, coded, refs = _evidence(spec.get("evidence") or [], cases, statements,
                                              facts, matrix, f"hypotheses.{h}")
        direction = str(v.get("direction_observed") or "")
        rows.append({
            "row_type": "hypothesis", "id": h, "label": str(v.get("label") or ""),
            "quantitative_result": f"{v.get('verdict')} ({direction or 'no direction'}): "
                                   f"{v.get('summary') or ''}".rstrip(": "),
            "verdict": str(v.get("verdict") or ""),
            "study_verdict": str(v.get("study_verdict") or ""),
            "direction_observed": direction,
            "implied_verdict": "" if spec is None else str(spec.get("implied_verdict") or ""),
            "implied_direction": "" if spec is None else _direction(spec),
            "qualitative_evidence": evidence, "coded_values": coded, "evidence_refs": refs,
            "rationale": "" if spec is None else " ".join(str(spec.get("rationale", "")).split()),
            "fit": fit, "fit_reason": reason,
        })
    tf = {"no_link": "complement", "any_diverge": "diverge", "all_converge": "converge",
          "otherwise": "complement", **(integration_cfg.get("theme_fit") or {})}
    for t, spec in (integration_cfg.get("themes") or {}).items():
        links = [h for h in spec.get("quantitative_link") or [] if h in vrows]
        evidence, coded, refs = _evidence(spec.get("evidence") or [], cases, statements, facts,
                                          matrix, f"themes.{t}")
        link_fits = [fits[h] for h in links]
        if not links:
            fit, reason = tf["no_link"], "no_link: no quantitative counterpart in the verdicts"
        elif "diverge" in link_fits:
            fit, reason = tf["any_diverge"], "any_diverge: " + ", ".join(
                f"{h} {f}" for h, f in zip(links, link_fits, strict=True))
        elif all(f == "converge" for f in link_fits):
            fit, reason = tf["all_converge"], "all_converge: " + ", ".join(links)
        else:
            fit, reason = tf["otherwise"], "otherwise: " + ", ".join(
                f"{h} {f}" for h, f in zip(links, link_fits, strict=True))
        quant = " / ".join(
            f"{h}: {vrows[h].get('verdict')} "
            f"({vrows[h].get('direction_observed') or 'no direction'})"
            for h in links) or "no quantitative test (qualitative only)"
        rows.append({
            "row_type": "theme", "id": t, "label": str(spec.get("label", t)),
            "quantitative_result": quant,
            "verdict": "; ".join(str(vrows[h].get("verdict")) for h in links),
            "study_verdict": "; ".join(str(vrows[h].get("study_verdict")) for h in links),
            "direction_observed": "; ".join(str(vrows[h].get("direction_observed") or "")
                                            for h in links),
            "implied_verdict": "; ".join(str((hyp_cfg.get(h) or {}).get("implied_verdict") or "")
                                         for h in links),
            "implied_direction": "; ".join(_direction(hyp_cfg.get(h) or {}) for h in links),
            "qualitative_evidence": evidence or "no qualitative evidence mapped",
            "coded_values": coded, "evidence_refs": refs,
            "rationale": " ".join(str(spec.get("rationale", "")).split()),
            "fit": fit, "fit_reason": reason,
        })
    for r in rows:
        r["meta_inference"] = meta_inference(r)
    return pd.DataFrame(rows, columns=DISPLAY_COLUMNS)


def meta_inference(row: Mapping[str, Any]) -> str:
    """The meta-inference of one joint-display row: what the two arms say together.

    Derived from the row's fit, verdicts and directions (never typed by hand): converge -> the
    arms agree and the cases explain the mechanism; diverge -> which arm says what, and where
    to look; complement -> each arm covers a part the other does not; n/a -> nothing to
    integrate.

    Examples
    --------
    >>> meta_inference({"row_type": "hypothesis", "fit": "diverge", "verdict": "Not supported",
    ...                 "implied_verdict": "Supported", "implied_direction": "negative",
    ...                 "direction_observed": "negative", "study_verdict": "Supported"})[:60]
    'Divergence: the panel does not support the hypothesis while '
    """
    fit = str(row.get("fit") or "")
    verdict = str(row.get("verdict") or "")
    observed = str(row.get("direction_observed") or "") or "no"
    implied = str(row.get("implied_direction") or "")
    if row.get("row_type") == "theme":
        if fit == "converge":
            return "The linked hypotheses converge with the cases: the theme explains them."
        if fit == "diverge":
            return ("At least one linked hypothesis diverges from the cases: the theme's "
                    "mechanism is not visible in the panel.")
        if not str(row.get("verdict") or ""):
            return ("Qualitative only: the cases add a resource the quantitative arm does not "
                    "measure.")
        return "The cases add context the linked tests cannot show on their own."
    if fit == "converge":
        return (f"Convergence: the panel and the cases agree ({verdict.lower()}, {observed} "
                "direction); the cases explain how the difference arises.")
    if fit == "diverge":
        said = "supports" if verdict == "Supported" else "does not support"
        imp = str(row.get("implied_verdict") or "")
        return (f"Divergence: the panel {said} the hypothesis while the cases imply "
                + ("support" if imp == "Supported" else "no support" if imp else "otherwise")
                + (f" ({implied} direction)" if implied and implied != "none" else "")
                + f"; the observed direction is {observed}. Look at power and the sample "
                "before reading the divergence as substantive.")
    if fit == "complement":
        return (f"Complementarity: the panel's result ({verdict.lower() or 'no verdict'}, "
                f"{observed} direction) and the cases describe different aspects; read them "
                "together.")
    return "Nothing to integrate: no qualitative evidence is mapped to this result."


def run_integration(*, verdicts_path: str, cases_path: str, frame_path: str, config_path: str,
                    rule: str, out_display: str) -> pd.DataFrame:
    """Stage ``integration``: the joint display for the pooled sample under ``rule``."""
    from analysis.qual.cases import cross_case_matrix, load_cases, load_coding_frame
    from analysis.runlog import write_csv

    verdicts = pd.read_csv(verdicts_path)
    cases = load_cases(cases_path)
    matrix = cross_case_matrix(cases, load_coding_frame(frame_path))
    display = joint_display(verdicts, cases, matrix, load_integration_config(config_path),
                            rule=rule, sample="all")
    write_csv(display, out_display)
    return display
