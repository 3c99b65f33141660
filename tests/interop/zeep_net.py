"""How the zeep interop tests reach the services: plain HTTP on loopback (--insecure), or mutual
TLS (issue 14) with a region CA made in the test's temporary directory by deploy/region-pki.sh
(`xdsctl pki`): the services get --tls_ca/--tls_cert/--tls_key/--tls_crl, xdsctl and zeep the
demo-client certificate (rights consumer,source,admin), zeep through a requests.Session with
`cert` and `verify` set."""
import os
import subprocess
import time

import requests
import zeep.transports

XDSCTL = "tools/xdsctl/xdsctl"
PKI_SCRIPT = "deploy/region-pki.sh"


def wait_ports(path, process):
    """The (http, grpc) ports a service wrote to its --port_file."""
    for _ in range(400):
        if os.path.exists(path):
            with open(path) as f:
                return f.read().split()
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("%s did not write %s" % (process.args[0], path))


class Plain:
    """Plain HTTP and gRPC on 127.0.0.1."""
    scheme = "http"

    def server_flags(self, node):
        return ["--insecure"]

    def ctl_flags(self):
        return []

    def transport(self, client_cert=True):
        return None  # zeep's default


class MutualTls:
    """Mutual TLS with certificates of a region CA made under `tmp` by deploy/region-pki.sh."""
    scheme = "https"

    def __init__(self, tmp):
        self.pki = os.path.join(tmp, "pki")
        out = subprocess.run(["bash", PKI_SCRIPT, self.pki, XDSCTL, "registry", "repository:source,consumer,repository"],
                             capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise RuntimeError("region-pki.sh failed: %s%s" % (out.stdout, out.stderr))
        self.ca = os.path.join(self.pki, "ca.pem")
        self.client = self.node("demo-client")

    def node(self, name):
        return os.path.join(self.pki, "nodes", name + ".pem"), os.path.join(self.pki, "nodes", name + ".key")

    def server_flags(self, node):
        cert, key = self.node(node)
        return ["--tls_ca=" + self.ca, "--tls_cert=" + cert, "--tls_key=" + key,
                "--tls_crl=" + os.path.join(self.pki, "crl.pem")]

    def ctl_flags(self):
        cert, key = self.client
        return ["--tls_ca=" + self.ca, "--tls_cert=" + cert, "--tls_key=" + key]

    def transport(self, client_cert=True):
        """A zeep transport on a requests.Session trusting the region CA, presenting the
        demo-client certificate unless `client_cert` is false."""
        session = requests.Session()
        # Not trust_env: requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override session.verify
        # (and would take proxies from the environment).
        session.trust_env = False
        session.verify = self.ca
        if client_cert:
            session.cert = self.client
        return zeep.transports.Transport(session=session)


def network(secure, tmp):
    return MutualTls(tmp) if secure else Plain()


def start(binary, node, net, tmp, *args):
    """Starts a service as `node` on `net` with its data under tmp/node; returns (process, http port, grpc port)."""
    ports = os.path.join(tmp, node + ".ports")
    process = subprocess.Popen([binary, "--data_dir=" + os.path.join(tmp, node), "--http_port=0", "--grpc_port=0",
                                "--port_file=" + ports] + net.server_flags(node) + list(args))
    http_port, grpc_port = wait_ports(ports, process)
    return process, http_port, grpc_port


def admit(test, net, grpc, patient):
    """Adds `patient` at the registry's gRPC address with xdsctl (as the demo client on TLS)."""
    out = subprocess.run([XDSCTL, "--registry_grpc=" + grpc] + net.ctl_flags() + ["patient", "add", patient],
                         capture_output=True, text=True, timeout=30)
    test.assertEqual(out.returncode, 0, out.stderr)


def assert_refused_without_certificate(test, call):
    """`call` (a zeep operation on a session without a client certificate) fails in the TLS
    handshake because the server requires one, not because zeep distrusts the server."""
    with test.assertRaises(requests.exceptions.ConnectionError) as refused:  # SSLError is one
        call()
    test.assertNotIn("CERTIFICATE_VERIFY_FAILED", str(refused.exception))
