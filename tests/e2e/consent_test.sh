#!/bin/sh
# The consent desk end to end over mutual TLS (see consent_test.py).
exec /usr/bin/python3 tests/e2e/consent_test.py "$@"
