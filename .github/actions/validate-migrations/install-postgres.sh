#!/usr/bin/env bash
# Installs PostgreSQL's server binaries where they are missing: each major of POSTGRES_VERSIONS
# (space-separated) as postgresql-MAJOR where the runner's apt has it, or, where none is asked
# for, the distribution's own postgresql when no initdb is found. GitHub's Ubuntu runners have one major installed already.
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
    # A major the runner's apt sources lack is left to the tool, which run.sh allows to download
    # it from the npm registry (--download-postgres) with the runner's own npm.
    installable=()
    for package in "${missing[@]}"; do
        if apt-cache show "$package" >/dev/null 2>&1; then
            installable+=("$package")
        else
            echo "::notice title=validate-migrations::$package is not in the runner's apt sources: the tool downloads it from the npm registry instead"
        fi
    done
    if [ "${#installable[@]}" -gt 0 ]; then
        sudo apt-get install -y "${installable[@]}"
    fi
fi
