#!/bin/sh
# Mutual TLS, revocation, node rights and XUA against a real registry + repository (see secure_node_test.py).
exec /usr/bin/python3 tests/e2e/secure_node_test.py "$@"
