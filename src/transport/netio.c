/* msgsc network I/O (include/msgsc/net.h): one UDP socket, one TCP listener on the same port,
 * and the TCP connections, run by one I/O thread; and msc_net_resolve (msc_addr_host and
 * msc_addr_equal are in addr.c, part of msgsc_core).  Portable: every platform call goes through
 * sock.h.
 *
 * Two queues cross the thread boundary, both under io->mu:
 *   outq  owner -> I/O thread: msc_netio_send pushes and wakes the thread (one byte to the
 *         waker socket, at most one outstanding: wake_pending);
 *   inq   I/O thread -> owner: received messages and SEND_FAILED items; going from empty to not
 *         empty calls cfg.notify (outside the lock); io->cv wakes msc_netio_wait.
 * Everything else (the UDP send queue, the connections, their buffers) belongs to the I/O
 * thread alone.
 *
 * Every item, outbound or inbound, is one allocation: a queue node followed by the public
 * msc_net_item, so a message that cannot be sent goes back to the owner without a copy.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "msgsc/net.h"
#include "msgsc/sip.h"
#include "transport/sock.h"

#define IN_QUEUE_MAX     4096u          /* inbound items waiting for the owner; over: UDP dropped,
                                           TCP connections not read until the owner takes some */
#define OUT_QUEUE_MAX    4096u          /* outbound items not yet seen by the I/O thread */
#define CONN_OUT_MAX     (1u << 20)     /* unsent bytes on one connection; over: SEND_FAILED */
#define CONN_IN_CAP      (MSC_SIP_MAX_MSG + 4096u)  /* a stream's receive buffer (framing) */
#define CONNECT_TIMEOUT_MS 10000u
#define UDP_RX_CAP       65535u
#define DEFAULT_MAX_CONN 256u
#define MAX_CONN_LIMIT   ((size_t)MSC_SOCK_POLL_MAX - 8u)
#define DEFAULT_IDLE_MS  (10u * 60u * 1000u)
#define POLL_CAP_MS      1000u          /* the I/O thread looks at its timers at least this often */
#define BURST            64             /* reads or accepts per socket per turn of the loop */
#define BIND_TRIES       32             /* port 0: UDP ports tried until TCP gets the same one */
#define LISTEN_BACKLOG   64

/* ---- items and queues ---------------------------------------------------------------------- */
typedef struct node {
    struct node *next;
    size_t sent;            /* TCP: bytes of this message already written */
} node;

#define ALIGN_UP(n, a) (((n) + (a) - 1) / (a) * (a))
#define ITEM_OFF ALIGN_UP(sizeof(node), _Alignof(max_align_t))

static msc_net_item *item_of(node *n) { return (msc_net_item *)(void *)((char *)n + ITEM_OFF); }
static node *node_of(msc_net_item *it) { return (node *)(void *)((char *)it - ITEM_OFF); }

static node *node_new(msc_net_kind kind, msc_net_proto proto, const msc_addr *peer,
                      const void *data, size_t len)
{
    node *n = malloc(ITEM_OFF + sizeof(msc_net_item) + len + 1);
    msc_net_item *it;
    if (!n)
        return NULL;
    n->next = NULL;
    n->sent = 0;
    it = item_of(n);
    it->kind = kind;
    it->proto = proto;
    it->peer = *peer;
    it->hr = MSC_S_OK;
    it->len = len;
    if (len)
        memcpy(it->data, data, len);
    it->data[len] = '\0';
    return n;
}

void msc_net_item_free(msc_net_item *item)
{
    if (item)
        free(node_of(item));
}

typedef struct queue {
    node *head, *tail;
    size_t count, bytes;
} queue;

static void q_push(queue *q, node *n)
{
    n->next = NULL;
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    q->count++;
    q->bytes += item_of(n)->len;
}

static node *q_pop(queue *q)
{
    node *n = q->head;
    if (!n)
        return NULL;
    q->head = n->next;
    if (!q->head)
        q->tail = NULL;
    q->count--;
    q->bytes -= item_of(n)->len;
    n->next = NULL;
    return n;
}

static void q_free(queue *q)
{
    node *n;
    while ((n = q_pop(q)))
        free(n);
}

