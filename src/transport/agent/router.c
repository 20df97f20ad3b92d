/* The agent's router: one network identity, many applications (agent.h, docs/agent.md).
 *
 * Sessions live in the applications' engines; the router only knows which connection owns each
 * session id (a route) and holds new invitations until someone takes them:
 *
 *   INVITE from the network -> policy and rate checks -> OFFER to each running application in
 *   turn (the first HANDLED=1 owns it) -> not registered: REJECT_NOT_INSTALLED -> ask (or the
 *   unattended answer) -> declined: REJECT -> BeforeAppLaunch at the applications that saw the
 *   offer (one that says no takes it: TAKE) -> OnReadyToLaunch -> launch the registered Path ->
 *   the launched process's HELLO (its pid, or its parent's) gets the invitation in WELCOME.
 *
 * An application that saw the offer and did not handle it keeps a copy (an observer): it gets
 * the peer's news about the invitation and, once the invitation is settled elsewhere, END.  An
 * observer that answers itself (Accept or Decline on its copy) takes the invitation over.
 *
 * The other way round, as Messenger's own "invite to an application" did: START asks the agent to
 * launch the registered application as the inviter.  It is held like an invitation in LAUNCHING
 * (an outgoing one), and the launched process's WELCOME carries the INVITE for it to send.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "msgsc/agent.h"

#define MAX_OBSERVERS 16
#define MAX_PEERS 256             /* rate buckets kept; the least recently used one is reused */
#define ROUTE_LINGER_MS 32000u    /* an ended session's late messages still reach its owner */

typedef struct route {
    char id[MSC_GUID_CHARS + 1];
    char peer[MSC_UTF8_BYTES(MSC_MAX_USER_CHARS) + 1];
    msc_conn conn;
    unsigned we_invited : 1, answered : 1, ended : 1;
    uint64_t linger_until;
} route;

typedef enum phase { OFFERING, ASKING, VETOING, LAUNCHING } phase;

typedef struct held {
    struct held *next;
    msc_msg invite;               /* outgoing: the START's request */
    phase phase;
    int outgoing;                 /* a START: launching the inviter's application */
    msc_conn requester;           /* outgoing: who hears RESULT (0: gone) */
    uint64_t expires;             /* the invitation's lifetime */
    uint64_t wait_until;          /* OFFERING/VETOING: the application's answer; LAUNCHING: HELLO */
    msc_conn waiting;             /* OFFERING/VETOING: whose answer */
    msc_conn observers[MAX_OBSERVERS];
    size_t nobservers, vetoed;    /* VETOING: observers asked so far */
    msc_conn offered[MAX_OBSERVERS * 2];
    size_t noffered;
    uint32_t ticket, pid;
} held;

typedef struct conn_rec {
    msc_conn id;
    int hello, control;           /* control: a command (START), not an application: no offers */
    uint32_t pid, ppid;
} conn_rec;

typedef struct bucket {
    char peer[MSC_UTF8_BYTES(MSC_MAX_USER_CHARS) + 1];
    double tokens;
    uint64_t at;
} bucket;

struct msc_router {
    msc_router_host host;
    msc_transport net;
    msc_router_config cfg;
    char *contacts, *token;
    conn_rec *conns;
    size_t nconns, capconns;
    route *routes;
    size_t nroutes, caproutes;
    held *held;
    size_t nheld;
    bucket *buckets;
    size_t nbuckets;
    uint32_t next_ticket;
    int stop;
    msc_router_stats st;
};

/* ---- small helpers ------------------------------------------------------------------------------- */
static uint64_t now(msc_router *r) { return r->host.now_ms(r->host.ctx); }

static void trace(msc_router *r, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    if (!r->host.trace) return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    r->host.trace(r->host.ctx, line);
}

static char *dup_str(msc_str s)
{
    char *p = malloc(s.n + 1);
    if (!p) return NULL;
    if (s.n) memcpy(p, s.p, s.n);
    p[s.n] = 0;
    return p;
}

static conn_rec *conn_find(msc_router *r, msc_conn id)
{
    size_t i;
    for (i = 0; i < r->nconns; i++)
        if (r->conns[i].id == id) return &r->conns[i];
    return NULL;
}

static void link_send(msc_router *r, msc_conn conn, const msc_link_frame *f)
{
    if (r->host.link_send(r->host.ctx, conn, f) != MSC_S_OK)
        trace(r, "link %u: cannot send %s", (unsigned)conn, msc_link_kind_name(f->kind));
}

