"""A tiny DNS server for tests: answers A and AAAA queries over UDP on a
loopback address with the addresses the test gives it, so that a node's DNS
seed logic can run without leaving the machine.

    dns = DNSServer({"x9.seed.test": ["127.0.0.2"]})   # or drop=True: never answers
    ... node started with -dnsserver=127.0.0.1:{dns.port} -dnsseedhost=seed.test
    dns.queries   # the names asked for, lowercased, in order
    dns.close()
"""
import ipaddress
import socket
import struct
import threading

TYPE_A, TYPE_AAAA = 1, 28


def parse_question(msg):
    """(id, flags, name, qtype, end of the question) of a query."""
    qid, flags, qdcount = struct.unpack(">HHH", msg[:6])
    if qdcount != 1:
        raise ValueError("one question expected")
    labels, i = [], 12
    while msg[i]:
        labels.append(msg[i + 1:i + 1 + msg[i]].decode("ascii"))
        i += 1 + msg[i]
    qtype, _qclass = struct.unpack(">HH", msg[i + 1:i + 5])
    return qid, flags, ".".join(labels), qtype, i + 5


def answer(msg, records):
    """The reply to a query: the records of its name and type; NXDOMAIN for
    an unknown name (the question is echoed as asked, case included)."""
    qid, flags, name, qtype, end = parse_question(msg)
    addrs = records.get(name.lower().rstrip("."))
    rcode = 0 if addrs is not None else 3
    rdata = []
    for a in addrs or []:
        ip = ipaddress.ip_address(a)
        if (qtype, ip.version) in ((TYPE_A, 4), (TYPE_AAAA, 6)):
            rdata.append(ip.packed)
    head = struct.pack(">HHHHHH", qid, 0x8180 | (flags & 0x0100) | rcode, 1, len(rdata), 0, 0)
    body = b"".join(struct.pack(">HHHIH", 0xC00C, qtype, 1, 60, len(r)) + r for r in rdata)
    return head + msg[12:end] + body


class DNSServer:
    def __init__(self, records=None, drop=False, host="127.0.0.1"):
        self.records = {k.lower().rstrip("."): v for k, v in (records or {}).items()}
        self.drop = drop
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def _serve(self):
        while not self._stop.is_set():
            try:
                msg, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                name = parse_question(msg)[2]
            except (ValueError, IndexError, struct.error):
                continue
            self.queries.append(name.lower())
            if not self.drop:
                self.sock.sendto(answer(msg, self.records), peer)

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()
