#!/bin/sh
# Every xdsctl verb against a real registry + repository on 127.0.0.1 (see xdsctl_e2e_test.py).
exec /usr/bin/python3 tests/e2e/xdsctl_e2e_test.py "$@"
