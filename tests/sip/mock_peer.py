#!/usr/bin/env python3
"""mock_peer.py: a tiny, deliberately strict SIP responder standing in for msgsc.

selfcheck.sh uses it to prove that the garbage scenarios (uac_garbage.xml,
uac_oversized.xml, uac_options.xml) are well-formed SIPp scenarios before msgsc's user agent
exists. It is NOT a model of msgsc; it only behaves within what docs/sip.md allows:

  * UDP and TCP on 127.0.0.1:<port>;
  * a message over 16384 bytes: 513 when it can be answered, else dropped; on TCP a header
    section that does not end within 16384 bytes closes the connection;
  * a start line that is not "METHOD URI SIP/2.0", or a request without Via, From, To,
    Call-ID or CSeq: dropped; a CSeq method other than the request's: 400;
  * OPTIONS: 200; ACK: nothing; any other request: 501;
  * TCP needs Content-Length (400 without it).

With --quiet it answers only OPTIONS (200) and drops everything else, to exercise the
"or silence" paths of the scenarios.

usage: mock_peer.py <port> [--quiet]      (runs until SIGTERM)
"""
import re
import selectors
import signal
import socket
import sys

MAX_MSG = 16384
REQ_LINE = re.compile(rb'^([A-Za-z]+) (\S+) SIP/2\.0$')
COMPACT = {b'v': b'via', b'f': b'from', b't': b'to', b'i': b'call-id', b'l': b'content-length'}


def headers_of(head):
    out = []
    for line in head.split(b'\r\n')[1:]:
        if not line:
            continue
        if line[:1] in (b' ', b'\t') and out:
            out[-1] = (out[-1][0], out[-1][1] + b' ' + line.strip())
            continue
        name, sep, value = line.partition(b':')
        if not sep:
            return None
        name = name.strip().lower()
        out.append((COMPACT.get(name, name), value.strip()))
    return out


QUIET = False


def answer(data, stream):
    """Return the response bytes for one message, or None to stay silent."""
    head, sep, body = data.partition(b'\r\n\r\n')
    start = head.split(b'\r\n', 1)[0]
    m = REQ_LINE.match(start)
    if not m or b'\n' in head.replace(b'\r\n', b''):
        return None
    method = m.group(1)
    hdrs = headers_of(head)
    if hdrs is None:
        return None
    get = lambda n: [v for k, v in hdrs if k == n]
    if not (get(b'via') and get(b'from') and get(b'to') and get(b'call-id') and get(b'cseq')):
        return None
    if method == b'ACK':
        return None
    cseq = get(b'cseq')[0].split()
    if len(data) > MAX_MSG or any(len(v) > 2048 for _, v in hdrs):
        status = b'513 Message Too Large'
    elif len(cseq) != 2 or cseq[1] != method:
        status = b'400 CSeq Method Mismatch'
    elif stream and not get(b'content-length'):
        status = b'400 Missing Content-Length'
    elif method == b'OPTIONS':
        status = b'200 OK'
    else:
        status = b'501 Not Implemented'
    if QUIET and not status.startswith(b'200'):
        return None
    to = get(b'to')[0]
    if b';tag=' not in to:
        to += b';tag=mock1'
    lines = [b'SIP/2.0 ' + status]
    lines += [b'Via: ' + v for v in get(b'via')]
    lines += [b'From: ' + get(b'from')[0], b'To: ' + to, b'Call-ID: ' + get(b'call-id')[0],
              b'CSeq: ' + get(b'cseq')[0], b'Content-Length: 0', b'', b'']
    return b'\r\n'.join(lines)


def main():
    global QUIET
    port = int(sys.argv[1])
    QUIET = '--quiet' in sys.argv[2:]
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    sel = selectors.DefaultSelector()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.bind(('127.0.0.1', port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(('127.0.0.1', port))
    tcp.listen(8)
    sel.register(udp, selectors.EVENT_READ, 'udp')
    sel.register(tcp, selectors.EVENT_READ, 'listen')
    bufs = {}
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if key.data == 'udp':
                data, addr = s.recvfrom(65535)
                r = answer(data.lstrip(b'\r\n'), False)
                if r:
                    s.sendto(r, addr)
            elif key.data == 'listen':
                c, _ = s.accept()
                bufs[c] = b''
                sel.register(c, selectors.EVENT_READ, 'conn')
            else:
                chunk = s.recv(65536)
                if not chunk:
                    sel.unregister(s)
                    s.close()
                    del bufs[s]
                    continue
                buf = bufs[s] + chunk
                closed = False
                while True:
                    buf = buf.lstrip(b'\r\n')
                    end = buf.find(b'\r\n\r\n')
                    if end < 0:
                        if len(buf) > MAX_MSG:
                            closed = True
                        break
                    if end + 4 > MAX_MSG:
                        closed = True
                        break
                    head = buf[:end]
                    m = re.search(rb'(?im)^(?:content-length|l)[ \t]*:[ \t]*([0-9]+)[ \t]*$', head)
                    n = int(m.group(1)) if m else 0
                    if end + 4 + n > len(buf):
                        break
                    msg, buf = buf[:end + 4 + n], buf[end + 4 + n:]
                    r = answer(msg, True)
                    if r:
                        s.sendall(r)
                if closed:
                    sel.unregister(s)
                    s.close()
                    del bufs[s]
                else:
                    bufs[s] = buf


if __name__ == '__main__':
    main()
