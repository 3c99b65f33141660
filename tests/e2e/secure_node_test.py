"""Secure node end to end (issue 14): the real xds-registry and xds-repository on 127.0.0.1 on
mutual TLS with certificates of a region CA made by `xdsctl pki`, XUA assertions minted by
`xdsctl saml issue`, --log_calls. What a region relies on:

  1. a client with all rights: patient add (gRPC), ITI-41 (https) -> repository -> registry
     (mutual-TLS gRPC), find over gRPC and ITI-18, ITI-43 retrieve: byte-identical;
  2. the SOAP and gRPC ports refuse no certificate, another CA's, an expired one, plain HTTP;
  3. `pki revoke` + SIGHUP: the revoked certificate is refused, others still work; a broken CRL
     on SIGHUP keeps the previous context (and the service);
  4. rights from the certificate's OU values, refusals logged with the organisation id;
  5. XUA: claims in the call log; tampered -> wsse:FailedCheck; wrong audience, unknown IdP,
     missing where required -> wsse:FailedAuthentication;
  6. BCP195 (openssl s_client): TLS 1.2 ECDHE+AES-GCM and TLS 1.3 AES-GCM only;
  7. start-up refusals without TLS.

The openssl CLI signs the expired certificate and runs 6 (both skipped, saying so, when it is
absent) and makes the IdP keys (else xdsctl pki does)."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

XDSCTL = "tools/xdsctl/xdsctl"
OPENSSL = shutil.which("openssl")
AUTHORITY = "1.2.3.4.5"
PATIENT = "SEC-1^^^&1.2.3.4.5&ISO"
AUDIENCE = "https://registry.test/xds/registry"
REPOSITORY_ID = "1.2.3.4.5.8.1"
SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=30, **kw)


def start(binary, args, name, tmp):
    """Starts a service with its stderr in TMP/NAME.log; returns (process, http port, grpc port, log path)."""
    port_file = os.path.join(tmp, name + ".ports")
    log = os.path.join(tmp, name + ".log")
    with open(log, "w") as err:
        proc = subprocess.Popen([binary] + args + ["--data_dir=" + os.path.join(tmp, name), "--http_port=0",
                                                   "--grpc_port=0", "--port_file=" + port_file, "--log_calls"],
                                stdout=subprocess.DEVNULL, stderr=err)
    for _ in range(400):
        if os.path.exists(port_file):
            with open(port_file) as f:
                h, g = f.read().split()
            return proc, int(h), int(g), log
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    with open(log) as f:
        raise RuntimeError("%s did not start: %s" % (binary, f.read()))


def stored_query(patient, security=""):
    """An ITI-18 FindDocuments envelope, with `security` (a wsse:Security block) in its header."""
    return ('<s:Envelope xmlns:s="%s" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>'
            '<a:Action s:mustUnderstand="1">urn:ihe:iti:2007:RegistryStoredQuery</a:Action>'
            '<a:MessageID>urn:uuid:7e1c3d2e-1111-4222-8333-944455556666</a:MessageID>%s</s:Header><s:Body>'
            '<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
            '<query:ResponseOption returnType="ObjectRef" returnComposedObjects="true"/>'
            '<rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d">'
            '<rim:Slot name="$XDSDocumentEntryPatientId"><rim:ValueList><rim:Value>\'%s\'</rim:Value></rim:ValueList>'
            '</rim:Slot><rim:Slot name="$XDSDocumentEntryStatus"><rim:ValueList><rim:Value>'
            '(\'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved\')</rim:Value></rim:ValueList></rim:Slot>'
            '</rim:AdhocQuery></query:AdhocQueryRequest></s:Body></s:Envelope>') % (SOAP_NS, security, patient)


def security_header(assertion):
    assertion = re.sub(r"<\?xml[^>]*\?>", "", assertion).strip()
    return '<wsse:Security xmlns:wsse="%s" s:mustUnderstand="true">%s</wsse:Security>' % (WSSE_NS, assertion)


class SecureNodeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t0 = time.monotonic()
        cls.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.procs = []
        cls.pki = os.path.join(cls.tmp, "pki")
        cls.ca = os.path.join(cls.pki, "ca.pem")
        cls.must(XDSCTL, "pki", "init", "--dir", cls.pki, "--region", "Secure node test")
        cls.first_crl_time = time.time()
        server = ["--server", "--dns", "localhost", "--ip", "127.0.0.1"]
        registry_cert, registry_key = cls.issue("registry", "2.999.1.1", None, *server)
        repo_cert, repo_key = cls.issue("repository", "2.999.1.2", "source,consumer,repository", *server)
        cls.all = cls.issue("all-rights", "2.999.2.1", "consumer,source,admin")
        cls.consumer = cls.issue("consumer-only", "2.999.2.2", "consumer")
        cls.source = cls.issue("source-only", "2.999.2.3", "source")
        cls.doomed = cls.issue("to-be-revoked", "2.999.2.4", "consumer")
        other_pki = os.path.join(cls.tmp, "other-pki")
        cls.must(XDSCTL, "pki", "init", "--dir", other_pki, "--region", "Another region")
        cls.foreign = cls.issue("foreign", "2.999.9.1", "consumer,source,admin", pki=other_pki)
        # The registry reads its own copy of the CRL, so that a broken one breaks nothing else.
        cls.registry_crl = os.path.join(cls.tmp, "registry-crl.pem")
        shutil.copy(os.path.join(cls.pki, "crl.pem"), cls.registry_crl)
        cls.idp = cls.idp_credentials("idp")
        cls.rogue_idp = cls.idp_credentials("rogue-idp")  # a well-formed IdP the services do not trust

        xua = ["--xua_idp_certs=" + cls.idp[0], "--xua_audience=" + AUDIENCE]
        tls = ["--tls_ca=" + cls.ca]
        cls.registry, rh, rg, cls.registry_log = start(
            "registry/xds-registry", tls + ["--tls_cert=" + registry_cert, "--tls_key=" + registry_key,
                                            "--tls_crl=" + cls.registry_crl, "--patient_authority=" + AUTHORITY] + xua,
            "registry", cls.tmp)
        cls.procs.append(cls.registry)
        cls.registry_http, cls.registry_grpc = rh, "127.0.0.1:%d" % rg
        cls.registry_url = "https://127.0.0.1:%d/xds/registry" % rh
        cls.repository, ph, pg, cls.repository_log = start(
            "repository/xds-repository", tls + ["--tls_cert=" + repo_cert, "--tls_key=" + repo_key,
                                                "--tls_crl=" + os.path.join(cls.pki, "crl.pem"),
                                                "--registry_grpc=" + cls.registry_grpc,
                                                "--repository_unique_id=" + REPOSITORY_ID] + xua,
            "repository", cls.tmp)
        cls.procs.append(cls.repository)
        cls.repository_url = "https://127.0.0.1:%d/xds/repository" % ph
        cls.strict, sh, _, cls.strict_log = start(
            "registry/xds-registry", tls + ["--tls_cert=" + registry_cert, "--tls_key=" + registry_key,
                                            "--patient_authority=" + AUTHORITY, "--xua_required"] + xua,
            "strict-registry", cls.tmp)
        cls.procs.append(cls.strict)
        cls.strict_http = sh
        cls.letter = os.path.join(cls.tmp, "letter.bin")
        with open(cls.letter, "wb") as f:
            f.write(os.urandom(300000) + b"\r\n--MIMEBoundary\r\n\x00end")
        cls.ctl_as(cls.all, "patient", "add", PATIENT).check_returncode()

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            if p.poll() is None:
                p.terminate()
                p.wait()
        print("secure_node_test: %.1f s" % (time.monotonic() - cls.t0))

    # --- helpers --------------------------------------------------------------------------
    @staticmethod
    def must(*args):
        out = run(list(args))
        if out.returncode != 0:
            raise RuntimeError("%s failed (%d): %s%s" % (args, out.returncode, out.stdout, out.stderr))
        return out.stdout

    @classmethod
    def issue(cls, name, org, roles, *extra, pki=None):
        args = [XDSCTL, "pki", "issue", "--dir", pki or cls.pki, "--name", name, "--organization-id", org]
        args += ["--roles", roles] if roles else []
        issued = json.loads(cls.must(*args, *extra, "--format=json"))
        return issued["cert"], issued["key"]

    @classmethod
    def idp_credentials(cls, name):
        """An identity provider's key and self-signed certificate (openssl req; else a CA of xdsctl pki)."""
        key, cert = os.path.join(cls.tmp, name + ".key"), os.path.join(cls.tmp, name + ".pem")
        if OPENSSL:
            cls.must(OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", key, "-out", cert, "-subj", "/CN=" + name, "-days", "2")
            return cert, key
        d = os.path.join(cls.tmp, name)
        cls.must(XDSCTL, "pki", "init", "--dir", d, "--region", name)
        return cls.issue(name, "2.999.8.1", "consumer", pki=d)

    @classmethod
    def ctl_as(cls, who, *args, soap=False, ca=True):
        cert, key = who if who else (None, None)
        flags = ["--registry=" + cls.registry_url, "--repository=" + cls.repository_url]
        flags += ["--transport=soap"] if soap else ["--registry_grpc=" + cls.registry_grpc]
        flags += ["--tls_ca=" + cls.ca] if ca else []
        flags += ["--tls_cert=" + cert, "--tls_key=" + key] if cert else []
        return run([XDSCTL] + flags + list(args))

    def ctl(self, who, *args, expect=0, soap=False):
        out = self.ctl_as(who, *args, soap=soap)
        self.assertEqual(out.returncode, expect, "xdsctl %s\nstdout: %s\nstderr: %s" % (args, out.stdout, out.stderr))
        return out

    def find_uids(self, who, soap):
        found = json.loads(self.ctl(who, "find", "--patient", PATIENT, "--format=json", soap=soap).stdout)
        return {d["uniqueId"] for d in found["documentEntries"]}

    def post(self, port, envelope, who=None, version=None):
        """POSTs an ITI-18 envelope over TLS as `who` (cert, key) or None. Returns (status, body) or, when
        the TLS or HTTP exchange fails, the error's text (a str)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.ca)
        if who:
            ctx.load_cert_chain(*who)
        if version:
            ctx.minimum_version = ctx.maximum_version = version
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
        try:
            conn.request("POST", "/xds/registry", envelope.encode(),
                         {"Content-Type": "application/soap+xml; charset=UTF-8"})
            r = conn.getresponse()
            return r.status, r.read().decode()
        except (ssl.SSLError, OSError, http.client.HTTPException) as e:
            return "%s: %s" % (type(e).__name__, e)
        finally:
            conn.close()

    def assert_answers(self, who, port=None):
        got = self.post(port or self.registry_http, stored_query(PATIENT), who)
        self.assertIsInstance(got, tuple, "refused: %s" % (got,))
        self.assertEqual(got[0], 200, got)
        self.assertIn("AdhocQueryResponse", got[1])

    def assert_refused(self, who, alert, what, versions=(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)):
        for version in versions:
            got = self.post(self.registry_http, stored_query(PATIENT), who, version)
            self.assertIsInstance(got, str, "%s over %s was answered: %s" % (what, version, got))
            # TLS 1.3 refuses after the client's Finished: its alert may be lost in the reset of the
            # connection the client has written its request to. TLS 1.2 refuses inside the handshake.
            if alert and version == ssl.TLSVersion.TLSv1_2:
                self.assertIn(alert, got, "%s over %s" % (what, version))

    def assert_fault(self, got, subcode, reason):
        self.assertIsInstance(got, tuple, got)
        status, body = got
        self.assertEqual(status, 400, body)
        self.assertIn("<s:Fault>", body)
        self.assertIn("<s:Value>s:Sender</s:Value>", body)
        if subcode:
            self.assertRegex(body, r'<s:Subcode><s:Value xmlns:wsse="%s">%s</s:Value>' % (re.escape(WSSE_NS), subcode))
        self.assertIn(reason, body)
        self.assertNotIn("AdhocQueryResponse", body)

    def log_lines(self, log, *needles):
        with open(log) as f:
            return [line for line in f if all(n in line for n in needles)]

    def wait_for_log(self, log, needle, before):
        for _ in range(100):
            if len(self.log_lines(log, needle)) > before:
                return
            time.sleep(0.05)
        self.fail("no new '%s' in %s" % (needle, log))

    def sighup_registry(self):
        before = len(self.log_lines(self.registry_log, "TLS certificates"))
        self.registry.send_signal(signal.SIGHUP)
        self.wait_for_log(self.registry_log, "TLS certificates", before)
        self.assertIsNone(self.registry.poll(), "the registry died on SIGHUP")
        return self.log_lines(self.registry_log, "TLS certificates")[-1]

    def openssl_cert(self, name, start, end):
        """A consumer certificate signed with the region CA's key by `openssl ca`, valid START..END."""
        d = os.path.join(self.tmp, "openssl-ca-" + name)
        os.makedirs(d)
        open(os.path.join(d, "index.txt"), "w").close()
        conf = os.path.join(d, "ca.cnf")
        with open(conf, "w") as f:
            f.write("[ca]\ndefault_ca=c\n[c]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nrand_serial=yes\n"
                    "default_md=sha256\npolicy=p\nunique_subject=no\nx509_extensions=x\n[p]\ncommonName=supplied\n"
                    "[x]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\n"
                    "extendedKeyUsage=clientAuth\n" % (d, d))
        key, csr, cert = (os.path.join(d, name + s) for s in (".key", ".csr", ".pem"))
        self.must(OPENSSL, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", key, "-out", csr, "-subj", "/CN=%s/O=%s/OU=consumer/organizationIdentifier=2.999.3.1"
                  % (name, name))
        self.must(OPENSSL, "ca", "-batch", "-config", conf, "-preserveDN", "-cert", self.ca, "-keyfile",
                  os.path.join(self.pki, "ca.key"), "-in", csr, "-out", cert, "-startdate", start, "-enddate", end)
        return cert, key

    def mint(self, subject, audience=AUDIENCE, idp=None):
        cert, key = idp or self.idp
        return self.must(XDSCTL, "saml", "issue", "--subject", subject, "--organization", "Clinic North",
                         "--organization-id", "urn:oid:2.999.2.1", "--role", "158965000", "--purpose", "TREATMENT",
                         "--patient", PATIENT, "--audience", audience, "--key", key, "--cert", cert)

    # --- 1. the whole way with every right ----------------------------------------------------
    def test_1_submit_find_retrieve(self):
        sub = json.loads(self.ctl(self.all, "submit", self.letter, "--patient", PATIENT, "--class",
                                  "DISCHARGE^^2.999.100.1", "--format=json").stdout)
        uid = sub["documentEntries"][0]["uniqueId"]
        self.assertIn(uid, self.find_uids(self.all, soap=False))
        self.assertIn(uid, self.find_uids(self.all, soap=True))
        out = os.path.join(self.tmp, "retrieved.bin")
        got = json.loads(self.ctl(self.all, "retrieve", uid, "-o", out, "--format=json", soap=True).stdout)
        self.assertEqual(got["repositoryUniqueId"], REPOSITORY_ID)
        with open(out, "rb") as a, open(self.letter, "rb") as b:
            self.assertTrue(a.read() == b.read(), "ITI-43 returned other bytes")
        # The repository registered over mutual TLS as itself: the registry's log names its organisation.
        self.assertTrue(self.log_lines(self.registry_log, "ITI-42", "org=2.999.1.2", " ok ("))

    # --- 2. refused handshakes ---------------------------------------------------------------------
    def test_2_transport_refusals(self):
        self.assert_answers(self.all)
        self.assert_refused(None, "HANDSHAKE_FAILURE", "no client certificate")
        self.assert_refused(self.foreign, "UNKNOWN_CA", "another CA's certificate")
        # Plain HTTP to the TLS port: no HTTP answer.
        with socket.create_connection(("127.0.0.1", self.registry_http), timeout=5) as s:
            s.sendall(("POST /xds/registry HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\n"
                       "Content-Length: 2\r\nConnection: close\r\n\r\n<>").encode())
            answer = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
            except OSError:
                pass
        self.assertFalse(answer.startswith(b"HTTP/"), answer[:200])
        # gRPC: without a client certificate, or with another CA's: unreachable (3).
        self.assertEqual(self.ctl_as(None, "stats").returncode, 3)
        self.assertIn("could not be reached", self.ctl_as(self.foreign, "stats").stderr)
        self.assertEqual(self.ctl_as(self.foreign, "stats").returncode, 3)
        self.assertEqual(self.ctl_as(self.all, "stats").returncode, 0)
        self.assertEqual(self.ctl_as(self.all, "stats", ca=False).returncode, 3)  # the server is not trusted

    @unittest.skipUnless(OPENSSL, "openssl CLI absent (apt-get install openssl): expired certificate not checked")
    def test_2_expired_certificate(self):
        now = time.time()
        stamp = lambda t: time.strftime("%Y%m%d%H%M%SZ", time.gmtime(t))
        control = self.openssl_cert("fresh", stamp(now - 3600), stamp(now + 86400))
        expired = self.openssl_cert("expired", stamp(now - 10 * 86400), stamp(now - 86400))
        self.assert_answers(control)  # the same way of making a certificate works while it is valid
        self.assert_refused(expired, "CERTIFICATE_EXPIRED", "an expired certificate")
        self.assertEqual(self.ctl_as(control, "find", "--patient", PATIENT).returncode, 0)
        self.assertEqual(self.ctl_as(expired, "find", "--patient", PATIENT).returncode, 3)

    # --- 3. revocation and SIGHUP ------------------------------------------------------------------
    def test_3_revocation(self):
        self.assert_answers(self.doomed)
        self.assertEqual(self.ctl(self.doomed, "find", "--patient", PATIENT).returncode, 0)
        # Of two CRLs OpenSSL takes the one with the later lastUpdate (whole seconds).
        time.sleep(max(0.0, self.first_crl_time + 1.1 - time.time()))
        self.must(XDSCTL, "pki", "revoke", "--dir", self.pki, self.doomed[0])
        shutil.copy(os.path.join(self.pki, "crl.pem"), self.registry_crl)
        self.assertIn("re-read", self.sighup_registry())
        self.assert_refused(self.doomed, "CERTIFICATE_REVOKED", "a revoked certificate")
        self.assert_answers(self.consumer)  # the reload kept the service
        self.assertEqual(self.ctl(self.all, "find", "--patient", PATIENT).returncode, 0)
        # gRPC too (its hashed CRL directory gets the new CRL on SIGHUP).
        self.assertEqual(self.ctl_as(self.doomed, "find", "--patient", PATIENT).returncode, 3,
                         "the revoked certificate still works over gRPC")
        # A broken CRL on SIGHUP: logged, the previous context stays, the service too.
        with open(self.registry_crl, "w") as f:
            f.write("-----BEGIN X509 CRL-----\nnot a CRL\n-----END X509 CRL-----\n")
        self.assertIn("NOT re-read", self.sighup_registry())
        self.assert_answers(self.consumer)
        self.assert_refused(self.doomed, "CERTIFICATE_REVOKED", "a revoked certificate after a failed reload")
        self.assertEqual(self.ctl_as(self.doomed, "find", "--patient", PATIENT).returncode, 3)
        sub = self.ctl(self.all, "submit", self.letter, "--patient", PATIENT, "--class", "REFERRAL^^2.999.100.1")
        self.assertIn("submission set", sub.stdout)

    # --- 4. rights ----------------------------------------------------------------------------------
    def test_4_rights(self):
        self.find_uids(self.consumer, soap=False)
        self.find_uids(self.consumer, soap=True)
        refused = self.ctl(self.consumer, "submit", self.letter, "--patient", PATIENT, "--class", "A^^1", expect=1)
        self.assertIn("answered with a SOAP Fault (s:Sender)", refused.stderr)
        self.assertIn("2.999.2.2) may not use ITI-41: its certificate lacks the 'source' right", refused.stderr)
        refused = self.ctl(self.consumer, "patient", "add", "SEC-2^^^&1.2.3.4.5&ISO", expect=1)
        self.assertIn("may not use AddPatient: its certificate lacks the 'admin' right", refused.stderr)
        self.assertEqual(self.ctl(self.consumer, "stats", expect=1).returncode, 1)
        self.assert_fault(self.post(self.registry_http, stored_query(PATIENT), self.source), None,
                          "this node (2.999.2.3) may not use ITI-18: its certificate lacks the 'consumer' right")
        # A body the registry cannot decode gets the same refusal: the rights come first.
        not_a_query = stored_query(PATIENT).replace("query:AdhocQueryRequest", "query:NotAQuery")
        self.assert_fault(self.post(self.registry_http, not_a_query, self.source), None,
                          "this node (2.999.2.3) may not use ITI-18: its certificate lacks the 'consumer' right")
        got = self.post(self.registry_http, not_a_query, self.all)
        self.assertIn("expects a query:AdhocQueryRequest body", got[1])
        # Every refusal is in the service's log with the node's organisation.
        self.assertTrue(self.log_lines(self.repository_log, "ITI-41", "org=2.999.2.2", "failed ("))
        self.assertTrue(self.log_lines(self.registry_log, "AddPatient", "org=2.999.2.2", "failed ("))
        self.assertTrue(self.log_lines(self.registry_log, "ITI-18", "org=2.999.2.3", "failed ("))

    # --- 5. XUA ---------------------------------------------------------------------------------------
    def test_5_xua(self):
        query = lambda assertion, port=None: self.post(port or self.registry_http,
                                                       stored_query(PATIENT, security_header(assertion)), self.all)
        got = query(self.mint("dr-jansen"))
        self.assertEqual(got[0], 200, got)
        self.assertIn("ResponseStatusType:Success", got[1])
        line = self.log_lines(self.registry_log, "ITI-18", "subject=dr-jansen")
        self.assertEqual(len(line), 1, line)
        for claim in ("org=2.999.2.1", "user_org=urn:oid:2.999.2.1", "role=158965000", "purpose=TREAT ",
                      "patient=" + PATIENT, " ok ("):
            self.assertIn(claim, line[0])
        # One character of the subject's AttributeValue changed after signing.
        good = self.mint("dr-bakker")
        tampered = good.replace(">dr-bakker</", ">dr-bakkes</", 1)
        self.assertNotEqual(tampered, good)
        self.assert_fault(query(tampered), "wsse:FailedCheck", "XUA assertion refused")
        self.assertFalse(self.log_lines(self.registry_log, "dr-bakkes", " ok ("))
        # The refusal at the edge is recorded like a failed call, with the node that sent it.
        self.assertTrue(self.log_lines(self.registry_log, "ITI-18", "org=2.999.2.1", "failed (wsse:FailedCheck"))
        self.assert_fault(query(self.mint("dr-visser", audience="https://elsewhere.test/xds")),
                          "wsse:FailedAuthentication", "XUA assertion refused")
        self.assert_fault(query(self.mint("dr-smit", idp=self.rogue_idp)), "wsse:FailedAuthentication",
                          "XUA assertion refused")
        # Expired assertions cannot be minted here: xdsctl saml issue starts validity now, --valid-minutes >= 1,
        # and the verifier allows 5 minutes of clock skew (covered by assertion_test.cc).
        # --xua_required: no assertion -> FailedAuthentication; with one it answers.
        self.assert_fault(self.post(self.strict_http, stored_query(PATIENT), self.all), "wsse:FailedAuthentication",
                          "A SAML 2.0 assertion (IHE XUA) in the wsse:Security header is required")
        self.assertEqual(query(self.mint("dr-de-vries"), self.strict_http)[0], 200)
        # Without --xua_required an assertion is optional.
        self.assert_answers(self.all)

    # --- 6. BCP195 protocol versions and cipher suites ------------------------------------------------
    @unittest.skipUnless(OPENSSL, "openssl CLI absent (apt-get install openssl): protocol/cipher checks skipped")
    def test_6_protocols_and_ciphers(self):
        conf = os.path.join(self.tmp, "openssl-client.cnf")  # not Debian's MinProtocol: offer what we ask for
        open(conf, "w").close()
        request = "POST /xds/registry HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\n" \
                  "Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(stored_query(PATIENT)),
                                                                          stored_query(PATIENT))

        def s_client(*opts):
            out = subprocess.run([OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % self.registry_http, "-CAfile",
                                  self.ca, "-cert", self.all[0], "-key", self.all[1], "-ign_eof"] + list(opts),
                                 input=request, capture_output=True, text=True, timeout=20,
                                 env=dict(os.environ, OPENSSL_CONF=conf))
            return out.stdout + out.stderr

        # What is refused is refused by the server: its alert (70 protocol version, 40 handshake failure).
        version, cipher = "alert protocol version", "alert handshake failure"
        for opts, refusal in ((["-tls1_1", "-cipher", "ALL:@SECLEVEL=0"], version),
                              (["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"], cipher),
                              (["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"], cipher),
                              (["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"], cipher),
                              (["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"], None),
                              (["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"], None),
                              (["-tls1_3"], None),
                              (["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"], cipher)):
            out = s_client(*opts)
            what = "openssl s_client %s:\n%s" % (" ".join(opts), out[-1500:])
            self.assertEqual("AdhocQueryResponse" in out, refusal is None, what)
            self.assertIn(refusal or "Verify return code: 0 (ok)", out, what)
        # Session resumption: a second TLS 1.2 connection with the first one's session is resumed.
        session = os.path.join(self.tmp, "tls12.session")
        first = s_client("-tls1_2", "-sess_out", session)
        self.assertIn("New, TLSv1.2", first, first[-1500:])
        resumed = s_client("-tls1_2", "-sess_in", session)
        self.assertIn("Reused, TLSv1.2", resumed, resumed[-1500:])
        self.assertIn("AdhocQueryResponse", resumed)

    # --- 7. start-up refusals -----------------------------------------------------------------------
    def test_7_startup_refusals(self):
        base = ["registry/xds-registry", "--data_dir=" + os.path.join(self.tmp, "never"), "--http_port=0",
                "--grpc_port=0"]
        plain = run(base)
        self.assertNotEqual(plain.returncode, 0)
        self.assertIn("--tls_ca", plain.stderr)
        exposed = run(base + ["--insecure", "--listen_address=0.0.0.0"])
        self.assertNotEqual(exposed.returncode, 0)
        self.assertIn("--insecure", exposed.stderr)
        self.assertIn("0.0.0.0", exposed.stderr)
        both = run(base + ["--insecure", "--tls_ca=" + self.ca])
        self.assertNotEqual(both.returncode, 0)
        self.assertIn("exclude each other", both.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