static void send_session(msc_router *r, msc_conn conn, msc_link_kind kind, const char *id, int64_t value)
{
    msc_link_frame f;
    msc_link_init(&f, kind);
    memcpy(f.session, id, sizeof(f.session));
    f.value = value;
    link_send(r, conn, &f);
}

static void send_msg(msc_router *r, msc_conn conn, msc_link_kind kind, const msc_msg *msg, int64_t value)
{
    msc_link_frame f;
    msc_link_init(&f, kind);
    memcpy(f.session, msg->session_id, sizeof(f.session));
    f.value = value;
    f.has_msg = 1;
    f.msg = *msg;
    link_send(r, conn, &f);
}

/* A message of ours to the network, about a session whose peer is peer. */
static void net_send(msc_router *r, msc_verb verb, msc_cancel_code code, msc_hr hr, const char *id, const char *peer)
{
    msc_msg m;
    msc_msg_init(&m, verb, msc_cstr(id));
    m.code = code;
    m.hr = hr;
    MSC_MSG_SET(&m, from, r->net.local_identity(r->net.ctx));
    MSC_MSG_SET(&m, to, msc_cstr(peer));
    r->net.send(r->net.ctx, &m);
}

/* ---- routes ------------------------------------------------------------------------------------------ */
static route *route_find(msc_router *r, const char *id)
{
    size_t i;
    for (i = 0; i < r->nroutes; i++)
        if (!strcmp(r->routes[i].id, id)) return &r->routes[i];
    return NULL;
}

static route *route_add(msc_router *r, const char *id, msc_conn conn, int we_invited, const char *peer)
{
    route *rt;
    if (r->nroutes == r->caproutes) {
        size_t cap = r->caproutes ? r->caproutes * 2 : 16;
        route *n = realloc(r->routes, cap * sizeof(*n));
        if (!n) return NULL;
        r->routes = n;
        r->caproutes = cap;
    }
    rt = &r->routes[r->nroutes++];
    memset(rt, 0, sizeof(*rt));
    memcpy(rt->id, id, sizeof(rt->id));
    rt->conn = conn;
    rt->we_invited = (unsigned)we_invited;
    msc_msg_set(rt->peer, sizeof(rt->peer), msc_cstr(peer));
    return rt;
}

static void route_remove(msc_router *r, route *rt)
{
    *rt = r->routes[--r->nroutes];
}

/* What a message says about its session's progress. */
static void route_note(msc_router *r, route *rt, const msc_msg *m)
{
    if (m->verb == MSC_VERB_ACCEPT || m->verb == MSC_VERB_ACK) rt->answered = 1;
    if ((m->verb == MSC_VERB_CANCEL || m->verb == MSC_VERB_BYE) && !rt->ended) {
        rt->ended = 1;
        rt->linger_until = now(r) + ROUTE_LINGER_MS;
    }
}

/* The owner went away: end the session on the network side too. */
static void route_abort(msc_router *r, route *rt, msc_hr hr)
{
    if (rt->ended) return;
    if (rt->answered) net_send(r, MSC_VERB_BYE, MSC_CANCEL_NONE, hr, rt->id, rt->peer);
    else net_send(r, MSC_VERB_CANCEL, rt->we_invited ? MSC_CANCEL_OUTBANDCANCEL : MSC_CANCEL_FAIL, hr, rt->id, rt->peer);
    rt->ended = 1;
    rt->linger_until = now(r) + ROUTE_LINGER_MS;
}

/* ---- held invitations ------------------------------------------------------------------------------- */
static held *held_find(msc_router *r, const char *id)
{
    held *h;
    if (!id[0]) return NULL;
    for (h = r->held; h; h = h->next)
        if (!strcmp(h->invite.session_id, id)) return h;
    return NULL;
}

static void held_free(msc_router *r, held *h)
{
    held **p;
    for (p = &r->held; *p; p = &(*p)->next) {
        if (*p == h) {
            *p = h->next;
            break;
        }
    }
    if (h->phase == ASKING && r->host.unask) r->host.unask(r->host.ctx, h->ticket);
    r->nheld--;
    free(h);
}