/* ---- the instance -------------------------------------------------------------------------- */
typedef struct conn {
    msc_sock s;
    msc_addr peer;
    int connecting;         /* non-blocking connect in progress */
    int dead;               /* closed; removed from io->conns by reap() */
    uint64_t deadline;      /* connecting: give up at this time */
    uint64_t last;          /* last progress (created, connected, bytes in or out) */
    int stalled;            /* the inbound queue was full: framed messages wait in `in`, the
                               socket is not read (TCP's flow control holds the sender back) */
    queue out;              /* messages to write, in order; the head may be partly written */
    size_t in_len;
    char *in;               /* CONN_IN_CAP bytes: the stream not framed yet */
} conn;

/* An outbound node whose item has kind 0 is the stack's own (a keep-alive pong): it is neither
 * counted nor reported when it fails. */
#define KIND_INTERNAL ((msc_net_kind)0)

struct msc_netio {
    msc_netio_config cfg;
    size_t max_conn;
    uint32_t idle_ms;
    msc_addr local;
    int local_any;          /* bound to 0.0.0.0 / :: */
    msc_sock udp, tcp, waker;
    msc_thread *thread;
    msc_mutex *mu;
    msc_cond *cv;
    int sock_ready;         /* msc_sock_init done */

    /* under mu */
    queue outq, inq;
    int stop, wake_pending;
    int stalled;            /* some connection is stalled: msc_netio_take wakes the thread */
    msc_netio_stats stats;

    /* the I/O thread's own */
    msc_netio_stats st;     /* published into stats under mu */
    queue udpq;             /* datagrams waiting for the socket to be writable */
    conn **conns;
    size_t nconns;
    msc_pollfd *pfd;
    char *rxbuf;
    uint64_t now;
};

/* ---- addresses ----------------------------------------------------------------------------- */
static size_t addr_len(int family) { return family == 4 ? 4 : family == 6 ? 16 : 0; }

static int ip_is_any(const msc_addr *a)
{
    for (size_t i = 0; i < addr_len(a->family); i++)
        if (a->ip[i])
            return 0;
    return 1;
}

msc_hr msc_net_resolve(msc_str host, uint16_t port, msc_addr *out)
{
    char name[256];
    const char *p = host.p;
    size_t n = host.n;
    int r;

    if (out)
        memset(out, 0, sizeof(*out));
    if (!out || !p || n == 0)
        return MSC_E_INVALIDARG;
    if (memchr(p, '\0', n))
        return MSC_E_INVALIDARG;
    if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {   /* "[::1]", as msc_addr_host writes it */
        p++;
        n -= 2;
        if (n == 0)
            return MSC_E_INVALIDARG;
    }
    if (n >= sizeof(name))
        return MSC_SR_CONNECTION_FAILURE;   /* no host name is that long */
    memcpy(name, p, n);
    name[n] = '\0';
    /* RFC 6761 6.3: "localhost" is the IPv4 loopback address without asking a resolver (a system
       without /etc/hosts, such as a bare debootstrap root, cannot resolve it otherwise). */
    if (n == 9 || (n == 10 && name[9] == '.')) {
        static const char lh[] = "localhost";
        size_t i;
        for (i = 0; i < 9 && (name[i] | 0x20) == lh[i]; i++)
            ;
        if (i == 9) {
            out->family = 4;
            out->ip[0] = 127;
            out->ip[3] = 1;
            out->port = port;
            return MSC_S_OK;
        }
    }
    if (msc_sock_init() != 0)
        return MSC_SR_CONNECTION_FAILURE;
    r = msc_sock_resolve(name, 0, port, out);
    msc_sock_cleanup();
    if (r != 0) {
        memset(out, 0, sizeof(*out));
        return MSC_SR_CONNECTION_FAILURE;
    }
    return MSC_S_OK;
}

/* ---- the I/O thread: delivering to the owner ------------------------------------------------- */
static void deliver(msc_netio *io, node *n)
{
    int was_empty;
    msc_mutex_lock(io->mu);
    if (io->inq.count >= IN_QUEUE_MAX) {
        io->st.dropped++;
        io->stats = io->st;
        msc_mutex_unlock(io->mu);
        free(n);
        return;
    }
    was_empty = io->inq.head == NULL;
    q_push(&io->inq, n);
    io->stats = io->st;
    msc_cond_broadcast(io->cv);
    msc_mutex_unlock(io->mu);
    if (was_empty && io->cfg.notify)
        io->cfg.notify(io->cfg.ctx);
}

