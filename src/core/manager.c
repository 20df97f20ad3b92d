/* The manager: the session table, timers, the event queue, and routing of peer messages.
 *
 * Re-entrancy: every public entry point runs between msc__enter() and msc__leave().  Events are
 * queued while the engine works and delivered by the outermost msc__leave(), one at a time, each
 * holding a reference on its session.  A callback may call back in (its events queue behind the
 * current one) or even destroy the manager (destruction then waits until the queue is empty).
 */
#include <stdlib.h>
#include <string.h>
#include "core_private.h"

/* ---- time and randomness ------------------------------------------------------------------ */
uint64_t msc__now(msc_manager *m) { return m->host.now_ms(m->host.ctx); }

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A version-4 GUID, braced and uppercase, not yet used by a session of this manager. */
void msc__new_id(msc_manager *m, char out[MSC_GUID_CHARS + 1])
{
    static const char hex[] = "0123456789ABCDEF";
    static const int dash[] = { 8, 12, 16, 20 };
    unsigned char r[16];
    int i, j, o;

    do {
        if (m->host.random) {
            m->host.random(m->host.ctx, r, sizeof(r));
        } else {
            uint64_t a = splitmix(&m->rng), b = splitmix(&m->rng);
            memcpy(r, &a, 8);
            memcpy(r + 8, &b, 8);
        }
        r[6] = (unsigned char)((r[6] & 0x0F) | 0x40);
        r[8] = (unsigned char)((r[8] & 0x3F) | 0x80);
        o = 0;
        out[o++] = '{';
        for (i = 0, j = 0; i < 16; i++) {
            if (j < 4 && i * 2 == dash[j]) { out[o++] = '-'; j++; }
            out[o++] = hex[r[i] >> 4];
            out[o++] = hex[r[i] & 15];
        }
        out[o++] = '}';
        out[o] = 0;
    } while (msc__find(m, out));
}

/* ---- the session table -------------------------------------------------------------------- */
static size_t hash_id(const char *id)
{
    uint32_t h = 2166136261u;
    while (*id) h = (h ^ (unsigned char)*id++) * 16777619u;
    return h;
}

msc_session *msc__find(msc_manager *m, const char *id)
{
    msc_session *s;
    if (!m->nbuckets) return NULL;
    for (s = m->buckets[hash_id(id) & (m->nbuckets - 1)]; s; s = s->hash_next)
        if (!strcmp(s->id, id)) return s;
    return NULL;
}

