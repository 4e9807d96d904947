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
#: Numeric columns of each schema (read back as floats; everything else stays a string).
STAT_NUMERIC = ["value", "df", "p", "ci_low", "ci_high"]
RESULT_NUMERIC = [*STAT_NUMERIC, "p_holm", "p_bh", "n_total", "n_group1", "n_group2"]
VERDICT_NUMERIC = ["units_supported", "units_estimable", "units_total"]
NORMALITY_NUMERIC = ["statistic", "df", "p", "alpha"]

#: Columns identifying a comparison in the results schema (one test row each).
COMPARISON_KEY = ["sample", "hypothesis", "spec_id", "scope", "year", "stratum_var", "stratum"]
#: Context columns repeated in every raw (CSV) table built from the results.
CONTEXT_OUT = ["sample", "hypothesis", "spec_id", "outcome", "group_var", "group1", "group2",
               "population", "scope", "year", "stratum_var", "stratum"]