static void publish(msc_netio *io)
{
    msc_mutex_lock(io->mu);
    io->stats = io->st;
    msc_mutex_unlock(io->mu);
}

static void received(msc_netio *io, msc_net_proto proto, const msc_addr *peer,
                     const char *data, size_t len)
{
    node *n = node_new(MSC_NET_RECEIVED, proto, peer, data, len);
    io->st.rx_msgs++;
    io->st.rx_bytes += len;
    if (!n) {
        io->st.dropped++;
        return;
    }
    deliver(io, n);
}

/* An outbound message that cannot be sent goes back as MSC_NET_SEND_FAILED. */
static void send_failed(msc_netio *io, node *n)
{
    msc_net_item *it = item_of(n);
    if (it->kind == KIND_INTERNAL) {
        free(n);
        return;
    }
    it->kind = MSC_NET_SEND_FAILED;
    it->hr = MSC_SR_CONNECTION_FAILURE;
    io->st.send_failed++;
    deliver(io, n);
}

/* ---- connections --------------------------------------------------------------------------- */
static void conn_close(msc_netio *io, conn *c)
{
    node *n;
    if (c->dead)
        return;
    c->dead = 1;
    msc_sock_close(c->s);
    c->s = MSC_SOCK_INVALID;
    while ((n = q_pop(&c->out)))
        send_failed(io, n);
    /* a connection that was up: its owner may keep state per connection (the agent's links) */
    if (!c->connecting && (n = node_new(MSC_NET_CLOSED, MSC_NET_TCP, &c->peer, NULL, 0)))
        deliver(io, n);
}

static void conn_free(conn *c)
{
    q_free(&c->out);
    free(c->in);
    free(c);
}

/* Remove the closed connections from io->conns. */
static void reap(msc_netio *io)
{
    size_t j = 0;
    for (size_t i = 0; i < io->nconns; i++) {
        if (io->conns[i]->dead)
            conn_free(io->conns[i]);
        else
            io->conns[j++] = io->conns[i];
    }
    io->nconns = j;
    io->st.connections = j;
}

/* Make room for one more connection: close the one idle longest, preferring one with nothing
 * left to write. */
static void make_room(msc_netio *io)
{
    conn *victim = NULL;
    if (io->nconns < io->max_conn)
        return;
    for (size_t i = 0; i < io->nconns; i++) {
        conn *c = io->conns[i];
        int c_idle = !c->out.head && !c->connecting;
        int v_idle = victim && !victim->out.head && !victim->connecting;
        if (!victim || (c_idle && !v_idle) || (c_idle == v_idle && c->last < victim->last))
            victim = c;
    }
    if (victim)
        conn_close(io, victim);
    reap(io);
}

static conn *conn_add(msc_netio *io, msc_sock s, const msc_addr *peer, int connecting)
{
    conn *c;
    make_room(io);
    c = calloc(1, sizeof(*c));
    if (!c || io->nconns >= io->max_conn || !(c->in = malloc(CONN_IN_CAP))) {
        if (c)
            free(c);
        msc_sock_close(s);
        return NULL;
    }
    c->s = s;
    c->peer = *peer;
    c->connecting = connecting;
    c->deadline = io->now + CONNECT_TIMEOUT_MS;
    c->last = io->now;
    io->conns[io->nconns++] = c;
    io->st.connections = io->nconns;
    return c;
}

static conn *conn_find(msc_netio *io, const msc_addr *peer)
{
    for (size_t i = 0; i < io->nconns; i++)
        if (!io->conns[i]->dead && msc_addr_equal(&io->conns[i]->peer, peer))
            return io->conns[i];
    return NULL;
}

static conn *conn_connect(msc_netio *io, const msc_addr *peer)
{
    msc_sock s;
    int r;
    if (peer->family != io->local.family)
        return NULL;
    s = msc_sock_open(peer->family, MSC_NET_TCP);
    if (s == MSC_SOCK_INVALID)
        return NULL;
    if (!io->local_any) {       /* leave from the address we were bound to */
        msc_addr a = io->local;
        a.port = 0;
        if (msc_sock_bind(s, &a, 0) != 0) {
            msc_sock_close(s);
            return NULL;
        }
    }
    r = msc_sock_connect(s, peer);
    if (r < 0) {
        msc_sock_close(s);
        return NULL;
    }
    return conn_add(io, s, peer, r == 1);
}

