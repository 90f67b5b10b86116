"""Exit codes, as pySHACL's: 0 success / conforms, 1 violations, 2 unusable input."""

OK, VIOLATIONS, UNUSABLE = 0, 1, 2
