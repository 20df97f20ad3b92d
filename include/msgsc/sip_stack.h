/* msgsc SIP stack: a SIP user agent (sip_ua.h) on real sockets (net.h), for hosts that run it on
 * their own thread: the DLL's apartments, the command-line agent, the benchmark.  The host
 * creates the core manager on msc_sip_stack_transport(), binds it, and from its owner thread
 * calls msc_sip_stack_drain() when notified (or after msc_sip_stack_wait) and
 * msc_sip_stack_tick() at msc_sip_stack_next_deadline().
 *
 * Code: src/transport/sip/stack.c.
 */
#ifndef MSGSC_SIP_STACK_H
#define MSGSC_SIP_STACK_H

#include "msgsc/sip_ua.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct msc_sip_stack_config {
    msc_sip_ua_config ua;        /* ua.local: only the address to advertise; port set here */
    const char *bind_host;       /* numeric; NULL: "0.0.0.0" */
    uint16_t port;               /* 0: any free port */
    uint64_t (*now_ms)(void *ctx);
    void (*random)(void *ctx, void *buf, size_t len);
    void (*wake)(void *ctx);     /* an earliest deadline changed (owner thread) */
    void (*notify)(void *ctx);   /* network input is waiting (I/O thread: only wake the owner) */
    void (*registration)(void *ctx, msc_hr status);
    void (*trace)(void *ctx, const char *line);
    void *ctx;
} msc_sip_stack_config;

typedef struct msc_sip_stack msc_sip_stack;

/* Bind, start the I/O thread, create the user agent.  If ua.local has no address, the bind
 * address is advertised (127.0.0.1 for "0.0.0.0").  S_OK; MSC_SR_CONNECTION_FAILURE when the
 * port cannot be bound; E_INVALIDARG for a bad identity or proxy; E_OUTOFMEMORY. */
msc_hr msc_sip_stack_start(const msc_sip_stack_config *cfg, msc_sip_stack **out);
/* Unregisters (best effort), stops the thread, frees everything. */
void msc_sip_stack_stop(msc_sip_stack *st);

msc_sip_ua *msc_sip_stack_ua(msc_sip_stack *st);
const msc_transport *msc_sip_stack_transport(msc_sip_stack *st);
uint16_t msc_sip_stack_port(const msc_sip_stack *st);

/* Hand everything that arrived to the user agent; returns how many items. */
size_t msc_sip_stack_drain(msc_sip_stack *st);
void msc_sip_stack_tick(msc_sip_stack *st);
int msc_sip_stack_next_deadline(const msc_sip_stack *st, uint64_t *at);
/* Block until input arrives or timeout_ms passes. */
int msc_sip_stack_wait(msc_sip_stack *st, uint32_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
