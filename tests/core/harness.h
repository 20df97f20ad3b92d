/* Test world for the core: a fake clock, users on one loopback network, and an event log per
 * user.  Every event is checked as it arrives against the engine's promises (no event after a
 * session's end, exactly one end, arguments within limits); world_free() checks that every
 * session ended exactly once and nothing leaked. */
#ifndef MSGSC_TEST_HARNESS_H
#define MSGSC_TEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "msgsc/core.h"
#include "msgsc/transport.h"
#include "msgsc/sip_ua.h"

#define APP_GUID   "{44BBA842-CC51-11CF-AAFA-00AA00B6015C}"
#define APP2_GUID  "{5D3E02AB-6190-11D3-BBBB-00C04F795683}"
#define NOAPP_GUID "{00000000-0000-0000-0000-0000000000AA}"
#define MAX_LOG 512
#define ALICE "alice@example.org"
#define BOB "bob@example.org"

typedef enum ev_kind {
    EV_INVITATION, EV_STATE, EV_ACCEPTED, EV_DECLINED, EV_CANCELLED, EV_TERMINATED,
    EV_CONTEXT, EV_SEND_ERROR, EV_APP_NOT_PRESENT
} ev_kind;

typedef struct ev {
    ev_kind kind;
    msc_session *s;          /* not referenced: compare only */
    msc_state prev;          /* EV_STATE */
    msc_state state;         /* the session's state when the event arrived */
    msc_hr hr;
    size_t len;              /* data length */
    char data[MSC_MAX_CONTEXT_BYTES + 1];
    char name[512], url[512];
    unsigned seq;            /* order across all users */
} ev;

struct world;
typedef struct party party;
/* Called after an event was logged; lets a test act inside a callback. */
typedef void (*ev_hook)(party *p, const ev *e);

struct party {
    struct world *w;
    const char *name;
    msc_loop_endpoint *ep;
    msc_manager *m;
    ev log[MAX_LOG];
    size_t nlog;
    int apps;                /* 0: APP_GUID and APP2_GUID are registered; 1: only APP_GUID */
    ev_hook hook;
    void *hook_data;
    msc_session *invited;    /* last session from an invitation event (referenced) */
    msc_sip_ua *ua;          /* SIP worlds: the party's user agent, at addr */
    msc_addr addr;
    msc_hr registration;     /* the last registration report */
};

/* A packet on the fake SIP network (SIP worlds). */
typedef struct sip_pkt {
    struct sip_pkt *next;
    int failed;              /* a send failure to report to the sender */
    msc_net_proto proto;
    msc_addr from, to;
    uint64_t due;
    size_t len;
    char data[];
} sip_pkt;

typedef struct world {
    uint64_t now;
    msc_loopnet *net;
    party p[4];
    size_t n;
    msc_config cfg;
    unsigned seq;
    unsigned rnd;            /* deterministic session IDs when nonzero */
    /* SIP worlds (world_new_sip): parties talk SIP over a fake network.  "example.org" resolves
     * to 10.0.0.100, which hands each request to the party named in its Request-URI (a stand-in
     * for a proxy's location service); each party listens on 10.0.0.N:5060. */
    int sip;
    msc_sip_ua_config sipcfg;            /* transport, timers (identity, local are per party) */
    sip_pkt *q, *qtail;
    unsigned drop_n, dup_n;              /* drop / duplicate the next n packets matching */
    char fault_match[32];                /* the packet's first line starts with this ("" any) */
    char wire_log[8192];                 /* first lines of every packet delivered, '|' separated */
    size_t wire_len;
    unsigned sip_packets, tcp_packets;
} world;

world *world_new(const msc_config *cfg);
world *world_new_sip(const msc_config *cfg, msc_net_proto proto);
/* SIP worlds: drop / duplicate the next n packets whose first line starts with match. */
void sip_drop(world *w, unsigned n, const char *match);
void sip_dup(world *w, unsigned n, const char *match);
/* SIP worlds: 1 when a packet whose first line starts with what was delivered since the last
 * wire_clear (the log keeps each first line). */
int wire_seen(const world *w, const char *what);
size_t wire_count(const world *w, const char *what);
void wire_clear(world *w);
/* SIP worlds: hand raw bytes to p's user agent as if from `from` (e.g. a foreign peer). */
void sip_inject(party *p, msc_net_proto proto, const msc_addr *from, const char *text);
/* SIP worlds: take the first queued packet whose first line starts with match (NULL: none);
 * the caller frees it. */
sip_pkt *sip_take(world *w, const char *match);
party *world_party(world *w, const char *name);       /* its manager takes w->cfg as it is now */
void world_free(world *w);                            /* checks invariants, frees everything */
void world_pump(world *w);                            /* deliver until quiet (no time passes) */
size_t world_sent(const world *w);                    /* messages sent so far (any transport) */
void party_unbind(party *p);                          /* its transport stops delivering to it */
void world_advance(world *w, uint64_t ms);            /* let time pass, firing timers in order */

/* A new session of p with the application set. */
msc_session *new_session(party *p, const char *app);
/* p invites q's user; returns the invitee's session after delivery (NULL if none arrived). */
msc_session *invite(party *p, msc_session *s, party *q, const char *data);

size_t count(const party *p, ev_kind k, const msc_session *s);   /* s NULL: any session */
const ev *last(const party *p, ev_kind k, const msc_session *s);
const ev *nth(const party *p, ev_kind k, const msc_session *s, size_t i);
void clear_log(party *p);
msc_str S(const char *z);
const char *ev_name(ev_kind k);
void dump_log(const party *p);

/* The usual fixture: W with alice (A) and bob (B). */
extern world *W;
extern party *A, *B;
int two_users_setup(void **state);
int two_users_teardown(void **state);
int two_sip_users_setup(void **state);      /* W, A, B over SIP (UDP) */
int two_sip_tcp_users_setup(void **state);  /* the same over TCP */
#define TWO_USERS(f) cmocka_unit_test_setup_teardown(f, two_users_setup, two_users_teardown)

/* Assert a session ended: state, the one OnTermination's hr. */
#define assert_ended(p, s, st, code) do { \
    assert_int_equal(msc_session_state(s), (st)); \
    assert_int_equal(count((p), EV_TERMINATED, (s)), 1); \
    assert_int_equal((uint32_t)last((p), EV_TERMINATED, (s))->hr, (uint32_t)(code)); \
} while (0)

#endif
