"""The NIST kit's Patient Identity Feed and Patient Move steps as the toolkit sends them: HL7 v2.5
ADT messages over MLLP to the registry's ITI-8 listener (XDS_PATIENT_FEED_MLLP). The testkit holds
no HL7 message for these steps (the toolkit generates them), so they are generated here: A01 for
a feed, A40 (merge MRG-1 into PID-3) for a move. Only the Python standard library."""
import datetime
import socket
import uuid

VT, FS, CR = b"\x0b", b"\x1c", b"\r"


def message(event, pid3, mrg1=None):
    now = datetime.datetime.utcnow().strftime("%Y%m%d%H%M%S")
    structure = "ADT_A39" if event == "A40" else "ADT_A01"
    control_id = uuid.uuid4().hex[:20]
    segments = ["MSH|^~\\&|NIST_TOOLKIT|NIST|XDS_REGISTRY|XDS|%s||ADT^%s^%s|%s|P|2.5" % (
                    now, event, structure, control_id),
                "EVN|%s|%s" % (event, now),
                "PID|||%s||NIST^PATIENT" % pid3]
    segments.append("MRG|%s" % mrg1 if mrg1 else "PV1||O")
    return control_id, "\r".join(segments) + "\r"


def send(address, text, timeout=30):
    """Sends one message over MLLP; returns the ACK's text."""
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(VT + text.encode() + FS + CR)
        data = b""
        while not data.endswith(FS + CR):
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("the feed closed the connection without an ACK")
            data += chunk
    return data[1:-2].decode(errors="replace")


def ack_code(ack, control_id):
    """MSA-1 of an ACK, after checking that MSA-2 names our message."""
    for segment in ack.split("\r"):
        f = segment.split("|")
        if f[0] == "MSA":
            if len(f) < 3 or f[2] != control_id:
                raise ValueError("ACK does not acknowledge message %s: %r" % (control_id, ack))
            return f[1]
    raise ValueError("no MSA segment in the ACK: %r" % ack)


def feed(address, event, pid3, mrg1=None):
    """(MSA-1, ACK text) for one ADT message."""
    control_id, text = message(event, pid3, mrg1)
    ack = send(address, text)
    return ack_code(ack, control_id), ack