/* Write what the connection can take now. */
static void conn_flush(msc_netio *io, conn *c)
{
    while (!c->dead && !c->connecting && c->out.head) {
        node *n = c->out.head;
        msc_net_item *it = item_of(n);
        ptrdiff_t r = msc_sock_send(c->s, it->data + n->sent, it->len - n->sent);
        if (r == MSC_SOCK_AGAIN || r == 0)
            return;
        if (r < 0) {
            conn_close(io, c);
            return;
        }
        n->sent += (size_t)r;
        c->last = io->now;
        if (n->sent == it->len) {
            q_pop(&c->out);
            if (it->kind != KIND_INTERNAL) {
                io->st.tx_msgs++;
                io->st.tx_bytes += it->len;
            }
            free(n);
        }
    }
}

/* Queue a message on the connection, within its bound. */
static void conn_queue(msc_netio *io, conn *c, node *n)
{
    if (c->out.bytes + item_of(n)->len > CONN_OUT_MAX) {
        io->st.dropped++;
        send_failed(io, n);
        return;
    }
    q_push(&c->out, n);
}

static int inq_full(msc_netio *io)
{
    int full;
    msc_mutex_lock(io->mu);
    full = io->inq.count >= IN_QUEUE_MAX;
    if (full)
        io->stalled = 1;
    msc_mutex_unlock(io->mu);
    return full;
}

/* Frame what the connection's buffer holds into SIP messages and deliver each, until the
 * inbound queue is full (then the connection stalls: 0).  A stream is never dropped from. */
static int conn_frame(msc_netio *io, conn *c)
{
    size_t pos = 0;
    int ok = 1;
    c->stalled = 0;
    for (;;) {
        size_t skip = 0, len = 0;
        msc_sip_frame_result fr = msc_sip_frame(c->in + pos, c->in_len - pos, &skip, &len);
        if (fr == MSC_SIP_FRAME_OK && inq_full(io)) {
            c->stalled = 1;
            ok = 0;
            break;
        }
        if (skip >= 4) {
            /* RFC 5626 keep-alive: a CRLFCRLF ping gets a CRLF pong */
            static const msc_addr none;
            node *pong = node_new(KIND_INTERNAL, MSC_NET_TCP, &none, "\r\n", 2);
            if (pong)
                conn_queue(io, c, pong);
        }
        pos += skip;
        if (fr == MSC_SIP_FRAME_OK) {
            received(io, MSC_NET_TCP, &c->peer, c->in + pos, len);
            pos += len;
            continue;
        }
        if (fr == MSC_SIP_FRAME_BROKEN) {
            conn_close(io, c);
            return 0;
        }
        break;
    }
    if (pos) {
        memmove(c->in, c->in + pos, c->in_len - pos);
        c->in_len -= pos;
    }
    return ok;
}

/* Read what arrived, frame it into SIP messages, deliver each. */
static void conn_read(msc_netio *io, conn *c)
{
    for (int k = 0; k < BURST && !c->dead && !c->stalled; k++) {
        ptrdiff_t r;
        if (c->in_len >= CONN_IN_CAP) {     /* cannot happen: framing says BROKEN first */
            conn_close(io, c);
            return;
        }
        r = msc_sock_recv(c->s, c->in + c->in_len, CONN_IN_CAP - c->in_len);
        if (r == MSC_SOCK_AGAIN)
            return;
        if (r <= 0) {                       /* end of stream or an error */
            conn_close(io, c);
            return;
        }
        c->in_len += (size_t)r;
        c->last = io->now;
        if (!conn_frame(io, c))
            return;
    }
}

/* ---- the I/O thread: sending --------------------------------------------------------------- */
static void route(msc_netio *io, queue *batch)
{
    node *n;
    while ((n = q_pop(batch))) {
        msc_net_item *it = item_of(n);
        conn *c;
        if (it->proto == MSC_NET_UDP) {
            if (it->peer.family != io->local.family)
                send_failed(io, n);
            else
                q_push(&io->udpq, n);
            continue;
        }
        c = conn_find(io, &it->peer);
        if (!c)
            c = conn_connect(io, &it->peer);
        if (!c)
            send_failed(io, n);
        else
            conn_queue(io, c, n);
    }
}

