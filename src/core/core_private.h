/* msgsc core internals: shared by session.c, manager.c and table.c (and white-box tests). */
#ifndef MSGSC_CORE_PRIVATE_H
#define MSGSC_CORE_PRIVATE_H

#include "msgsc/core.h"
#include "msgsc/transport.h"

/* ---- the (state x role x action) table (table.c) ----------------------------------------- */
typedef enum msc_action {
    /* calls of the local application */
    MSC_A_SET_APP, MSC_A_SET_ADDRESS, MSC_A_INVITE, MSC_A_ACCEPT, MSC_A_DECLINE, MSC_A_CANCEL,
    MSC_A_SEND_CONTEXT,
    /* messages from the peer */
    MSC_A_RX_INVITE,         /* a second INVITE for a session we know: a duplicate */
    MSC_A_RX_ACCEPT, MSC_A_RX_ACK, MSC_A_RX_DECLINE, MSC_A_RX_NOT_INSTALLED, MSC_A_RX_CANCEL,
    MSC_A_RX_TIMEOUT, MSC_A_RX_BYE, MSC_A_RX_CONTEXT,
    /* the engine itself */
    MSC_A_ACK_SENT,          /* inviter: ACK for the peer's ACCEPT went out */
    MSC_A_LIFETIME_EXPIRED,  /* the invitation lifetime ran out */
    MSC_A_ANSWER_EXPIRED,    /* invitee: no ACK within answer_wait_ms after Accept */
    MSC_A_FAILURE,           /* the transport lost a message the session depends on */
    MSC_ACTION_COUNT
} msc_action;

typedef enum msc_verdict {
    MSC_ALLOW,      /* go on; next state in .next (0: unchanged) */
    MSC_REFUSE,     /* a local call fails with .hr, nothing changes */
    MSC_IGNORE,     /* a peer message or timer is dropped */
    MSC_ANSWER_BYE  /* a peer message for an ended session: answer with BYE so no ghost remains */
} msc_verdict;

typedef struct msc_rule {
    msc_verdict verdict;
    msc_state next;
    msc_hr hr;
} msc_rule;

msc_rule msc_table_lookup(msc_state state, msc_role role, msc_action action);
const char *msc_action_name(msc_action a);

/* ---- objects ------------------------------------------------------------------------------ */
typedef enum msc_timer_kind {
    MSC_TIMER_NONE, MSC_TIMER_LIFETIME, MSC_TIMER_ANSWER, MSC_TIMER_LINGER
} msc_timer_kind;

/* An owned, length-counted UTF-8 buffer. */
typedef struct msc_buf {
    char *p;
    size_t n;
    int set;
} msc_buf;

struct msc_session {
    unsigned refs;
    msc_manager *mgr;            /* NULL once detached */
    void *user;
    msc_state state;
    msc_role role;
    int in_table;
    int terminal_queued;         /* the terminal event is queued: nothing may follow it */
    int tombstone;               /* never offered: stands for a CANCEL that overtook its INVITE */
    char id[MSC_GUID_CHARS + 1];
    char app[MSC_GUID_CHARS + 1];/* "" until set */
    msc_buf app_name, app_url;
    msc_buf peer;                /* the other user's sign-in name */
    msc_buf local_address, remote_address, context;
    unsigned context_sends;
    msc_hr peer_reason;          /* what a late peer message is answered with once ended */
    /* timer */
    msc_timer_kind timer;
    uint64_t deadline;
    size_t heap_index;           /* position in the manager's deadline heap, or SIZE_MAX */
    msc_session *hash_next;
    msc_session *all_prev, *all_next;   /* every session of the manager, routed or not */
    msc_session *pending_prev, *pending_next; /* our invitations awaiting an answer, by (peer, app) */
    /* while an event about this session is being delivered, State reads as it was right after
     * the change that event reports */
    int showing;
    msc_state shown;
};