static int table_grow(msc_manager *m)
{
    size_t n = m->nbuckets ? m->nbuckets * 2 : 64, i;
    msc_session **b = calloc(n, sizeof(*b)), *s, *next;
    if (!b) return 0;
    for (i = 0; i < m->nbuckets; i++) {
        for (s = m->buckets[i]; s; s = next) {
            next = s->hash_next;
            s->hash_next = b[hash_id(s->id) & (n - 1)];
            b[hash_id(s->id) & (n - 1)] = s;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
    return 1;
}

/* The table holds a reference while a session can receive messages or is lingering. */
void msc__table_add(msc_manager *m, msc_session *s)
{
    size_t i;
    if (m->nsessions >= m->nbuckets) table_grow(m);   /* on failure chains just get longer */
    i = hash_id(s->id) & (m->nbuckets - 1);
    s->hash_next = m->buckets[i];
    m->buckets[i] = s;
    s->in_table = 1;
    m->nsessions++;
    msc_session_ref(s);
}

static void table_remove(msc_manager *m, msc_session *s)
{
    msc_session **p;
    if (!s->in_table) return;
    for (p = &m->buckets[hash_id(s->id) & (m->nbuckets - 1)]; *p; p = &(*p)->hash_next) {
        if (*p == s) {
            *p = s->hash_next;
            break;
        }
    }
    s->hash_next = NULL;
    s->in_table = 0;
    m->nsessions--;
    if (s->tombstone) m->tombstones--;
    msc__timer_clear(s);
    msc_session_unref(s);
}

void msc__link(msc_manager *m, msc_session *s)
{
    s->all_prev = NULL;
    s->all_next = m->all;
    if (m->all) m->all->all_prev = s;
    m->all = s;
}

void msc__unlink(msc_manager *m, msc_session *s)
{
    if (s->all_prev) s->all_prev->all_next = s->all_next;
    else if (m->all == s) m->all = s->all_next;
    if (s->all_next) s->all_next->all_prev = s->all_prev;
    s->all_prev = s->all_next = NULL;
}

/* Our invitations awaiting an answer, by (peer, app), for the glare check on every incoming
 * invitation: a manager may hold thousands of invitations to other users. */
static size_t pending_slot(msc_str peer, const char *app)
{
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < peer.n; i++) {
        char c = peer.p[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        h = (h ^ (unsigned char)c) * 16777619u;
    }
    while (*app) h = (h ^ (unsigned char)*app++) * 16777619u;
    return h % (sizeof(((msc_manager *)0)->pending) / sizeof(msc_session *));
}

void msc__pending_add(msc_manager *m, msc_session *s)
{
    msc_session **head = &m->pending[pending_slot(msc__buf_str(&s->peer), s->app)];
    s->pending_prev = NULL;
    s->pending_next = *head;
    if (*head) (*head)->pending_prev = s;
    *head = s;
    m->pending_invites++;
}

void msc__pending_remove(msc_manager *m, msc_session *s)
{
    if (s->pending_prev) s->pending_prev->pending_next = s->pending_next;
    else m->pending[pending_slot(msc__buf_str(&s->peer), s->app)] = s->pending_next;
    if (s->pending_next) s->pending_next->pending_prev = s->pending_prev;
    s->pending_prev = s->pending_next = NULL;
    m->pending_invites--;
}

/* The first pending invitation to peer for app; go on with s->pending_next and check again. */
msc_session *msc__pending_first(msc_manager *m, msc_str peer, const char *app)
{
    msc_session *s = m->pending[pending_slot(peer, app)];
    while (s && (strcmp(s->app, app) || !msc_same_user(msc__buf_str(&s->peer), peer))) s = s->pending_next;
    return s;
}

/* ---- timers: a binary min-heap of sessions by deadline ------------------------------------ */
static int earlier(msc_manager *m, size_t a, size_t b) { return m->heap[a]->deadline < m->heap[b]->deadline; }

static void heap_swap(msc_manager *m, size_t a, size_t b)
{
    msc_session *t = m->heap[a];
    m->heap[a] = m->heap[b];
    m->heap[b] = t;
    m->heap[a]->heap_index = a;
    m->heap[b]->heap_index = b;
}

static void heap_fix(msc_manager *m, size_t i)
{
    while (i && earlier(m, i, (i - 1) / 2)) {
        heap_swap(m, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, min = i;
        if (l < m->heap_len && earlier(m, l, min)) min = l;
        if (r < m->heap_len && earlier(m, r, min)) min = r;
        if (min == i) break;
        heap_swap(m, i, min);
        i = min;
    }
}

void msc__timer_clear(msc_session *s)
{
    msc_manager *m = s->mgr;
    size_t i = s->heap_index;
    s->timer = MSC_TIMER_NONE;
    if (!m || i == (size_t)-1) return;
    s->heap_index = (size_t)-1;
    if (i != --m->heap_len) {
        m->heap[i] = m->heap[m->heap_len];
        m->heap[i]->heap_index = i;
        heap_fix(m, i);
    }
}

void msc__timer_set(msc_session *s, msc_timer_kind kind, uint64_t deadline)
{
    msc_manager *m = s->mgr;
    uint64_t before = 0;
    int had = msc_manager_next_deadline(m, &before);

    msc__timer_clear(s);
    if (m->heap_len == m->heap_cap) {
        size_t cap = m->heap_cap ? m->heap_cap * 2 : 64;
        msc_session **h = realloc(m->heap, cap * sizeof(*h));
        if (!h) return;    /* out of memory: the session simply has no timer */
        m->heap = h;
        m->heap_cap = cap;
    }
    s->timer = kind;
    s->deadline = deadline;
    s->heap_index = m->heap_len;
    m->heap[m->heap_len++] = s;
    heap_fix(m, s->heap_index);
    if ((!had || deadline < before) && m->host.wake) m->host.wake(m->host.ctx);
}

int msc_manager_next_deadline(const msc_manager *m, uint64_t *at)
{
    if (!m || !m->heap_len) return 0;
    if (at) *at = m->heap[0]->deadline;
    return 1;
}

/* ---- events ------------------------------------------------------------------------------- */
void msc__queue(msc_session *s, msc_event_kind kind, msc_state prev, msc_hr hr, msc_str a, msc_str b)
{
    msc_manager *m = s->mgr;
    msc_event *e;

    if (!m) return;
    if (s->terminal_queued) {       /* exactly one terminal event, nothing after it */
        m->late_events++;
        return;
    }
    if (!(e = calloc(1, sizeof(*e)))) return;
    if (!msc__buf_set(&e->a, a) || !msc__buf_set(&e->b, b)) {
        msc__buf_free(&e->a);
        free(e);
        return;
    }
    if (kind == MSC_EV_TERMINATED) s->terminal_queued = 1;
    e->kind = kind;
    e->session = s;
    e->prev = prev;
    e->after = s->state;
    e->hr = hr;
    msc_session_ref(s);
    if (m->ev_tail) m->ev_tail->next = e;
    else m->ev_head = e;
    m->ev_tail = e;
}

static void free_event(msc_event *e)
{
    msc_session_unref(e->session);
    msc__buf_free(&e->a);
    msc__buf_free(&e->b);
    free(e);
}

static void fire(msc_manager *m, msc_event *e)
{
    const msc_events *ev = &m->ev;
    msc_session *s = e->session;
    msc_str a = msc__buf_str(&e->a), b = msc__buf_str(&e->b);

    s->shown = e->after;
    s->showing = 1;
    switch (e->kind) {
    case MSC_EV_INVITATION:      if (ev->invitation) ev->invitation(ev->ctx, s, a); break;
    case MSC_EV_STATE_CHANGED:   if (ev->state_changed) ev->state_changed(ev->ctx, s, e->prev); break;
    case MSC_EV_ACCEPTED:        if (ev->accepted) ev->accepted(ev->ctx, s, a); break;
    case MSC_EV_DECLINED:        if (ev->declined) ev->declined(ev->ctx, s, a); break;
    case MSC_EV_CANCELLED:       if (ev->cancelled) ev->cancelled(ev->ctx, s, a); break;
    case MSC_EV_TERMINATED:      if (ev->terminated) ev->terminated(ev->ctx, s, e->hr, a); break;
    case MSC_EV_CONTEXT_DATA:    if (ev->context_data) ev->context_data(ev->ctx, s, a); break;
    case MSC_EV_SEND_ERROR:      if (ev->send_error) ev->send_error(ev->ctx, s, e->hr); break;
    case MSC_EV_APP_NOT_PRESENT: if (ev->app_not_present) ev->app_not_present(ev->ctx, s, a, b); break;
    }
    s->showing = 0;
}

static void really_destroy(msc_manager *m);

void msc__enter(msc_manager *m) { m->depth++; }

void msc__leave(msc_manager *m)
{
    msc_event *e;

    if (--m->depth || m->draining) return;
    m->draining = 1;
    while ((e = m->ev_head)) {
        if (!(m->ev_head = e->next)) m->ev_tail = NULL;
        if (!m->doomed) fire(m, e);
        free_event(e);
    }
    m->draining = 0;
    if (m->doomed) really_destroy(m);
}

/* ---- sending ------------------------------------------------------------------------------ */
msc_str msc__local_identity(msc_manager *m) { return m->tp.local_identity(m->tp.ctx); }

msc_hr msc__send(msc_session *s, msc_msg *msg)
{
    msc_manager *m = s->mgr;
    if (!MSC_MSG_SET(msg, to, msc__buf_str(&s->peer)) || !MSC_MSG_SET(msg, from, msc__local_identity(m)))
        return MSC_E_INVALIDARG;
    return m->tp.send(m->tp.ctx, msg);
}

/* ---- the public manager API --------------------------------------------------------------- */
msc_manager *msc_manager_create(const msc_host *host, const msc_transport *tp, const msc_events *ev,
                                const msc_config *cfg)
{
    msc_manager *m;

    if (!host || !host->now_ms || !tp || !tp->send || !tp->local_identity) return NULL;
    if (!(m = calloc(1, sizeof(*m)))) return NULL;
    m->host = *host;
    m->tp = *tp;
    if (ev) m->ev = *ev;
    if (cfg) m->cfg = *cfg;
    if (!m->cfg.lifetime_ms) m->cfg.lifetime_ms = MSC_DEFAULT_LIFETIME_MS;
    if (m->cfg.lifetime_ms > MSC_MAX_LIFETIME_MS) m->cfg.lifetime_ms = MSC_MAX_LIFETIME_MS;
    if (!m->cfg.answer_wait_ms) m->cfg.answer_wait_ms = MSC_DEFAULT_ANSWER_WAIT_MS;
    if (m->cfg.answer_wait_ms > MSC_MAX_LIFETIME_MS) m->cfg.answer_wait_ms = MSC_MAX_LIFETIME_MS;
    m->rng = host->now_ms(host->ctx) ^ (uint64_t)(uintptr_t)m;
    return m;
}

static void really_destroy(msc_manager *m)
{
    msc_event *e;
    size_t i;

    /* detach everyone first (live sessions tell their peer), then drop the table's references */
    while (m->all) msc__session_detach(m->all);
    while ((e = m->ev_head)) {
        m->ev_head = e->next;
        free_event(e);
    }
    for (i = 0; i < m->nbuckets; i++) {
        msc_session *s, *next;
        for (s = m->buckets[i]; s; s = next) {
            next = s->hash_next;
            s->in_table = 0;
            msc_session_unref(s);
        }
    }
    free(m->buckets);
    free(m->heap);
    free(m);
}

void msc_manager_destroy(msc_manager *m)
{
    if (!m) return;
    if (m->depth || m->draining) {      /* called from a callback: finish the queue first */
        m->doomed = 1;
        return;
    }
    really_destroy(m);
}

void msc_manager_receive(msc_manager *m, const msc_msg *msg)
{
    char id[MSC_GUID_CHARS + 1];
    msc_session *s, *fresh;

    if (!m || !msg || m->doomed) return;
    if (!msc_guid_upper(msc_cstr(msg->session_id), id) || !msg->from[0]) return;  /* no one to answer */
    msc__enter(m);
    s = msc__find(m, id);
    if (s) {
        /* only the session's peer may speak for it */
        if (msc_same_user(msc__buf_str(&s->peer), msc_cstr(msg->from))) {
            msc_session_ref(s);
            msc__session_receive(s, msg);
            msc_session_unref(s);
        }
    } else if (msg->verb == MSC_VERB_INVITE) {
        if (!msc_same_user(msc_cstr(msg->from), msc__local_identity(m))
            && msc__accept_invite(m, msg, id, &fresh) == MSC_S_OK)
            msc_session_unref(fresh);
    } else if (msg->verb == MSC_VERB_CANCEL) {
        msc__tombstone(m, msg, id);
    } else if (msg->verb == MSC_VERB_ACCEPT || msg->verb == MSC_VERB_ACK || msg->verb == MSC_VERB_CONTEXT) {
        /* long forgotten: end it on the peer too rather than leave a ghost */
        msc__reply(m, msg, MSC_VERB_BYE, MSC_CANCEL_NONE, MSC_SR_SESSION_CANCELLED_REMOTE);
    }
    msc__leave(m);
}

static void sink_receive(void *ctx, const msc_msg *msg) { msc_manager_receive(ctx, msg); }
static void sink_send_failed(void *ctx, const msc_msg *msg, msc_hr hr) { msc_manager_send_failed(ctx, msg, hr); }

msc_sink msc_manager_sink(msc_manager *m)
{
    msc_sink k = { NULL, NULL, NULL };
    if (m) {
        k.ctx = m;
        k.receive = sink_receive;
        k.send_failed = sink_send_failed;
    }
    return k;
}

void msc_manager_send_failed(msc_manager *m, const msc_msg *msg, msc_hr hr)
{
    msc_session *s;
    if (!m || !msg || m->doomed || !(s = msc__find(m, msg->session_id))) return;
    msc__enter(m);
    msc_session_ref(s);
    msc__session_send_failed(s, msg, hr);
    msc_session_unref(s);
    msc__leave(m);
}

void msc_manager_tick(msc_manager *m)
{
    uint64_t now;

    if (!m || m->doomed) return;
    now = msc__now(m);
    msc__enter(m);
    while (m->heap_len && m->heap[0]->deadline <= now && !m->doomed) {
        msc_session *s = m->heap[0];
        msc_timer_kind kind = s->timer;
        msc_session_ref(s);
        msc__timer_clear(s);
        if (kind == MSC_TIMER_LINGER) table_remove(m, s);
        else msc__session_timer_fired(s, kind);
        msc_session_unref(s);
    }
    msc__leave(m);
}

void msc_manager_abandon_all(msc_manager *m, msc_hr why)
{
    msc_session *s, *next;

    if (!m || m->doomed) return;
    msc__enter(m);
    for (s = m->all; s; s = next) {
        next = s->all_next;          /* ending never unlinks: only the last reference does */
        msc_session_abandon(s, why);
    }
    msc__leave(m);
}

msc_session *msc_manager_find_session(msc_manager *m, msc_str id)
{
    char upper[MSC_GUID_CHARS + 1];
    if (!m || !msc_guid_upper(id, upper)) return NULL;
    return msc__find(m, upper);
}

const msc_config *msc_manager_config(const msc_manager *m) { return m ? &m->cfg : NULL; }
size_t msc_manager_session_count(const msc_manager *m) { return m ? m->nsessions : 0; }

msc_hr msc_session_create(msc_manager *m, msc_session **out)
{
    if (!out) return MSC_E_POINTER;
    *out = NULL;
    if (!m) return MSC_E_POINTER;
    if (m->doomed) return MSC_E_FAIL;
    if (!(*out = msc__session_new(m))) return MSC_E_OUTOFMEMORY;
    return MSC_S_OK;
}
