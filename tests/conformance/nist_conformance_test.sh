#!/bin/sh
# Runs the NIST XDS.b Registry/Repository collections through tests/conformance/run.py
# with the binaries from this test's runfiles; JUnit XML goes to $XML_OUTPUT_FILE so Bazel
# counts one testcase per NIST test id. Exit 1 when an applicable test fails.
if [ -z "${XDS_SHARED:-}" ] || [ ! -d "$XDS_SHARED/conformance/nist-testkit" ]; then
  echo "nist_conformance_test: SKIPPED: \$XDS_SHARED is empty or \$XDS_SHARED/conformance is absent"
  exit 0
fi
exec /usr/bin/python3 tests/conformance/run.py \
  --bin-dir . ${XML_OUTPUT_FILE:+--junit "$XML_OUTPUT_FILE"} "$@"