static int is_observer(const held *h, msc_conn c)
{
    size_t i;
    for (i = 0; i < h->nobservers; i++)
        if (h->observers[i] == c) return 1;
    return 0;
}

static void observer_remove(held *h, msc_conn c)
{
    size_t i;
    for (i = 0; i < h->nobservers; i++) {
        if (h->observers[i] == c) {
            memmove(&h->observers[i], &h->observers[i + 1], (h->nobservers - i - 1) * sizeof(msc_conn));
            h->nobservers--;
            if (h->phase == VETOING && h->vetoed > i) h->vetoed--;
            return;
        }
    }
}

/* The invitation is settled: every observer but keep ends its copy with why. */
static void settle(msc_router *r, held *h, msc_conn keep, msc_hr why)
{
    size_t i;
    for (i = 0; i < h->nobservers; i++)
        if (h->observers[i] != keep) send_session(r, h->observers[i], MSC_LINK_END, h->invite.session_id, why);
    held_free(r, h);
}

/* conn owns the held invitation from now on. */
static void hand_over(msc_router *r, held *h, msc_conn conn, msc_hr others)
{
    route_add(r, h->invite.session_id, conn, 0, h->invite.from);
    settle(r, h, conn, others);
}

/* The invitee side says no on the network, and the observers hear why.  An outgoing one never
 * reached the network: its requester hears why. */
static void refuse(msc_router *r, held *h, msc_cancel_code code, msc_hr hr)
{
    if (h->outgoing) {
        if (h->requester) send_session(r, h->requester, MSC_LINK_RESULT, h->invite.session_id, hr);
        held_free(r, h);
        return;
    }
    net_send(r, MSC_VERB_CANCEL, code, hr, h->invite.session_id, h->invite.from);
    settle(r, h, 0, hr);
}

static void next_offer(msc_router *r, held *h);
static void next_veto(msc_router *r, held *h);

/* Both sides end with SR_APPLICATION_LAUNCH_FAILED. */
static void launch_failed(msc_router *r, held *h, const char *why)
{
    trace(r, "%s: process %u: %s", h->invite.session_id, (unsigned)h->pid, why);
    r->st.launch_failed++;
    refuse(r, h, MSC_CANCEL_FAIL, MSC_SR_APPLICATION_LAUNCH_FAILED);
}

static void launch(msc_router *r, held *h)
{
    msc_app_info info;
    size_t i;

    for (i = 0; i < h->nobservers; i++) send_session(r, h->observers[i], MSC_LINK_READY, h->invite.session_id, 0);
    memset(&info, 0, sizeof(info));
    if (!r->host.app_lookup || !r->host.app_lookup(r->host.ctx, msc_cstr(h->invite.app_guid), &info)
        || !info.path.n || !r->host.launch || r->host.launch(r->host.ctx, info.path, &h->pid) != MSC_S_OK) {
        launch_failed(r, h, "the application could not be started");
        return;
    }
    trace(r, "%s: started process %u", h->invite.session_id, (unsigned)h->pid);
    r->st.launched++;
    h->phase = LAUNCHING;
    h->wait_until = now(r) + r->cfg.launch_wait_ms;
}

/* BeforeAppLaunch at each observer in turn; the first that turns the default off takes it. */
static void next_veto(msc_router *r, held *h)
{
    h->phase = VETOING;
    if (h->vetoed < h->nobservers) {
        h->waiting = h->observers[h->vetoed++];
        h->wait_until = now(r) + r->cfg.answer_ms;
        send_session(r, h->waiting, MSC_LINK_BEFORE_LAUNCH, h->invite.session_id, 0);
        return;
    }
    h->waiting = 0;
    launch(r, h);
}

static void decided(msc_router *r, held *h, int accept)
{
    if (!accept) {
        trace(r, "%s: declined", h->invite.session_id);
        r->st.declined++;
        refuse(r, h, MSC_CANCEL_REJECT, MSC_SR_INVITATION_DECLINED);
        return;
    }
    h->vetoed = 0;
    next_veto(r, h);
}

