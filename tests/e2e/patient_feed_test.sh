#!/bin/sh
# The patient identity feed (ITI-8 over MLLP, merges) end to end (see patient_feed_test.py).
exec /usr/bin/python3 tests/e2e/patient_feed_test.py "$@"
