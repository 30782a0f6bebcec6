#!/usr/bin/python3
"""Validates netcheck reports against docs/report.schema.json.

Usage: tests/validate-report.py REPORT.json... ; exit 0 when all are valid.
Runs with Debian's python3 (python3-jsonschema).
"""
import json
import os
import sys

import jsonschema

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "docs", "report.schema.json")) as f:
    schema = json.load(f)
validator = jsonschema.Draft202012Validator(schema)
bad = 0
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: {e}")
        bad += 1
        continue
    errors = sorted(validator.iter_errors(report), key=lambda e: list(e.path))
    for e in errors[:5]:
        print(f"{path}: {'/'.join(str(p) for p in e.path)}: {e.message}")
    bad += bool(errors)
sys.exit(1 if bad or not sys.argv[1:] else 0)