typedef enum msc_event_kind {
    MSC_EV_INVITATION, MSC_EV_STATE_CHANGED, MSC_EV_ACCEPTED, MSC_EV_DECLINED, MSC_EV_CANCELLED,
    MSC_EV_TERMINATED, MSC_EV_CONTEXT_DATA, MSC_EV_SEND_ERROR, MSC_EV_APP_NOT_PRESENT
} msc_event_kind;

typedef struct msc_event {
    struct msc_event *next;
    msc_event_kind kind;
    msc_session *session;        /* referenced */
    msc_state prev;
    msc_state after;             /* the session's state right after this event's change */
    msc_hr hr;
    msc_buf a, b;                /* data / name, url */
} msc_event;

struct msc_manager {
    msc_host host;
    msc_transport tp;
    msc_events ev;
    msc_config cfg;
    /* sessions by ID: chained hash table */
    msc_session **buckets;
    size_t nbuckets, nsessions;
    msc_session *all;            /* every attached session, so destroy can detach them */
    size_t tombstones;           /* at most MSC_MAX_TOMBSTONES */
    size_t pending_invites;      /* our invitations awaiting an answer (glare checks) */
    msc_session *pending[64];    /* those invitations, hashed by (peer, app) */
    /* deadlines: binary min-heap of sessions */
    msc_session **heap;
    size_t heap_len, heap_cap;
    uint64_t rng;                /* fallback generator state */
    /* event queue and re-entrancy */
    msc_event *ev_head, *ev_tail;
    unsigned depth;
    int draining, doomed;
    size_t late_events;          /* events refused because the session had ended: must stay 0 */
};

/* manager.c: services used by session.c */
void msc__enter(msc_manager *m);
void msc__leave(msc_manager *m);
uint64_t msc__now(msc_manager *m);
void msc__queue(msc_session *s, msc_event_kind kind, msc_state prev, msc_hr hr, msc_str a, msc_str b);
void msc__timer_set(msc_session *s, msc_timer_kind kind, uint64_t deadline);
void msc__timer_clear(msc_session *s);
msc_hr msc__send(msc_session *s, msc_msg *msg);
void msc__pending_add(msc_manager *m, msc_session *s);
void msc__pending_remove(msc_manager *m, msc_session *s);
msc_session *msc__pending_first(msc_manager *m, msc_str peer, const char *app);
msc_str msc__local_identity(msc_manager *m);
void msc__table_add(msc_manager *m, msc_session *s);
msc_session *msc__find(msc_manager *m, const char *id);
void msc__link(msc_manager *m, msc_session *s);
void msc__unlink(msc_manager *m, msc_session *s);
void msc__new_id(msc_manager *m, char out[MSC_GUID_CHARS + 1]);

#define MSC_MAX_TOMBSTONES 4096

/* session.c: used by manager.c */
void msc__tombstone(msc_manager *m, const msc_msg *msg, const char *id);
msc_session *msc__session_new(msc_manager *m);
void msc__session_receive(msc_session *s, const msc_msg *msg);
void msc__session_timer_fired(msc_session *s, msc_timer_kind kind);
void msc__session_send_failed(msc_session *s, const msc_msg *msg, msc_hr why);
void msc__session_detach(msc_session *s);
/* id: msg's session ID, upper-cased */
msc_hr msc__accept_invite(msc_manager *m, const msc_msg *msg, const char *id, msc_session **out);
/* Answer msg (verb, cancel code, reason) without a session. */
void msc__reply(msc_manager *m, const msc_msg *to_what, msc_verb verb, msc_cancel_code code, msc_hr hr);

/* buffers */
int msc__buf_set(msc_buf *b, msc_str s);      /* 0 when out of memory */
void msc__buf_free(msc_buf *b);
static inline msc_str msc__buf_str(const msc_buf *b) { return msc_str_make(b->n ? b->p : "", b->n); }

#endif