/* Nobody running took it: only a registered application can be launched. */
static void unhandled(msc_router *r, held *h)
{
    msc_app_info info;

    memset(&info, 0, sizeof(info));
    h->waiting = 0;
    if (!r->host.app_lookup || !r->host.app_lookup(r->host.ctx, msc_cstr(h->invite.app_guid), &info)) {
        trace(r, "%s: %s is not registered", h->invite.session_id, h->invite.app_guid);
        r->st.not_installed++;
        refuse(r, h, MSC_CANCEL_REJECT_NOT_INSTALLED, MSC_MSGR_E_AI_REJECT_NOT_INST);
        return;
    }
    switch (r->cfg.prompt) {
    case MSC_PROMPT_ACCEPT:
        decided(r, h, 1);
        return;
    case MSC_PROMPT_DECLINE:
        decided(r, h, 0);
        return;
    default:
        if (!r->host.ask) {
            decided(r, h, 0);
            return;
        }
        h->phase = ASKING;
        h->ticket = ++r->next_ticket ? r->next_ticket : ++r->next_ticket;
        r->host.ask(r->host.ctx, h->ticket, msc_cstr(h->invite.from),
                    info.name.n ? info.name : msc_cstr(h->invite.app_name));
    }
}

static int was_offered(const held *h, msc_conn c)
{
    size_t i;
    for (i = 0; i < h->noffered; i++)
        if (h->offered[i] == c) return 1;
    return 0;
}

/* OnInvitation at each running application in turn (oldest connection first). */
static void next_offer(msc_router *r, held *h)
{
    size_t i;
    h->phase = OFFERING;
    for (i = 0; i < r->nconns && h->noffered < sizeof(h->offered) / sizeof(h->offered[0]); i++) {
        conn_rec *c = &r->conns[i];
        if (!c->hello || c->control || was_offered(h, c->id)) continue;
        h->offered[h->noffered++] = c->id;
        h->waiting = c->id;
        h->wait_until = now(r) + r->cfg.answer_ms;
        r->st.offered++;
        trace(r, "%s: offered to link %u", h->invite.session_id, (unsigned)c->id);
        send_msg(r, c->id, MSC_LINK_OFFER, &h->invite, 0);
        return;
    }
    unhandled(r, h);
}

/* The answer waited for from conn did not come, or came as "not mine". */
static void offer_declined(msc_router *r, held *h, msc_conn conn)
{
    if (h->nobservers < MAX_OBSERVERS) h->observers[h->nobservers++] = conn;
    else send_session(r, conn, MSC_LINK_END, h->invite.session_id, MSC_SR_SESSION_CANCELLED_LOCAL);
    next_offer(r, h);
}

/* ---- who may invite --------------------------------------------------------------------------------- */
static int in_contacts(msc_router *r, msc_str who)
{
    const char *p = r->contacts;
    while (p && *p) {
        size_t n;
        while (*p == ';' || *p == ',' || *p == ' ' || *p == '\t') p++;
        n = strcspn(p, ";, \t");
        if (n && msc_same_user(msc_str_make(p, n), who)) return 1;
        p += n;
    }
    return 0;
}

/* A token bucket per peer: a flood from one peer cannot use up everyone else's invitations. */
static int rate_ok(msc_router *r, const char *peer)
{
    bucket *b = NULL, *lru = NULL;
    uint64_t t = now(r);
    size_t i;

    for (i = 0; i < r->nbuckets; i++) {
        if (msc_same_user(msc_cstr(r->buckets[i].peer), msc_cstr(peer))) {
            b = &r->buckets[i];
            break;
        }
        if (!lru || r->buckets[i].at < lru->at) lru = &r->buckets[i];
    }
    if (!b) {
        if (r->nbuckets < MAX_PEERS) b = &r->buckets[r->nbuckets++];
        else b = lru;
        memset(b, 0, sizeof(*b));
        msc_msg_set(b->peer, sizeof(b->peer), msc_cstr(peer));
        b->tokens = r->cfg.burst;
        b->at = t;
    }
    b->tokens += (double)(t - b->at) / r->cfg.refill_ms;
    if (b->tokens > r->cfg.burst) b->tokens = r->cfg.burst;
    b->at = t;
    if (b->tokens < 1) return 0;
    b->tokens -= 1;
    return 1;
}

