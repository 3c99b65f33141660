"""SOAP 1.2 + WS-Addressing client, with MTOM/XOP for ITI-41 and ITI-43 (the way the NIST
toolkit's engine sends XDS.b transactions). Only the Python standard library and lxml."""
import http.client
import re
import urllib.parse
import uuid

from lxml import etree

SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"
WSA_NS = "http://www.w3.org/2005/08/addressing"
XOP_NS = "http://www.w3.org/2004/08/xop/include"
XDSB_NS = "urn:ihe:iti:xds-b:2007"


class Answer:
    """What the service sent back: the SOAP Body's first element (XOP resolved into
    `attachments`), or a fault / transport problem."""

    def __init__(self):
        self.http_status = 0
        self.body = None          # lxml element: first child of SOAP Body
        self.fault = None         # text of a SOAP Fault (reason), or transport error
        self.attachments = {}     # content-id -> bytes
        self.raw = b""

    def document_bytes(self, element):
        """Bytes of an xds:Document element: resolves xop:Include, else base64 text."""
        inc = element.find("{%s}Include" % XOP_NS)
        if inc is not None:
            cid = urllib.parse.unquote(inc.get("href", "")[4:])
            return self.attachments.get(cid)
        import base64
        return base64.b64decode("".join(element.itertext()))


def envelope(action, to, body_xml):
    return (
        '<s:Envelope xmlns:s="%s" xmlns:a="%s"><s:Header>'
        '<a:Action s:mustUnderstand="1">%s</a:Action>'
        '<a:MessageID>urn:uuid:%s</a:MessageID>'
        '<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>'
        '<a:To s:mustUnderstand="1">%s</a:To>'
        '</s:Header><s:Body>' % (SOAP_NS, WSA_NS, action, uuid.uuid4(), to)
    ).encode() + body_xml + b"</s:Body></s:Envelope>"


def _split_multipart(data, boundary):
    parts = []
    delim = b"--" + boundary
    pieces = data.split(delim)
    for piece in pieces[1:]:
        if piece.startswith(b"--"):
            break
        if piece.startswith(b"\r\n"):
            piece = piece[2:]
        head, _, content = piece.partition(b"\r\n\r\n")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers = {}
        for line in head.split(b"\r\n"):
            if b":" in line:
                k, v = line.split(b":", 1)
                headers[k.strip().lower().decode()] = v.strip().decode(errors="replace")
        parts.append((headers, content))
    return parts


def _param(content_type, name):
    m = re.search(r'%s\s*=\s*"?([^";]+)"?' % name, content_type, re.I)
    return m.group(1) if m else None


def post(url, action, body_xml, attachments=None, mtom=False, timeout=60):
    """POSTs body_xml (bytes, one element) in a SOAP 1.2 envelope. attachments: list of
    (content_id, bytes) referenced from body_xml by xop:Include href="cid:..."."""
    return post_envelope(url, action, envelope(action, url, body_xml), attachments, mtom, timeout)


def post_envelope(url, action, env, attachments=None, mtom=False, timeout=60):
    """POSTs a complete SOAP 1.2 envelope (bytes)."""
    answer = Answer()
    u = urllib.parse.urlparse(url)
    if mtom or attachments:
        boundary = "MIMEBoundary_%s" % uuid.uuid4().hex
        root_cid = "root.message@nist.harness"
        out = [b"--" + boundary.encode() + b"\r\n",
               b'Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\r\n',
               b"Content-Transfer-Encoding: binary\r\n",
               b"Content-ID: <" + root_cid.encode() + b">\r\n\r\n", env, b"\r\n"]
        for cid, data in attachments or []:
            out += [b"--" + boundary.encode() + b"\r\n",
                    b"Content-Type: application/octet-stream\r\n",
                    b"Content-Transfer-Encoding: binary\r\n",
                    b"Content-ID: <" + cid.encode() + b">\r\n\r\n", data, b"\r\n"]
        out.append(b"--" + boundary.encode() + b"--\r\n")
        payload = b"".join(out)
        ctype = ('multipart/related; boundary="%s"; type="application/xop+xml"; start="<%s>"; '
                 'start-info="application/soap+xml"; action="%s"' % (boundary, root_cid, action))
    else:
        payload = env
        ctype = 'application/soap+xml; charset=UTF-8; action="%s"' % action
    try:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        conn.request("POST", u.path, body=payload, headers={"Content-Type": ctype})
        resp = conn.getresponse()
        data = resp.read()
        answer.http_status = resp.status
        rtype = resp.getheader("Content-Type", "")
        conn.close()
    except Exception as e:  # transport problem: reported as a failed step
        answer.fault = "transport error: %s" % e
        return answer
    answer.raw = data
    soap = data
    if rtype.lower().startswith("multipart/"):
        boundary = _param(rtype, "boundary")
        start = _param(rtype, "start")
        parts = _split_multipart(data, boundary.encode()) if boundary else []
        soap = None
        for headers, content in parts:
            cid = headers.get("content-id", "").strip("<>")
            if soap is None and (start is None or cid == start.strip("<>")):
                soap = content
            else:
                answer.attachments[cid] = content
        if soap is None:
            answer.fault = "multipart answer without its root part (HTTP %d)" % resp.status
            return answer
    try:
        doc = etree.fromstring(soap)
    except etree.XMLSyntaxError as e:
        answer.fault = "answer is not XML (HTTP %d): %s: %r" % (answer.http_status, e, soap[:200])
        return answer
    body = doc.find("{%s}Body" % SOAP_NS)
    if body is None or len(body) == 0:
        answer.fault = "answer has no SOAP Body content (HTTP %d)" % answer.http_status
        return answer
    first = body[0]
    if first.tag == "{%s}Fault" % SOAP_NS:
        reason = " ".join(t.strip() for t in first.itertext() if t.strip())
        answer.fault = "SOAP Fault: %s" % reason
        answer.body = first
        return answer
    answer.body = first
    return answer
