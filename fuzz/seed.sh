#!/usr/bin/env bash
# Fill fuzz/corpus/<target>/ with seeds from the repository: the bundled policies and
# every tests/**/*.policy for the policy targets, example applicants for applicant_json and
# serve_json, framed LSP sessions for lsp_messages.
set -euo pipefail
cd "$(dirname "$0")"
for target in parse compile fmt_roundtrip; do
    mkdir -p "corpus/$target"
    cp ../policies/*.policy "corpus/$target/"
    find ../tests -name '*.policy' | while read -r f; do
        cp "$f" "corpus/$target/$(echo "${f#../tests/}" | tr '/' '_')"
    done
    cp seeds/policy/* "corpus/$target/" 2>/dev/null || true
done
for target in applicant_json serve_json; do
    mkdir -p "corpus/$target"
    cp ../examples/*.json "corpus/$target/" 2>/dev/null || true
    cp seeds/applicant/* "corpus/$target/" 2>/dev/null || true
done
mkdir -p corpus/lsp_messages
cp seeds/lsp/* corpus/lsp_messages/