static void new_invitation(msc_router *r, const msc_msg *msg)
{
    held *h;
    uint64_t life;

    if (msc_same_user(msc_cstr(msg->from), r->net.local_identity(r->net.ctx)) || !msg->app_guid[0]) return;
    if (r->cfg.policy == MSC_POLICY_NOBODY
        || (r->cfg.policy == MSC_POLICY_CONTACTS && !in_contacts(r, msc_cstr(msg->from)))) {
        trace(r, "%s: %s may not invite (policy)", msg->session_id, msg->from);
        r->st.refused_policy++;
        net_send(r, MSC_VERB_CANCEL, MSC_CANCEL_REJECT, MSC_SR_INVITATION_DECLINED, msg->session_id, msg->from);
        return;
    }
    if (!rate_ok(r, msg->from) || r->nheld >= r->cfg.max_held || !(h = calloc(1, sizeof(*h)))) {
        trace(r, "%s: too many invitations from %s", msg->session_id, msg->from);
        r->st.refused_rate++;
        net_send(r, MSC_VERB_CANCEL, MSC_CANCEL_OUTBANDCANCEL, 0, msg->session_id, msg->from);
        return;
    }
    h->invite = *msg;
    life = msg->lifetime_s ? (uint64_t)msg->lifetime_s * 1000u : MSC_DEFAULT_LIFETIME_MS;
    if (life > MSC_MAX_LIFETIME_MS) life = MSC_MAX_LIFETIME_MS;
    h->expires = now(r) + life;
    h->next = r->held;
    r->held = h;
    r->nheld++;
    next_offer(r, h);
}

/* The user starts an invitation here (Messenger's UI did): launch the registered application,
 * whose WELCOME then carries the INVITE to send as the inviter.  Nothing reaches the network
 * until it does. */
static void start(msc_router *r, conn_rec *c, const msc_msg *req)
{
    msc_app_info info;
    held *h = NULL;
    msc_hr hr = MSC_S_OK;

    c->control = 1;
    memset(&info, 0, sizeof(info));
    if (!req->to[0] || held_find(r, req->session_id)) hr = MSC_E_INVALIDARG;
    else if (msc_same_user(msc_cstr(req->to), r->net.local_identity(r->net.ctx))) hr = MSC_SR_INVITED_SELF;
    else if (!r->host.app_lookup || !r->host.app_lookup(r->host.ctx, msc_cstr(req->app_guid), &info))
        hr = MSC_SR_APP_NOT_REGISTERED;
    else if (r->nheld >= r->cfg.max_held || !(h = calloc(1, sizeof(*h)))) hr = MSC_E_OUTOFMEMORY;
    if (hr != MSC_S_OK) {
        trace(r, "%s: cannot start an invitation to %s: 0x%08x", req->session_id, req->to, (unsigned)hr);
        send_session(r, c->id, MSC_LINK_RESULT, req->session_id, hr);
        return;
    }
    h->invite = *req;
    MSC_MSG_SET(&h->invite, from, r->net.local_identity(r->net.ctx));
    h->outgoing = 1;
    h->requester = c->id;
    h->expires = UINT64_MAX;                  /* no invitation lifetime before it is sent */
    h->next = r->held;
    r->held = h;
    r->nheld++;
    trace(r, "%s: the user invites %s to %s", req->session_id, req->to, req->app_guid);
    launch(r, h);
}

/* ---- the network's side ---------------------------------------------------------------------------- */
static void net_receive(void *ctx, const msc_msg *msg)
{
    msc_router *r = ctx;
    route *rt;
    held *h;
    size_t i;

    if ((rt = route_find(r, msg->session_id))) {
        route_note(r, rt, msg);
        send_msg(r, rt->conn, MSC_LINK_DELIVER, msg, 0);
    } else if ((h = held_find(r, msg->session_id))) {
        if (msc_same_user(msc_cstr(msg->from), msc_cstr(h->invite.from))
            && (msg->verb == MSC_VERB_CANCEL || msg->verb == MSC_VERB_BYE)) {
            /* the inviter withdrew: whoever holds a copy hears it from the peer itself */
            for (i = 0; i < h->nobservers; i++) send_msg(r, h->observers[i], MSC_LINK_DELIVER, msg, 0);
            if (h->waiting && !is_observer(h, h->waiting)) send_msg(r, h->waiting, MSC_LINK_DELIVER, msg, 0);
            trace(r, "%s: withdrawn by %s", msg->session_id, msg->from);
            held_free(r, h);
        }
    } else if (msg->verb == MSC_VERB_INVITE) {
        new_invitation(r, msg);
    } else if (msg->verb == MSC_VERB_ACCEPT || msg->verb == MSC_VERB_ACK || msg->verb == MSC_VERB_CONTEXT) {
        /* nobody here knows the session: end it on the peer rather than leave a ghost */
        net_send(r, MSC_VERB_BYE, MSC_CANCEL_NONE, MSC_SR_SESSION_CANCELLED_REMOTE, msg->session_id, msg->from);
    }
}

