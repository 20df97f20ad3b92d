/* Loopback transport: any number of users in one process, for tests, the demo and benchmarks.
 *
 * Messages are encoded with the real body codec on send and decoded on delivery, so everything
 * that crosses the loopback has crossed the wire format too.  Nothing is delivered from inside
 * send(): messages wait in a queue until the owner calls msc_loopnet_pump(), which keeps the
 * whole exchange single-threaded and deterministic.  Fault knobs (drop, duplicate, delay,
 * reorder, fail now, fail later) apply to the next n messages, optionally of one verb only.
 */
#include <stdlib.h>
#include <string.h>
#include "msgsc/transport.h"

#define MAX_PUMP_ROUNDS 1000000   /* bounds a ping-pong of messages in one pump */

typedef struct queued {
    struct queued *next;
    uint64_t due;
    msc_loop_endpoint *src;
    msc_hr fail_hr;              /* nonzero: report this to the sender instead of delivering */
    char to[sizeof(((msc_msg *)0)->to)];
    char from[sizeof(((msc_msg *)0)->from)];
    size_t len;
    char body[];
} queued;

struct msc_loop_endpoint {
    msc_loopnet *net;
    msc_loop_endpoint *next;
    msc_transport tp;
    msc_manager *mgr;
    int online;
    char user[sizeof(((msc_msg *)0)->from)];
    char address[sizeof(((msc_msg *)0)->address)];
};

typedef struct fault {
    unsigned n;
    uint32_t arg;
} fault;

enum { F_DROP, F_DUP, F_DELAY, F_REORDER, F_FAIL, F_FAIL_ASYNC, F_COUNT };

struct msc_loopnet {
    uint64_t (*now_ms)(void *ctx);
    void *clock_ctx;
    msc_loop_endpoint *endpoints;
    queued *head, *tail;
    fault faults[F_COUNT];
    msc_verb filter;
    msc_loop_stats stats;
};

static msc_loop_endpoint *find(const msc_loopnet *net, msc_str user)
{
    msc_loop_endpoint *ep;
    for (ep = net->endpoints; ep; ep = ep->next)
        if (msc_same_user(msc_cstr(ep->user), user)) return ep;
    return NULL;
}

/* Consume one use of a fault knob when it applies to this message. */
static int take(msc_loopnet *net, int which, const msc_msg *msg)
{
    fault *f = &net->faults[which];
    if (!f->n || (net->filter != MSC_VERB_NONE && msg->verb != net->filter)) return 0;
    f->n--;
    return 1;
}

static int enqueue(msc_loopnet *net, msc_loop_endpoint *src, const msc_msg *msg, const char *body,
                   size_t len, uint64_t due, int front, msc_hr fail_hr)
{
    queued *q = malloc(sizeof(*q) + len);
    if (!q) return 0;
    memset(q, 0, sizeof(*q));
    q->due = due;
    q->src = src;
    q->fail_hr = fail_hr;
    memcpy(q->to, msg->to, sizeof(q->to));
    memcpy(q->from, msg->from, sizeof(q->from));
    q->len = len;
    memcpy(q->body, body, len);
    if (front) {
        q->next = net->head;
        net->head = q;
        if (!net->tail) net->tail = q;
    } else {
        if (net->tail) net->tail->next = q;
        else net->head = q;
        net->tail = q;
    }
    return 1;
}

/* ---- the transport ops -------------------------------------------------------------------- */
static msc_hr loop_send(void *ctx, const msc_msg *msg)
{
    msc_loop_endpoint *ep = ctx;
    msc_loopnet *net = ep->net;
    char body[MSC_BODY_MAX];
    size_t len;
    uint64_t due = net->now_ms(net->clock_ctx);
    msc_hr fail_hr = 0;
    int copies = 1, front, i;

    if (take(net, F_FAIL, msg)) {
        net->stats.failed++;
        return (msc_hr)net->faults[F_FAIL].arg;
    }
    if (!(len = msc_body_encode(msg, body, sizeof(body)))) return MSC_E_INVALIDARG;
    net->stats.sent++;
    net->stats.encoded_bytes += len;
    if (take(net, F_DROP, msg)) {
        net->stats.dropped++;
        return MSC_S_OK;
    }
    if (take(net, F_FAIL_ASYNC, msg)) fail_hr = (msc_hr)net->faults[F_FAIL_ASYNC].arg;
    if (take(net, F_DELAY, msg)) due += net->faults[F_DELAY].arg;
    if (take(net, F_DUP, msg)) {
        copies = 2;
        net->stats.duplicated++;
    }
    front = take(net, F_REORDER, msg);
    for (i = 0; i < copies; i++)
        if (!enqueue(net, ep, msg, body, len, due, front, fail_hr)) return MSC_E_OUTOFMEMORY;
    return MSC_S_OK;
}

static msc_str loop_identity(void *ctx)
{
    msc_loop_endpoint *ep = ctx;
    return msc_cstr(ep->user);
}

static msc_str loop_address(void *ctx)
{
    msc_loop_endpoint *ep = ctx;
    return msc_cstr(ep->address);
}

static msc_presence loop_presence(void *ctx, msc_str user)
{
    msc_loop_endpoint *ep = ctx, *peer = find(ep->net, user);
    return peer && peer->online ? MSC_PRESENCE_ONLINE : MSC_PRESENCE_OFFLINE;
}

