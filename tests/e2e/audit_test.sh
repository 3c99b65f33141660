#!/bin/sh
# The audit trail end to end: the story over mutual TLS + XUA, kill -9 under load, tamper detection (see audit_test.py).
exec /usr/bin/python3 tests/e2e/audit_test.py "$@"
