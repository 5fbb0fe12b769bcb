"""Validates a document against one of the schemas beside this file, for tests/formats.rs.

Usage: validate.py sarif|junit DOCUMENT. Prints each problem on a line of its own and exits 1
when the document is not valid; exits 2 when a module it needs is missing, so that the test
fails instead of passing unchecked.
"""

import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def missing(module):
    print(
        f"the Python module {module} is missing: pip install jsonschema rfc3986-validator "
        "rfc3339-validator xmlschema (.ci/run does)",
        file=sys.stderr,
    )
    sys.exit(2)


def sarif(document):
    try:
        import jsonschema
    except ImportError:
        missing("jsonschema")
    checker = jsonschema.FormatChecker()
    # jsonschema checks a format only where the module that checks it is installed, and passes
    # it silently otherwise: the formats SARIF uses must be checked.
    for fmt, module in [
        ("uri", "rfc3986-validator"),
        ("uri-reference", "rfc3986-validator"),
        ("date-time", "rfc3339-validator"),
    ]:
        if fmt not in checker.checkers:
            missing(module)
    schema = json.loads((HERE / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=checker)
    instance = json.loads(pathlib.Path(document).read_text(encoding="utf-8"))
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def junit(document):
    try:
        import xmlschema
    except ImportError:
        missing("xmlschema")
    schema = xmlschema.XMLSchema(str(HERE / "junit-10.xsd"))
    return [str(error) for error in schema.iter_errors(document)]


def main():
    kind, document = sys.argv[1], sys.argv[2]
    problems = {"sarif": sarif, "junit": junit}[kind](document)
    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)


main()
