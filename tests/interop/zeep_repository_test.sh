#!/bin/sh
# Runs the zeep repository interop test with Debian's python3 (whose path has python3-zeep); -B: no __pycache__ of zeep_net.py in the source tree.
exec /usr/bin/python3 -B tests/interop/zeep_repository_test.py "$@"
