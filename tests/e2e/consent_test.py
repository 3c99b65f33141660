"""The consent desk of issue 16 end to end: the real xds-registry on 127.0.0.1, mutual TLS, xdsctl.

  1. The region's desk (an administrator's certificate) grants, denies, lists (json), revokes by
     subject (the DESIGN §5 contract) and by rule id, starts and ends a treatment relationship
     and records an exclusion; a consumer-only node is refused (PERMISSION_DENIED) and changes
     nothing; `xdsctl audit --patient` shows every change with the desk's organisation and what
     changed in "detail".
  2. A registry restart keeps her policy.
  3. --policy_file: the example file is accepted (and checks the categories the desk names); a
     malformed one stops the registry with a message naming the field.
Enforcement on ITI-18/43 is tested in access_policy_test.py.
"""
import json
import os
import tempfile
import unittest

from region import XDSCTL, Pki, must, run, start, stop

REGISTRY = "registry/xds-registry"
POLICY = "deploy/policy.example.json"
AUTHORITY = "1.2.3.4.5"
PATIENT = "MOTHER-1^^^&1.2.3.4.5&ISO"
OTHER = "OTHER-2^^^&1.2.3.4.5&ISO"
STRANGER = "NOBODY-3^^^&1.2.3.4.5&ISO"  # never admitted
DESK_ORG = "2.999.5.9"
HOSPITAL_ORG = "2.999.5.2"


class ConsentDeskTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.pki = Pki(os.path.join(cls.tmp, "pki"), "Consent test")
        cls.ca = cls.pki.ca
        cert, key = cls.pki.server("registry", "2.999.1.1")
        cls.desk = cls.pki.issue("region-desk", DESK_ORG, "admin")
        cls.hospital = cls.pki.issue("hospital", HOSPITAL_ORG, "consumer,source")
        cls.args = ["--tls_ca=" + cls.ca, "--tls_crl=" + cls.pki.crl, "--tls_cert=" + cert,
                    "--tls_key=" + key, "--patient_authority=" + AUTHORITY, "--policy_file=" + POLICY]
        cls.start_registry()
        for patient in (PATIENT, OTHER):
            cls.ctl_as(cls.desk, "patient", "add", patient).check_returncode()

    @classmethod
    def start_registry(cls):
        cls.registry, _, port = start(REGISTRY, cls.args, "registry", cls.tmp)
        cls.registry_grpc = "127.0.0.1:%d" % port

    @classmethod
    def stop_registry(cls):
        stop([cls.registry])

    @classmethod
    def tearDownClass(cls):
        cls.stop_registry()

    @classmethod
    def ctl_as(cls, who, *args):
        cert, key = who
        return run([XDSCTL, "--registry_grpc=" + cls.registry_grpc, "--tls_ca=" + cls.ca, "--tls_cert=" + cert,
                    "--tls_key=" + key] + list(args))

    def desk_ok(self, *args):
        out = self.ctl_as(self.desk, "consent", *args)
        self.assertEqual(out.returncode, 0, "%s: %s%s" % (args, out.stdout, out.stderr))
        return out.stdout

    def consent(self, patient=PATIENT, *extra):
        return json.loads(self.desk_ok("list", "--patient", patient, "--format=json", *extra))

    @staticmethod
    def without_active(c):
        """Her policy without the "active" flags (they depend on the clock)."""
        c = json.loads(json.dumps(c))
        for kind in ("rules", "relationships", "exclusions"):
            for item in c[kind]:
                item.pop("active")
        return c

    def test_1_desk_story(self):
        # DESIGN §5: grant for one organisation, exactly like that.
        self.desk_ok("grant", "--patient", PATIENT, "--organization-id", HOSPITAL_ORG)
        youth = json.loads(self.desk_ok("grant", "--patient", PATIENT, "--category", "youth-health",
                                        "--data-category", "newborn", "--from", "20260101", "--to", "20300101",
                                        "--format=json"))
        self.assertTrue(youth["changed"])
        youth_rule = youth["ruleIds"][0]
        self.desk_ok("deny", "--patient", PATIENT, "--everyone", "--data-category", "psychosocial")
        # Granting the same again changes nothing.
        again = json.loads(self.desk_ok("grant", "--patient", PATIENT, "--organization-id", HOSPITAL_ORG,
                                        "--format=json"))
        self.assertFalse(again["changed"])

        c = self.consent()
        self.assertEqual(c["patientId"], PATIENT)
        self.assertEqual([(r["effect"], r["subject"], r["dataCategory"]) for r in c["rules"]],
                         [("permit", "organization:" + HOSPITAL_ORG, "*"),
                          ("permit", "category:youth-health", "newborn"),
                          ("deny", "*", "psychosocial")])
        self.assertEqual(c["rules"][1]["validFrom"], "2026-01-01T00:00:00.000Z")
        self.assertEqual(c["rules"][1]["validTo"], "2030-01-01T00:00:00.000Z")
        self.assertIsNone(c["rules"][0]["validTo"])
        self.assertTrue(all(r["source"] == "desk" for r in c["rules"]))
        # DESIGN §5: list for one organisation.
        only = self.consent(PATIENT, "--organization-id", HOSPITAL_ORG)
        self.assertEqual([r["subject"] for r in only["rules"]], ["organization:" + HOSPITAL_ORG])
        # The other woman's policy is hers alone.
        self.assertEqual(self.consent(OTHER)["rules"], [])

        # The domain policy (--policy_file) knows its categories: a typo is refused, nothing kept.
        typo = self.ctl_as(self.desk, "consent", "grant", "--patient", PATIENT, "--category", "hospitals")
        self.assertEqual(typo.returncode, 1, typo.stdout + typo.stderr)
        self.assertIn("no organisation category", typo.stderr)
        typo = self.ctl_as(self.desk, "consent", "grant", "--patient", PATIENT, "--category", "hospital",
                           "--data-category", "xrays")
        self.assertEqual(typo.returncode, 1, typo.stdout + typo.stderr)
        self.assertIn("no data category", typo.stderr)
        # An unknown patient: exit 4, nothing kept.
        unknown = self.ctl_as(self.desk, "consent", "grant", "--patient", STRANGER, "--organization-id",
                              HOSPITAL_ORG)
        self.assertEqual(unknown.returncode, 4, unknown.stdout + unknown.stderr)
        self.assertIn("patient index", unknown.stderr)

        # DESIGN §5: revoke one organisation's rules, exactly like that; then one rule by id.
        self.desk_ok("revoke", "--patient", PATIENT, "--organization-id", HOSPITAL_ORG)
        self.desk_ok("revoke", "--patient", PATIENT, "--rule", youth_rule)
        gone = self.ctl_as(self.desk, "consent", "revoke", "--patient", PATIENT, "--rule", youth_rule)
        self.assertEqual(gone.returncode, 4, gone.stdout + gone.stderr)
        self.assertEqual([r["subject"] for r in self.consent()["rules"]], ["*"])

        # A treatment relationship from now, then ended; an exclusion.
        self.desk_ok("relationship", "start", "--patient", PATIENT, "--organization-id", HOSPITAL_ORG)
        rel = self.consent()["relationships"]
        self.assertEqual(len(rel), 1)
        self.assertTrue(rel[0]["active"])
        self.assertIsNone(rel[0]["end"])
        self.desk_ok("relationship", "end", "--patient", PATIENT, "--organization-id", HOSPITAL_ORG)
        rel = self.consent()["relationships"]
        self.assertFalse(rel[0]["active"])
        self.assertIsNotNone(rel[0]["end"])
        self.desk_ok("exclude", "--patient", PATIENT, "--professional", "dr-nosy")
        exclusions = self.consent()["exclusions"]
        self.assertEqual([(e["subject"], e["active"]) for e in exclusions], [("professional:dr-nosy", True)])

        # A consumer-only node may not touch (or read) her consent: PERMISSION_DENIED, nothing changed.
        before = self.without_active(self.consent())
        for args in (["grant", "--patient", PATIENT, "--organization-id", HOSPITAL_ORG],
                     ["revoke", "--patient", PATIENT, "--everyone"],
                     ["unexclude", "--patient", PATIENT, "--professional", "dr-nosy"],
                     ["relationship", "start", "--patient", PATIENT, "--organization-id", HOSPITAL_ORG],
                     ["list", "--patient", PATIENT]):
            refused = self.ctl_as(self.hospital, "consent", *args)
            self.assertEqual(refused.returncode, 1, "%s: %s%s" % (args, refused.stdout, refused.stderr))
            self.assertRegex(refused.stderr, r"may not use Consent\w+: its certificate lacks the 'admin' right")
        self.assertEqual(self.without_active(self.consent()), before)

        # Her access log: every change, by the desk's organisation, with what changed.
        out = self.ctl_as(self.desk, "audit", "--patient", PATIENT, "--format=json")
        self.assertEqual(out.returncode, 0, out.stderr)
        events = [e for e in json.loads(out.stdout)["events"]
                  if e["transaction"].startswith("Consent") and e["transaction"] != "ConsentList"]
        got = [(e["transaction"], e["outcome"], e.get("detail", "")) for e in events]
        want = [
            ("ConsentGrant", "success", r"^permit organization:2\.999\.5\.2 data category \* \(rule \d+\)$"),
            ("ConsentGrant", "success",
             r"^permit category:youth-health data category newborn from 20260101000000 until 20300101000000 "
             r"\(rule %s\)$" % youth_rule),
            ("ConsentDeny", "success", r"^deny \* data category psychosocial \(rule \d+\)$"),
            ("ConsentGrant", "success", r"^permit organization:2\.999\.5\.2 data category \* \(rule \d+\)$"),
            ("ConsentGrant", "failure", r"^permit category:hospitals"),
            ("ConsentGrant", "failure", r"^permit category:hospital data category xrays"),
            ("ConsentRevoke", "success", r"^revoke organization:2\.999\.5\.2 \(rule \d+\)$"),
            ("ConsentRevoke", "success", r"^revoke rule %s$" % youth_rule),
            ("ConsentRevoke", "failure", r"^revoke rule %s$" % youth_rule),
            ("ConsentRelationshipStart", "success", r"^start treatment relationship with organization:2\.999\.5\.2 at \d{14}$"),
            ("ConsentRelationshipEnd", "success", r"^end treatment relationship with organization:2\.999\.5\.2 at \d{14}$"),
            ("ConsentExclude", "success", r"^exclude professional:dr-nosy at \d{14}$"),
        ]
        self.assertEqual(len(got), len(want), json.dumps(events, indent=1))
        for (transaction, outcome, detail), (w_transaction, w_outcome, w_detail) in zip(got, want):
            self.assertEqual((transaction, outcome), (w_transaction, w_outcome), detail)
            self.assertRegex(detail, w_detail)
        for e in events:
            self.assertEqual(e["organizationId"], DESK_ORG, e)
            self.assertEqual(e["patientId"], PATIENT, e)
        # The consumer's refused attempts taught it nothing about her: not in her log.
        self.assertNotIn(HOSPITAL_ORG, {e["organizationId"] for e in json.loads(out.stdout)["events"]})
        self.assertNotIn(PATIENT, json.dumps(json.loads(must(
            XDSCTL, "--registry_grpc=" + self.registry_grpc, "--tls_ca=" + self.ca, "--tls_cert=" + self.desk[0],
            "--tls_key=" + self.desk[1], "audit", "--patient", OTHER, "--format=json"))))
        verify = self.ctl_as(self.desk, "audit", "verify")
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

    def test_2_restart_keeps_the_policy(self):
        self.desk_ok("grant", "--patient", OTHER, "--category", "midwifery", "--data-category", "pregnancy")
        self.desk_ok("relationship", "start", "--patient", OTHER, "--professional", "midwife-anna")
        self.desk_ok("exclude", "--patient", OTHER, "--organization-id", "2.999.6.6")
        before = self.without_active(self.consent(OTHER))
        self.assertEqual(len(before["rules"]), 1)
        self.stop_registry()
        self.start_registry()
        self.assertEqual(self.without_active(self.consent(OTHER)), before)

    def test_3_malformed_policy_file_refuses_to_start(self):
        bad = os.path.join(self.tmp, "bad-policy.json")
        with open(POLICY) as f:
            policy = json.load(f)
        policy["consent_model"] = "opt-sideways"
        with open(bad, "w") as f:
            json.dump(policy, f)
        for path, message in ((bad, "consent_model"), (os.path.join(self.tmp, "missing.json"), "cannot be read")):
            out = run([REGISTRY, "--insecure", "--data_dir=" + os.path.join(self.tmp, "refused"), "--http_port=0",
                       "--grpc_port=0", "--policy_file=" + path])
            self.assertNotEqual(out.returncode, 0, out.stderr)
            self.assertIn("--policy_file", out.stderr)
            self.assertIn(message, out.stderr)


if __name__ == "__main__":
    unittest.main()
