#!/usr/bin/env bash
# Runs the validation once, with every output the inputs ask for: the annotations on standard
# output, SARIF to its file. Under GITHUB_ACTIONS the tool appends the job summary itself.
set -euo pipefail
args=(validate-migrations)
if [ -n "${ROOT:-}" ]; then args+=(--root "$ROOT"); fi
if [ -n "${CONFIG:-}" ]; then args+=(--config "$CONFIG"); fi
for major in ${POSTGRES_VERSIONS:-}; do args+=(--postgres-version "$major"); done
# A major that apt could not install is downloaded from the npm registry; one that is installed
# is taken as it is.
if [ -n "${POSTGRES_VERSIONS:-}" ]; then args+=(--download-postgres); fi
for format in ${FORMAT:-}; do args+=(--format "$format"); done
if [ -n "${SARIF:-}" ]; then args+=(--format "sarif=$SARIF"); fi
if [ -n "${SHARD:-}" ]; then args+=(--shard "$SHARD"); fi
if [ -n "${FAIL_ON:-}" ]; then args+=(--fail-on "$FAIL_ON"); fi
if [ -n "${COMMAND:-}" ]; then
    # A command of several words, as `cargo xtask`: split on spaces, as a shell would.
    read -r -a command <<<"$COMMAND"
else
    # The tool built from the action's own source, which is a checkout of its repository, in a
    # target folder apart from the repository's own (the one the cache step keeps).
    export CARGO_TARGET_DIR="$BUILD_TARGET_DIR"
    command=(cargo run --quiet --manifest-path "$ACTION_PATH/../../../Cargo.toml" -p xtask --)
fi
exec "${command[@]}" "${args[@]}"
