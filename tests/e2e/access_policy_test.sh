#!/bin/sh
# Consent and access policy enforced on ITI-18 and ITI-43 over mutual TLS (see access_policy_test.py).
exec /usr/bin/python3 tests/e2e/access_policy_test.py "$@"
