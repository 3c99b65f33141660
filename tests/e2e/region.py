"""What the Python end-to-end tests share: running xdsctl, starting the real services on free
ports of 127.0.0.1, a region CA with its certificates, and SOAP over mutual TLS."""
import http.client
import json
import os
import re
import ssl
import subprocess
import time
import uuid

XDSCTL = "tools/xdsctl/xdsctl"
SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)


def must(*args):
    out = run(list(args))
    if out.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (args, out.returncode, out.stdout, out.stderr))
    return out.stdout


def start(binary, args, name, tmp, data_dir=None):
    """Starts a service (stderr in TMP/NAME.log); returns (process, http port, grpc port)."""
    port_file = os.path.join(tmp, name + ".ports")
    if os.path.exists(port_file):
        os.remove(port_file)
    with open(os.path.join(tmp, name + ".log"), "a") as err:
        ports = ["--http_port=0"] + ([] if any(a.startswith("--grpc_port=") for a in args) else ["--grpc_port=0"])
        proc = subprocess.Popen([binary] + args + ["--data_dir=" + (data_dir or os.path.join(tmp, name)),
                                                   "--port_file=" + port_file] + ports,
                                stdout=subprocess.DEVNULL, stderr=err)
    for _ in range(400):
        if os.path.exists(port_file):
            with open(port_file) as f:
                h, g = f.read().split()
            return proc, int(h), int(g)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("%s did not start; see %s.log" % (binary, name))


def stop(procs):
    for p in procs:
        if p.poll() is None:
            p.terminate()
            p.wait()


class Pki:
    """A region CA under DIR (xdsctl pki): certificates as (cert, key) PEM paths."""

    def __init__(self, directory, region):
        self.dir = directory
        self.ca = os.path.join(directory, "ca.pem")
        self.crl = os.path.join(directory, "crl.pem")
        must(XDSCTL, "pki", "init", "--dir", directory, "--region", region)

    def issue(self, name, org, roles, *extra):
        args = [XDSCTL, "pki", "issue", "--dir", self.dir, "--name", name, "--organization-id", org]
        args += ["--roles", roles] if roles else []
        issued = json.loads(must(*args, *extra, "--format=json"))
        return issued["cert"], issued["key"]

    def server(self, name, org, roles=None):
        return self.issue(name, org, roles, "--server", "--dns", "localhost", "--ip", "127.0.0.1")


def envelope(action, body, security="", message_id=None):
    return ('<s:Envelope xmlns:s="%s" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>'
            '<a:Action s:mustUnderstand="1">%s</a:Action><a:MessageID>%s</a:MessageID>%s</s:Header>'
            '<s:Body>%s</s:Body></s:Envelope>') % (SOAP_NS, action, message_id or "urn:uuid:" + str(uuid.uuid4()),
                                                   security, body)


def security_header(assertion):
    """An XUA assertion (xdsctl saml issue's output) as the wsse:Security header."""
    assertion = re.sub(r"<\?xml[^>]*\?>", "", assertion).strip()
    return '<wsse:Security xmlns:wsse="%s" s:mustUnderstand="true">%s</wsse:Security>' % (WSSE_NS, assertion)


def post(ca, who, port, path, body):
    """POSTs a SOAP 1.2 body over mutual TLS as `who` (cert, key); returns (status, bytes)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.load_cert_chain(*who)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
    try:
        conn.request("POST", path, body.encode(), {"Content-Type": "application/soap+xml; charset=UTF-8"})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()