static void net_send_failed(void *ctx, const msc_msg *msg, msc_hr hr)
{
    msc_router *r = ctx;
    route *rt = route_find(r, msg->session_id);
    if (rt) send_msg(r, rt->conn, MSC_LINK_SEND_FAILED, msg, hr);
}

msc_sink msc_router_sink(msc_router *r)
{
    msc_sink k;
    k.ctx = r;
    k.receive = net_receive;
    k.send_failed = net_send_failed;
    return k;
}

/* ---- the applications' side ------------------------------------------------------------------------ */
static void hello(msc_router *r, conn_rec *c, const msc_link_frame *f)
{
    msc_link_frame w;
    held *h;
    size_t tn = strlen(f->text), i;
    unsigned diff = tn != r->cfg.token.n;

    for (i = 0; i < tn && i < r->cfg.token.n; i++) diff |= (unsigned char)(f->text[i] ^ r->token[i]);
    if (diff || c->hello) {
        trace(r, "link %u: refused (%s)", (unsigned)c->id, c->hello ? "second HELLO" : "wrong token");
        if (r->host.link_close) r->host.link_close(r->host.ctx, c->id);
        return;
    }
    c->hello = 1;
    c->pid = (uint32_t)f->value;
    c->ppid = (uint32_t)f->value2;
    trace(r, "link %u: process %u (parent %u)", (unsigned)c->id, (unsigned)c->pid, (unsigned)c->ppid);
    msc_link_init(&w, MSC_LINK_WELCOME);
    msc_msg_set(w.text, sizeof(w.text), r->net.local_identity(r->net.ctx));
    if (r->net.local_address) msc_msg_set(w.address, sizeof(w.address), r->net.local_address(r->net.ctx));
    /* the process launched for an invitation (or its child: a launcher that starts the real
     * program) takes the invitation with its WELCOME */
    for (h = r->held; h; h = h->next) {
        if (h->phase == LAUNCHING && h->pid && (h->pid == c->pid || h->pid == c->ppid)) {
            w.has_msg = 1;
            w.msg = h->invite;
            w.value = h->outgoing;
            memcpy(w.session, h->invite.session_id, sizeof(w.session));
            trace(r, "%s: claimed by process %u", h->invite.session_id, (unsigned)c->pid);
            if (h->outgoing) {       /* its INVITE opens the session's route when it is sent */
                if (h->requester) {
                    msc_link_frame res;
                    msc_link_init(&res, MSC_LINK_RESULT);
                    memcpy(res.session, h->invite.session_id, sizeof(res.session));
                    res.value2 = c->pid;
                    link_send(r, h->requester, &res);
                }
                held_free(r, h);
            } else {
                hand_over(r, h, c->id, MSC_SR_SESSION_CANCELLED_LOCAL);
            }
            break;
        }
    }
    link_send(r, c->id, &w);
}

/* A message from an application for the network. */
static void app_send(msc_router *r, conn_rec *c, const msc_msg *msg)
{
    route *rt = route_find(r, msg->session_id);
    held *h;
    msc_msg m = *msg;
    msc_hr hr;

    if (!rt && (h = held_find(r, msg->session_id))) {
        /* an observer answering its copy takes the invitation over */
        if (!is_observer(h, c->id) && h->waiting != c->id) return;
        if (msg->verb != MSC_VERB_ACCEPT && msg->verb != MSC_VERB_CANCEL) return;
        hand_over(r, h, c->id, MSC_SR_SESSION_CANCELLED_LOCAL);
        rt = route_find(r, msg->session_id);
    } else if (!rt) {
        if (msg->verb != MSC_VERB_INVITE) return;     /* only an invitation opens a route */
        rt = route_add(r, msg->session_id, c->id, 1, msg->to);
    }
    if (!rt || rt->conn != c->id) return;            /* nobody speaks for another's session */
    route_note(r, rt, msg);
    /* the network knows us by the agent's identity, whatever the application thinks it is */
    MSC_MSG_SET(&m, from, r->net.local_identity(r->net.ctx));
    if (MSC_FAILED(hr = r->net.send(r->net.ctx, &m))) send_msg(r, c->id, MSC_LINK_SEND_FAILED, msg, hr);
}

