#!/bin/sh
# Runs the zeep repository interop test with Debian's python3 (whose path has python3-zeep).
exec /usr/bin/python3 tests/interop/zeep_repository_test.py "$@"
