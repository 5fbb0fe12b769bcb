#!/usr/bin/env bash
# Installs PostgreSQL's server binaries where they are missing: each major of POSTGRES_VERSIONS
# (space-separated) as postgresql-MAJOR, or, where none is asked for, the distribution's own
# postgresql when no initdb is found. GitHub's Ubuntu runners have one major installed already.
set -euo pipefail
missing=()
for major in ${POSTGRES_VERSIONS:-}; do
    if [ ! -x "/usr/lib/postgresql/$major/bin/initdb" ]; then
        missing+=("postgresql-$major")
    fi
done
if [ -z "${POSTGRES_VERSIONS:-}" ] && [ -z "${PG_BIN:-}" ] && ! command -v initdb >/dev/null \
    && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    missing+=(postgresql)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    sudo apt-get update
    sudo apt-get install -y "${missing[@]}"
fi