void msc_router_link_open(msc_router *r, msc_conn conn)
{
    conn_rec *c;
    if (!r || !conn || conn_find(r, conn)) return;
    if (r->nconns == r->capconns) {
        size_t cap = r->capconns ? r->capconns * 2 : 8;
        conn_rec *n = realloc(r->conns, cap * sizeof(*n));
        if (!n) {
            if (r->host.link_close) r->host.link_close(r->host.ctx, conn);
            return;
        }
        r->conns = n;
        r->capconns = cap;
    }
    c = &r->conns[r->nconns++];
    memset(c, 0, sizeof(*c));
    c->id = conn;
}

void msc_router_link_frame(msc_router *r, msc_conn conn, const msc_link_frame *f)
{
    conn_rec *c;
    held *h;

    if (!r || !f) return;
    if (!(c = conn_find(r, conn))) {
        msc_router_link_open(r, conn);
        if (!(c = conn_find(r, conn))) return;
    }
    if (f->kind == MSC_LINK_HELLO) {
        hello(r, c, f);
    } else if (!c->hello) {
        trace(r, "link %u: %s before HELLO", (unsigned)conn, msc_link_kind_name(f->kind));
        if (r->host.link_close) r->host.link_close(r->host.ctx, conn);
    } else if (f->kind == MSC_LINK_SEND && f->has_msg) {
        app_send(r, c, &f->msg);
    } else if (f->kind == MSC_LINK_STOP) {
        r->stop = 1;
    } else if (f->kind == MSC_LINK_START && f->has_msg) {
        start(r, c, &f->msg);
    } else if ((h = held_find(r, f->session)) && h->waiting == conn) {
        if (f->kind == MSC_LINK_HANDLED && h->phase == OFFERING) {
            if (f->value) {
                trace(r, "%s: handled by link %u", h->invite.session_id, (unsigned)conn);
                r->st.handled++;
                hand_over(r, h, conn, MSC_SR_SESSION_CANCELLED_LOCAL);
            } else {
                offer_declined(r, h, conn);
            }
        } else if (f->kind == MSC_LINK_LAUNCH_OK && h->phase == VETOING) {
            if (!f->value) {
                /* BeforeAppLaunch said "do not launch": this application takes it, accepted */
                trace(r, "%s: launch vetoed, link %u takes it", h->invite.session_id, (unsigned)conn);
                send_session(r, conn, MSC_LINK_TAKE, h->invite.session_id, 0);
                hand_over(r, h, conn, MSC_SR_SESSION_CANCELLED_LOCAL);
            } else {
                next_veto(r, h);
            }
        }
    }
}

void msc_router_link_closed(msc_router *r, msc_conn conn)
{
    held *h, *next;
    size_t i;

    if (!r || !conn_find(r, conn)) return;
    trace(r, "link %u: closed", (unsigned)conn);
    for (i = 0; i < r->nroutes;) {
        route *rt = &r->routes[i];
        if (rt->conn == conn) {
            route_abort(r, rt, MSC_SR_CONNECTION_FAILURE);   /* its owner is gone */
            route_remove(r, rt);
            continue;
        }
        i++;
    }
    for (h = r->held; h; h = next) {
        next = h->next;
        observer_remove(h, conn);
        if (h->requester == conn) h->requester = 0;   /* the launch goes on: the user asked */
        if (h->waiting == conn) {
            h->waiting = 0;
            if (h->phase == OFFERING) next_offer(r, h);
            else if (h->phase == VETOING) next_veto(r, h);
        }
    }
    for (i = 0; i < r->nconns; i++) {
        if (r->conns[i].id == conn) {
            r->conns[i] = r->conns[--r->nconns];
            break;
        }
    }
}

void msc_router_answer(msc_router *r, uint32_t ticket, int accept)
{
    held *h;
    if (!r || !ticket) return;
    for (h = r->held; h; h = h->next) {
        if (h->phase == ASKING && h->ticket == ticket) {
            h->phase = VETOING;               /* answered: nothing to take back */
            decided(r, h, accept);
            return;
        }
    }
}

void msc_router_process_exited(msc_router *r, uint32_t pid)
{
    held *h;
    if (!r) return;
    for (h = r->held; h; h = h->next) {
        if (h->phase == LAUNCHING && h->pid == pid) {
            launch_failed(r, h, "the process ended before it took the invitation");
            return;
        }
    }
}

