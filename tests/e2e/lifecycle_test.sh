#!/bin/sh
# The document lifecycle end to end (see lifecycle_test.py).
exec /usr/bin/python3 tests/e2e/lifecycle_test.py "$@"