static void udp_flush(msc_netio *io)
{
    while (io->udpq.head) {
        node *n = io->udpq.head;
        msc_net_item *it = item_of(n);
        ptrdiff_t r = msc_sock_sendto(io->udp, it->data, it->len, &it->peer);
        if (r == MSC_SOCK_AGAIN)
            return;
        q_pop(&io->udpq);
        if (r < 0) {
            send_failed(io, n);
        } else {
            io->st.tx_msgs++;
            io->st.tx_bytes += it->len;
            free(n);
        }
    }
}

static void udp_read(msc_netio *io)
{
    for (int k = 0; k < BURST; k++) {
        msc_addr from;
        ptrdiff_t r = msc_sock_recvfrom(io->udp, io->rxbuf, UDP_RX_CAP, &from);
        if (r < 0)
            return;         /* drained, or an error: never fatal for the UDP socket */
        if (r > 0 && from.family)
            received(io, MSC_NET_UDP, &from, io->rxbuf, (size_t)r);
    }
}

static void accept_all(msc_netio *io)
{
    for (int k = 0; k < BURST; k++) {
        msc_addr peer;
        msc_sock s = msc_sock_accept(io->tcp, &peer);
        if (s == MSC_SOCK_INVALID)
            return;
        if (!peer.family) {
            msc_sock_close(s);
            continue;
        }
        (void)conn_add(io, s, &peer, 0);
    }
}

/* Connects that took too long, connections idle too long. */
static void timers(msc_netio *io)
{
    for (size_t i = 0; i < io->nconns; i++) {
        conn *c = io->conns[i];
        if (c->dead)
            continue;
        if (c->connecting ? io->now >= c->deadline : io->now - c->last >= io->idle_ms)
            conn_close(io, c);
    }
}

static int poll_timeout(msc_netio *io)
{
    uint64_t t = POLL_CAP_MS;
    for (size_t i = 0; i < io->nconns; i++) {
        conn *c = io->conns[i];
        uint64_t due = c->connecting ? c->deadline : c->last + io->idle_ms;
        uint64_t left = due > io->now ? due - io->now : 0;
        if (left < t)
            t = left;
    }
    return (int)t;
}

static void io_main(void *arg)
{
    msc_netio *io = arg;
    for (;;) {
        int stopping;
        queue batch;
        size_t np;
        int r;

        /* Drain the waker before taking the queue: a wake-up sent after this point is seen by
         * the next poll. */
        msc_sock_waker_drain(io->waker);
        msc_mutex_lock(io->mu);
        stopping = io->stop;
        io->wake_pending = 0;
        batch = io->outq;
        memset(&io->outq, 0, sizeof(io->outq));
        msc_mutex_unlock(io->mu);

        io->now = msc_clock_ms();
        route(io, &batch);
        if (stopping) {
            /* the last words (a user agent's BYEs and un-REGISTER) leave once, without waiting:
             * what cannot be written at once is dropped with the sockets */
            udp_flush(io);
            for (size_t i = 0; i < io->nconns; i++)
                conn_flush(io, io->conns[i]);
            break;
        }
        for (size_t i = 0; i < io->nconns; i++)     /* the owner took some: go on framing */
            if (io->conns[i]->stalled && !io->conns[i]->dead && !inq_full(io))
                conn_frame(io, io->conns[i]);
        udp_flush(io);
        for (size_t i = 0; i < io->nconns; i++)
            conn_flush(io, io->conns[i]);
        reap(io);
        publish(io);

        io->pfd[0].s = io->waker;
        io->pfd[0].want = MSC_POLL_IN;
        io->pfd[1].s = io->udp;
        io->pfd[1].want = MSC_POLL_IN | (io->udpq.head ? MSC_POLL_OUT : 0u);
        io->pfd[2].s = io->tcp;
        io->pfd[2].want = MSC_POLL_IN;
        for (size_t i = 0; i < io->nconns; i++) {
            conn *c = io->conns[i];
            io->pfd[3 + i].s = c->s;
            io->pfd[3 + i].want = c->connecting ? MSC_POLL_OUT
                                                : (c->stalled ? 0u : MSC_POLL_IN) | (c->out.head ? MSC_POLL_OUT : 0u);
        }
        np = 3 + io->nconns;
        r = msc_sock_poll(io->pfd, np, poll_timeout(io));
        io->now = msc_clock_ms();
        if (r < 0)
            msc_sleep_ms(10);       /* should not happen; do not spin */

        if (r > 0) {
            if (io->pfd[1].got & (MSC_POLL_IN | MSC_POLL_ERR))
                udp_read(io);
            if (io->pfd[1].got & MSC_POLL_OUT)
                udp_flush(io);
            for (size_t i = 0; i + 3 < np; i++) {
                conn *c = io->conns[i];
                unsigned got = io->pfd[3 + i].got;
                if (!got || c->dead)
                    continue;
                if (c->connecting) {
                    if (msc_sock_connect_result(c->s) != 0) {
                        conn_close(io, c);
                        continue;
                    }
                    c->connecting = 0;
                    c->last = io->now;
                    conn_flush(io, c);
                    continue;
                }
                if (got & (MSC_POLL_IN | MSC_POLL_ERR))
                    conn_read(io, c);
                if (got & MSC_POLL_OUT)
                    conn_flush(io, c);
            }
            reap(io);
            if (io->pfd[2].got & (MSC_POLL_IN | MSC_POLL_ERR))
                accept_all(io);
        }
        timers(io);
        reap(io);
        publish(io);
    }
}