void msc_router_tick(msc_router *r)
{
    uint64_t t;
    held *h, *next;
    size_t i;

    if (!r) return;
    t = now(r);
    for (h = r->held; h; h = next) {
        next = h->next;
        if (t >= h->expires) {
            /* the inviter's own lifetime ends it on its side; the copies end with theirs */
            trace(r, "%s: expired while held", h->invite.session_id);
            held_free(r, h);
        } else if (h->phase == LAUNCHING && t >= h->wait_until) {
            launch_failed(r, h, "the process never took the invitation");
        } else if (h->waiting && t >= h->wait_until) {
            msc_conn late = h->waiting;
            h->waiting = 0;
            trace(r, "%s: link %u did not answer", h->invite.session_id, (unsigned)late);
            if (h->phase == OFFERING) offer_declined(r, h, late);
            else next_veto(r, h);
        }
    }
    for (i = 0; i < r->nroutes;) {
        if (r->routes[i].ended && t >= r->routes[i].linger_until) route_remove(r, &r->routes[i]);
        else i++;
    }
}

int msc_router_next_deadline(const msc_router *r, uint64_t *at)
{
    const held *h;
    uint64_t best = 0;
    int any = 0;
    size_t i;

#define CONSIDER(x) do { if (!any || (x) < best) { best = (x); any = 1; } } while (0)
    if (!r) return 0;
    for (h = r->held; h; h = h->next) {
        CONSIDER(h->expires);
        if (h->waiting || h->phase == LAUNCHING) CONSIDER(h->wait_until);
    }
    for (i = 0; i < r->nroutes; i++)
        if (r->routes[i].ended) CONSIDER(r->routes[i].linger_until);
#undef CONSIDER
    if (any && at) *at = best;
    return any;
}

int msc_router_stop_requested(const msc_router *r) { return r ? r->stop : 0; }

msc_router_stats msc_router_get_stats(const msc_router *r)
{
    msc_router_stats s;
    memset(&s, 0, sizeof(s));
    if (!r) return s;
    s = r->st;
    s.connections = r->nconns;
    s.routes = r->nroutes;
    s.held = r->nheld;
    return s;
}

/* ---- life ----------------------------------------------------------------------------------------- */
msc_router *msc_router_create(const msc_router_host *host, const msc_transport *net, const msc_router_config *cfg)
{
    msc_router *r;

    if (!host || !host->now_ms || !host->link_send || !net || !net->send || !net->local_identity) return NULL;
    if (!(r = calloc(1, sizeof(*r)))) return NULL;
    r->host = *host;
    r->net = *net;
    if (cfg) r->cfg = *cfg;
    r->contacts = dup_str(r->cfg.contacts);
    r->token = dup_str(r->cfg.token);
    r->buckets = calloc(MAX_PEERS, sizeof(*r->buckets));
    if (!r->contacts || !r->token || !r->buckets) {
        msc_router_destroy(r);
        return NULL;
    }
    r->cfg.contacts = msc_cstr(r->contacts);
    r->cfg.token = msc_cstr(r->token);
    if (!r->cfg.burst) r->cfg.burst = 5;
    if (!r->cfg.refill_ms) r->cfg.refill_ms = 3000;
    if (!r->cfg.max_held) r->cfg.max_held = 32;
    if (!r->cfg.answer_ms) r->cfg.answer_ms = 5000;
    if (!r->cfg.launch_wait_ms) r->cfg.launch_wait_ms = 60000;
    return r;
}

void msc_router_destroy(msc_router *r)
{
    msc_link_frame f;
    size_t i;

    if (!r) return;
    /* the applications end their sessions (and hear OnAppShutdown); the network side ends here */
    for (i = r->nconns; i-- > 0;) {
        msc_link_init(&f, MSC_LINK_SHUTDOWN);
        if (r->conns[i].hello) link_send(r, r->conns[i].id, &f);
        msc_router_link_closed(r, r->conns[i].id);
    }
    while (r->held) refuse(r, r->held, MSC_CANCEL_FAIL, MSC_SR_CONNECTION_FAILURE);
    free(r->conns);
    free(r->routes);
    free(r->buckets);
    free(r->contacts);
    free(r->token);
    free(r);
}
