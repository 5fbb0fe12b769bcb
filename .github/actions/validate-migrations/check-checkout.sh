#!/usr/bin/env bash
# Fails a checkout without full history: the released-history checks and the upgrade chains read
# every release tag and the commits they point at, which a shallow clone (actions/checkout's
# default, `fetch-depth: 1`) lacks. The tool would only note that it could not check them; in CI
# that silent gap is worth a failed step with the fix.
set -euo pipefail
dir="${1:-.}"
if ! top=$(git -C "$dir" rev-parse --show-toplevel 2>/dev/null); then
    echo "::error title=validate-migrations::$dir is not in a git checkout: run actions/checkout first, with fetch-depth: 0"
    exit 1
fi
if [ "$(git -C "$dir" rev-parse --is-shallow-repository)" = true ]; then
    echo "::error title=validate-migrations::the checkout of $top is shallow: the released-history checks and the upgrade chains need every release tag and its history. Give actions/checkout fetch-depth: 0 (with: fetch-depth: 0)"
    exit 1
fi
if [ -z "$(git -C "$dir" tag --list 'v*')" ]; then
    echo "::notice title=validate-migrations::no release tags v* in $top: expected before the first release"
fi