/* ---- the owner's side ---------------------------------------------------------------------- */
static void destroy(msc_netio *io)
{
    if (!io)
        return;
    for (size_t i = 0; i < io->nconns; i++) {
        msc_sock_close(io->conns[i]->s);
        conn_free(io->conns[i]);
    }
    free(io->conns);
    free(io->pfd);
    free(io->rxbuf);
    q_free(&io->outq);
    q_free(&io->inq);
    q_free(&io->udpq);
    msc_sock_close(io->udp);
    msc_sock_close(io->tcp);
    msc_sock_close(io->waker);
    msc_cond_free(io->cv);
    msc_mutex_free(io->mu);
    if (io->sock_ready)
        msc_sock_cleanup();
    free(io);
}

/* Bind the UDP socket and the TCP listener to the same port.  0 or -1. */
static int bind_both(msc_netio *io, const msc_addr *where)
{
    int tries = where->port ? 1 : BIND_TRIES;
    for (int t = 0; t < tries; t++) {
        msc_addr a = *where;
        io->udp = msc_sock_open(a.family, MSC_NET_UDP);
        io->tcp = msc_sock_open(a.family, MSC_NET_TCP);
        if (io->udp == MSC_SOCK_INVALID || io->tcp == MSC_SOCK_INVALID)
            return -1;
        if (msc_sock_bind(io->udp, &a, 0) == 0 && msc_sock_local(io->udp, &a) == 0 &&
            msc_sock_bind(io->tcp, &a, 1) == 0 && msc_sock_listen(io->tcp, LISTEN_BACKLOG) == 0) {
            io->local = *where;
            io->local.port = a.port;
            return 0;
        }
        msc_sock_close(io->udp);
        msc_sock_close(io->tcp);
        io->udp = io->tcp = MSC_SOCK_INVALID;
    }
    return -1;
}

msc_hr msc_netio_start(const msc_netio_config *cfg, msc_netio **out)
{
    msc_netio *io;
    msc_addr where;

    if (out)
        *out = NULL;
    if (!cfg || !out)
        return MSC_E_INVALIDARG;
    memset(&where, 0, sizeof(where));
    io = calloc(1, sizeof(*io));
    if (!io)
        return MSC_E_OUTOFMEMORY;
    io->udp = io->tcp = io->waker = MSC_SOCK_INVALID;
    io->cfg = *cfg;
    io->max_conn = cfg->max_connections ? cfg->max_connections : DEFAULT_MAX_CONN;
    if (io->max_conn > MAX_CONN_LIMIT)
        io->max_conn = MAX_CONN_LIMIT;
    io->idle_ms = cfg->idle_close_ms ? cfg->idle_close_ms : DEFAULT_IDLE_MS;

    if (msc_sock_init() != 0) {
        destroy(io);
        return MSC_SR_CONNECTION_FAILURE;
    }
    io->sock_ready = 1;
    if (msc_sock_resolve(cfg->bind_host ? cfg->bind_host : "0.0.0.0", 1, cfg->port, &where) != 0) {
        destroy(io);
        return MSC_E_INVALIDARG;
    }
    io->local_any = ip_is_any(&where);

    io->conns = calloc(io->max_conn, sizeof(*io->conns));
    io->pfd = calloc(io->max_conn + 3, sizeof(*io->pfd));
    io->rxbuf = malloc(UDP_RX_CAP);
    io->mu = msc_mutex_new();
    io->cv = msc_cond_new();
    if (!io->conns || !io->pfd || !io->rxbuf || !io->mu || !io->cv) {
        destroy(io);
        return MSC_E_OUTOFMEMORY;
    }
    if (bind_both(io, &where) != 0) {
        destroy(io);
        return MSC_SR_CONNECTION_FAILURE;
    }
    io->waker = msc_sock_waker_open();
    if (io->waker == MSC_SOCK_INVALID) {
        destroy(io);
        return MSC_SR_CONNECTION_FAILURE;
    }
    io->now = msc_clock_ms();
    io->thread = msc_thread_start(io_main, io);
    if (!io->thread) {
        destroy(io);
        return MSC_E_OUTOFMEMORY;
    }
    *out = io;
    return MSC_S_OK;
}