/* ---- the network -------------------------------------------------------------------------- */
msc_loopnet *msc_loopnet_create(uint64_t (*now_ms)(void *ctx), void *clock_ctx)
{
    msc_loopnet *net;
    if (!now_ms || !(net = calloc(1, sizeof(*net)))) return NULL;
    net->now_ms = now_ms;
    net->clock_ctx = clock_ctx;
    return net;
}

void msc_loopnet_destroy(msc_loopnet *net)
{
    queued *q;
    msc_loop_endpoint *ep;
    if (!net) return;
    while ((q = net->head)) {
        net->head = q->next;
        free(q);
    }
    while ((ep = net->endpoints)) {
        net->endpoints = ep->next;
        free(ep);
    }
    free(net);
}

msc_loop_endpoint *msc_loopnet_endpoint(msc_loopnet *net, msc_str user, msc_str address)
{
    msc_loop_endpoint *ep;

    if (!net || !user.n || find(net, user)) return NULL;
    if (!(ep = calloc(1, sizeof(*ep)))) return NULL;
    if (!msc_msg_set(ep->user, sizeof(ep->user), user) || !msc_msg_set(ep->address, sizeof(ep->address), address)) {
        free(ep);
        return NULL;
    }
    ep->net = net;
    ep->online = 1;
    ep->tp.ctx = ep;
    ep->tp.send = loop_send;
    ep->tp.local_identity = loop_identity;
    ep->tp.local_address = loop_address;
    ep->tp.presence = loop_presence;
    ep->next = net->endpoints;
    net->endpoints = ep;
    return ep;
}

msc_loop_endpoint *msc_loopnet_find(msc_loopnet *net, msc_str user) { return net ? find(net, user) : NULL; }

const msc_transport *msc_loop_endpoint_transport(msc_loop_endpoint *ep) { return ep ? &ep->tp : NULL; }
void msc_loop_endpoint_bind(msc_loop_endpoint *ep, msc_manager *m) { if (ep) ep->mgr = m; }
void msc_loop_endpoint_set_online(msc_loop_endpoint *ep, int online) { if (ep) ep->online = !!online; }

/* Deliver (or fail) one queued message. */
static void deliver(msc_loopnet *net, queued *q)
{
    msc_loop_endpoint *dst = find(net, msc_cstr(q->to));
    msc_msg msg;

    if (msc_body_decode(q->body, q->len, &msg) != MSC_S_OK) return;
    memcpy(msg.to, q->to, sizeof(msg.to));
    memcpy(msg.from, q->from, sizeof(msg.from));
    if (!q->fail_hr && (!dst || !dst->online || !dst->mgr)) q->fail_hr = MSC_MSGR_E_NOT_LOGGED_ON;
    if (q->fail_hr) {
        net->stats.failed++;
        if (q->src->mgr) msc_manager_send_failed(q->src->mgr, &msg, q->fail_hr);
        return;
    }
    net->stats.delivered++;
    msc_manager_receive(dst->mgr, &msg);
}

size_t msc_loopnet_pump(msc_loopnet *net) { return msc_loopnet_pump_some(net, MAX_PUMP_ROUNDS); }

size_t msc_loopnet_pump_some(msc_loopnet *net, size_t max)
{
    size_t n = 0;
    uint64_t now;
    queued **p, *q;

    if (!net) return 0;
    now = net->now_ms(net->clock_ctx);
    while (n < max) {
        /* the first message that is due, in queue order */
        for (p = &net->head; *p && (*p)->due > now; p = &(*p)->next) {}
        if (!(q = *p)) break;
        *p = q->next;
        if (net->tail == q) {
            queued *t = net->head;
            while (t && t->next) t = t->next;
            net->tail = t;
        }
        deliver(net, q);
        free(q);
        n++;
    }
    return n;
}

size_t msc_loopnet_pending(const msc_loopnet *net)
{
    size_t n = 0;
    const queued *q;
    for (q = net ? net->head : NULL; q; q = q->next) n++;
    return n;
}

int msc_loopnet_next_due(const msc_loopnet *net, uint64_t *at)
{
    const queued *q;
    int any = 0;
    for (q = net ? net->head : NULL; q; q = q->next) {
        if (!any || q->due < *at) *at = q->due;
        any = 1;
    }
    return any;
}

static void set_fault(msc_loopnet *net, int which, unsigned n, uint32_t arg)
{
    if (!net) return;
    net->faults[which].n = n;
    net->faults[which].arg = arg;
}

void msc_loopnet_drop_next(msc_loopnet *net, unsigned n) { set_fault(net, F_DROP, n, 0); }
void msc_loopnet_duplicate_next(msc_loopnet *net, unsigned n) { set_fault(net, F_DUP, n, 0); }
void msc_loopnet_delay_next(msc_loopnet *net, unsigned n, uint32_t ms) { set_fault(net, F_DELAY, n, ms); }
void msc_loopnet_reorder_next(msc_loopnet *net, unsigned n) { set_fault(net, F_REORDER, n, 0); }
void msc_loopnet_fail_send_next(msc_loopnet *net, unsigned n, msc_hr hr) { set_fault(net, F_FAIL, n, (uint32_t)hr); }
void msc_loopnet_fail_async_next(msc_loopnet *net, unsigned n, msc_hr hr) { set_fault(net, F_FAIL_ASYNC, n, (uint32_t)hr); }
void msc_loopnet_fault_filter(msc_loopnet *net, msc_verb verb) { if (net) net->filter = verb; }
msc_loop_stats msc_loopnet_stats(const msc_loopnet *net)
{
    msc_loop_stats none = { 0, 0, 0, 0, 0, 0 };
    return net ? net->stats : none;
}
