#!/bin/sh
# Runs the zeep interop test with Debian's python3 (whose path has python3-zeep).
exec /usr/bin/python3 tests/interop/zeep_registry_test.py "$@"