void msc_netio_stop(msc_netio *io)
{
    if (!io)
        return;
    msc_mutex_lock(io->mu);
    io->stop = 1;
    msc_sock_wake(io->waker);
    msc_mutex_unlock(io->mu);
    msc_thread_join(io->thread);
    io->thread = NULL;
    destroy(io);
}

uint16_t msc_netio_port(const msc_netio *io)
{
    return io ? io->local.port : 0;
}

msc_addr msc_netio_local(const msc_netio *io)
{
    msc_addr a;
    if (io)
        return io->local;
    memset(&a, 0, sizeof(a));
    return a;
}

msc_hr msc_netio_send(msc_netio *io, msc_net_proto proto, const msc_addr *dest,
                      const void *buf, size_t len)
{
    node *n;
    if (!io || !dest || !buf || len == 0 || len > MSC_NET_MAX_MSG ||
        (proto != MSC_NET_UDP && proto != MSC_NET_TCP) ||
        (dest->family != 4 && dest->family != 6) || dest->port == 0)
        return MSC_E_INVALIDARG;
    n = node_new(MSC_NET_SEND_FAILED, proto, dest, buf, len);  /* the kind it has if it fails */
    if (!n)
        return MSC_E_OUTOFMEMORY;
    msc_mutex_lock(io->mu);
    if (io->outq.count >= OUT_QUEUE_MAX) {
        msc_mutex_unlock(io->mu);
        free(n);
        return MSC_E_OUTOFMEMORY;
    }
    q_push(&io->outq, n);
    if (!io->wake_pending) {
        io->wake_pending = 1;
        msc_sock_wake(io->waker);
    }
    msc_mutex_unlock(io->mu);
    return MSC_S_OK;
}

msc_net_item *msc_netio_take(msc_netio *io)
{
    node *n;
    if (!io)
        return NULL;
    msc_mutex_lock(io->mu);
    n = q_pop(&io->inq);
    if (io->stalled && io->inq.count <= IN_QUEUE_MAX / 2) {    /* resume stalled connections */
        io->stalled = 0;
        if (!io->wake_pending) {
            io->wake_pending = 1;
            msc_sock_wake(io->waker);
        }
    }
    msc_mutex_unlock(io->mu);
    return n ? item_of(n) : NULL;
}

int msc_netio_wait(msc_netio *io, uint32_t timeout_ms)
{
    uint64_t deadline;
    int r;
    if (!io)
        return 0;
    deadline = msc_clock_ms() + timeout_ms;
    msc_mutex_lock(io->mu);
    while (!io->inq.head && timeout_ms) {
        uint64_t now = msc_clock_ms();
        if (now >= deadline)
            break;
        msc_cond_wait(io->cv, io->mu, (uint32_t)(deadline - now));
    }
    r = io->inq.head != NULL;
    msc_mutex_unlock(io->mu);
    return r;
}

msc_netio_stats msc_netio_get_stats(msc_netio *io)
{
    msc_netio_stats s;
    memset(&s, 0, sizeof(s));
    if (!io)
        return s;
    msc_mutex_lock(io->mu);
    s = io->stats;
    msc_mutex_unlock(io->mu);
    return s;
}
