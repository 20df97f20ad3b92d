/* libFuzzer target for the per-user agent: link frames (src/transport/agent/link.c) and the
 * router (router.c).
 *
 * The input is a script of operations on one router: frames from up to four application
 * connections (raw bytes through the strict decoder, or a valid HELLO), invitations and
 * withdrawals from the network, the clock, closed connections, the user's answers, launched
 * processes ending.  Every frame the router sends must encode and decode again; a frame that
 * decodes must encode and decode to the same kind.  Any broken invariant aborts; ASan and UBSan
 * watch the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgsc/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)
#define TOKEN "fuzz-token"

static uint64_t clock_ms;
static uint32_t last_ticket;
static char wire[MSC_LINK_MAX];

static uint64_t now_ms(void *ctx) { (void)ctx; return clock_ms; }
static msc_hr net_send(void *ctx, const msc_msg *m) { (void)ctx; (void)m; return MSC_S_OK; }
static msc_str identity(void *ctx) { (void)ctx; return msc_cstr("me@example.org"); }

static msc_hr link_send(void *ctx, msc_conn c, const msc_link_frame *f)
{
    msc_link_frame g;
    size_t n = msc_link_encode(f, wire, sizeof(wire));
    (void)ctx;
    CHECK(c >= 1 && c <= 4);
    CHECK(n > 0);
    CHECK(msc_link_decode(wire, n, &g) == MSC_S_OK && g.kind == f->kind);
    return MSC_S_OK;
}

static int app_lookup(void *ctx, msc_str guid, msc_app_info *info)
{
    (void)ctx;
    if (!guid.n || (guid.p[1] & 1)) return 0;       /* about half are registered */
    info->name = msc_cstr("App");
    info->url = msc_cstr("");
    info->path = msc_cstr("app.exe");
    return 1;
}

static msc_hr launch(void *ctx, msc_str path, uint32_t *pid)
{
    (void)ctx;
    (void)path;
    *pid = (uint32_t)(clock_ms % 7) + 1;
    return clock_ms % 5 ? MSC_S_OK : MSC_E_FAIL;
}

static void ask(void *ctx, uint32_t t, msc_str peer, msc_str app) { (void)ctx; (void)peer; (void)app; last_ticket = t; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const msc_transport net = { NULL, net_send, identity, NULL, NULL };
    msc_router_host h;
    msc_router_config cfg;
    msc_router *r;
    size_t i = 0;

    memset(&h, 0, sizeof(h));
    h.now_ms = now_ms;
    h.link_send = link_send;
    h.app_lookup = app_lookup;
    h.launch = launch;
    h.ask = ask;
    memset(&cfg, 0, sizeof(cfg));
    cfg.token = msc_cstr(TOKEN);
    if (size) {
        cfg.policy = (msc_invite_policy)(data[0] % 3);
        cfg.prompt = (msc_prompt_mode)((data[0] >> 2) % 3);
        cfg.contacts = msc_cstr("p1@x;p3@x");
        cfg.max_held = 4;
        i = 1;
    }
    clock_ms = 1000;
    last_ticket = 0;
    CHECK((r = msc_router_create(&h, &net, &cfg)) != NULL);
    while (i + 2 < size) {
        uint8_t op = data[i++], a = data[i++];
        msc_conn conn = (msc_conn)(a % 4) + 1;
        msc_link_frame f;
        msc_msg m;
        char sid[40];

        snprintf(sid, sizeof(sid), "{00000000-0000-4000-8000-0000000000%02X}", a % 16);
        switch (op % 9) {
        case 0: {                                         /* raw bytes from an application */
            size_t n = data[i++];
            if (n > size - i) n = size - i;
            if (msc_link_decode((const char *)data + i, n, &f) == MSC_S_OK) {
                size_t k = msc_link_encode(&f, wire, sizeof(wire));
                msc_link_frame g;
                /* a valid frame may not re-encode (a field too long for the body), but one
                 * that does must read back the same */
                if (k) CHECK(msc_link_decode(wire, k, &g) == MSC_S_OK && g.kind == f.kind && g.value == f.value);
                msc_router_link_frame(r, conn, &f);
            }
            i += n;
            break;
        }
        case 1:                                           /* HELLO with the token */
            msc_link_init(&f, MSC_LINK_HELLO);
            strcpy(f.text, TOKEN);
            f.value = a % 8;
            msc_router_link_frame(r, conn, &f);
            break;
        case 2:                                           /* an invitation from the network */
        case 3:                                           /* ... or its withdrawal */
            msc_msg_init(&m, op % 9 == 2 ? MSC_VERB_INVITE : MSC_VERB_CANCEL, msc_cstr(sid));
            m.code = MSC_CANCEL_OUTBANDCANCEL;
            snprintf(m.from, sizeof(m.from), "p%d@x", (a >> 4) % 4);
            strcpy(m.to, "me@example.org");
            snprintf(m.app_guid, sizeof(m.app_guid), "{%c0000000-0000-4000-8000-000000000000}", '0' + (a & 3));
            msc_router_sink(r).receive(r, &m);
            break;
        case 4:
            clock_ms += (uint64_t)a * 250;
            msc_router_tick(r);
            break;
        case 5:
            msc_router_link_closed(r, conn);
            break;
        case 6:
            msc_router_answer(r, a & 1 ? last_ticket : a, a & 2);
            break;
        case 7:
            msc_router_process_exited(r, a % 8);
            break;
        default:                                          /* the user starts an invitation */
            msc_link_init(&f, MSC_LINK_START);
            f.has_msg = 1;
            msc_msg_init(&f.msg, MSC_VERB_INVITE, msc_cstr(sid));
            snprintf(f.msg.to, sizeof(f.msg.to), (a >> 4) % 4 ? "p%d@x" : "me@example.org", (a >> 4) % 4);
            snprintf(f.msg.app_guid, sizeof(f.msg.app_guid), "{%c0000000-0000-4000-8000-000000000000}", '0' + (a & 3));
            msc_router_link_frame(r, conn, &f);
            break;
        }
    }
    msc_router_destroy(r);
    return 0;
}
