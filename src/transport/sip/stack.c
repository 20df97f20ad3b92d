/* msgsc SIP stack: the user agent on real sockets (include/msgsc/sip_stack.h). */
#include <stdlib.h>
#include <string.h>
#include "msgsc/sip_stack.h"

struct msc_sip_stack {
    msc_sip_stack_config cfg;
    msc_netio *io;
    msc_sip_ua *ua;
};

static uint64_t st_now(void *ctx) { msc_sip_stack *st = ctx; return st->cfg.now_ms(st->cfg.ctx); }
static void st_random(void *ctx, void *buf, size_t len) { msc_sip_stack *st = ctx; st->cfg.random(st->cfg.ctx, buf, len); }
static void st_wake(void *ctx) { msc_sip_stack *st = ctx; if (st->cfg.wake) st->cfg.wake(st->cfg.ctx); }
static void st_registration(void *ctx, msc_hr hr)
{
    msc_sip_stack *st = ctx;
    if (st->cfg.registration) st->cfg.registration(st->cfg.ctx, hr);
}
static void st_trace(void *ctx, const char *line)
{
    msc_sip_stack *st = ctx;
    if (st->cfg.trace) st->cfg.trace(st->cfg.ctx, line);
}

static msc_hr st_send(void *ctx, msc_net_proto proto, const msc_addr *dest, const void *buf, size_t len)
{
    return msc_netio_send(((msc_sip_stack *)ctx)->io, proto, dest, buf, len);
}

static msc_hr st_resolve(void *ctx, msc_str host, uint16_t port, msc_addr *out)
{
    (void)ctx;
    return msc_net_resolve(host, port, out);
}

msc_hr msc_sip_stack_start(const msc_sip_stack_config *cfg, msc_sip_stack **out)
{
    msc_sip_stack *st;
    msc_netio_config nc;
    msc_sip_ua_config uc;
    msc_sip_ua_io uio;
    msc_hr hr;

    if (!out) return MSC_E_POINTER;
    *out = NULL;
    if (!cfg || !cfg->now_ms || !cfg->random) return MSC_E_INVALIDARG;
    if (!(st = calloc(1, sizeof *st))) return MSC_E_OUTOFMEMORY;
    st->cfg = *cfg;
    memset(&nc, 0, sizeof nc);
    nc.bind_host = cfg->bind_host;
    nc.port = cfg->port;
    nc.notify = cfg->notify;
    nc.ctx = cfg->ctx;
    if ((hr = msc_netio_start(&nc, &st->io)) != MSC_S_OK) { free(st); return hr; }
    uc = cfg->ua;
    if (!uc.local.family) {                        /* advertise the bound address */
        uc.local = msc_netio_local(st->io);
        if (uc.local.family == 4 && !memcmp(uc.local.ip, "\0\0\0\0", 4)) {
            uc.local.ip[0] = 127; uc.local.ip[3] = 1;
        }
    }
    uc.local.port = msc_netio_port(st->io);
    memset(&uio, 0, sizeof uio);
    uio.ctx = st;
    uio.now_ms = st_now;
    uio.wake = st_wake;
    uio.random = st_random;
    uio.send = st_send;
    uio.resolve = st_resolve;
    uio.registration = st_registration;
    uio.trace = cfg->trace ? st_trace : NULL;
    if ((hr = msc_sip_ua_create(&uc, &uio, &st->ua)) != MSC_S_OK) {
        msc_netio_stop(st->io);
        free(st);
        return hr;
    }
    *out = st;
    return MSC_S_OK;
}

void msc_sip_stack_stop(msc_sip_stack *st)
{
    uint64_t until;
    if (!st) return;
    /* Sign out and wait for the answer, at most 2 s: a registrar asks for credentials first, and a
     * binding left behind sends the user's calls to a dead address until it expires.  Nobody
     * above hears anything more: the receiver and the callbacks may be gone already. */
    msc_sip_ua_set_sink(st->ua, NULL);
    st->cfg.wake = NULL;
    st->cfg.registration = NULL;
    st->cfg.trace = NULL;
    if (msc_sip_ua_unregister(st->ua) == MSC_S_OK) {
        until = st_now(st) + 2000;
        while (msc_sip_ua_signing_out(st->ua) && st_now(st) < until) {
            msc_sip_stack_wait(st, 50);
            msc_sip_stack_drain(st);
            msc_sip_stack_tick(st);
        }
    }
    msc_sip_ua_destroy(st->ua);
    msc_netio_stop(st->io);
    free(st);
}

msc_sip_ua *msc_sip_stack_ua(msc_sip_stack *st) { return st ? st->ua : NULL; }
const msc_transport *msc_sip_stack_transport(msc_sip_stack *st) { return st ? msc_sip_ua_transport(st->ua) : NULL; }
uint16_t msc_sip_stack_port(const msc_sip_stack *st) { return st ? msc_netio_port(st->io) : 0; }

size_t msc_sip_stack_drain(msc_sip_stack *st)
{
    msc_net_item *it;
    size_t n = 0;
    if (!st) return 0;
    while ((it = msc_netio_take(st->io)) != NULL) {
        if (it->kind == MSC_NET_RECEIVED) msc_sip_ua_input(st->ua, it->proto, &it->peer, it->data, it->len);
        else msc_sip_ua_send_failed(st->ua, it->proto, &it->peer, it->data, it->len, it->hr);
        msc_net_item_free(it);
        n++;
    }
    return n;
}

void msc_sip_stack_tick(msc_sip_stack *st) { if (st) msc_sip_ua_tick(st->ua); }
int msc_sip_stack_next_deadline(const msc_sip_stack *st, uint64_t *at) { return st && msc_sip_ua_next_deadline(st->ua, at); }
int msc_sip_stack_wait(msc_sip_stack *st, uint32_t timeout_ms) { return st && msc_netio_wait(st->io, timeout_ms); }
