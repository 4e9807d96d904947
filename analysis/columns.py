"""Column constants of the results schema (docs/results_schema.md), shared by every stage."""

CONTEXT_COLUMNS = [
    "sample", "hypothesis", "spec_id", "verdict_role", "scope", "year", "stratum_var", "stratum",
    "outcome", "group_var", "group1", "group2", "population", "test", "test_reason",
]
STAT_COLUMNS = ["statistic", "term", "value", "df", "p", "ci_low", "ci_high", "status", "reason"]
RESULT_COLUMNS = [
    *CONTEXT_COLUMNS, "role", *STAT_COLUMNS, "p_holm", "p_bh", "n_total", "n_group1",
    "n_group2", "expected_direction", "observed_direction", "synthetic",
]
VERDICT_COLUMNS = [
    "sample", "hypothesis", "label", "secondary", "study_verdict", "rule", "rule_description",
    "verdict", "agree", "units_supported", "units_estimable", "units_total",
    "direction_observed", "summary", "synthetic",
]
