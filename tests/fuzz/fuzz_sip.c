/* libFuzzer target for the SIP message layer (src/transport/sip/, include/msgsc/sip.h,
 * docs/sip.md).
 *
 * Parses arbitrary bytes as a datagram and as a framed stream message, and frames them as a TCP
 * stream.  Invariants (any break aborts):
 *   - a failure carries one of the documented statuses and a reason; when it is answerable, a
 *     response can be built from the salvaged request, serialized, and parsed back;
 *   - a success stays within every limit, its slices lie in the message's arena, it serializes,
 *     the serialization parses (as a stream message) to the same model, serializes to the same
 *     bytes again, and frames as exactly one message;
 *   - a successful stream parse of the input frames as exactly the input;
 *   - framing never claims bytes it was not given and agrees with itself on the framed prefix;
 *   - URIs compare equal to themselves and to their re-parsed copies; the parameter iterators
 *     and the digest challenge parser terminate on everything the parser accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msgsc/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static msc_sip_msg first, second, resp, resp2;
static char out1[MSC_SIP_MAX_MSG + 1024], out2[MSC_SIP_MAX_MSG + 1024];
static char out3[MSC_SIP_MAX_MSG + 1024];

static void fixed_random(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    memset(buf, 0xA5, len);
}

static int in_store(const msc_sip_msg *m, msc_str s)
{
    return s.n == 0 || (s.p >= m->store && s.p + s.n <= m->store + m->used);
}

static int status_known(int st)
{
    return st == 400 || st == 413 || st == 414 || st == 416 || st == 505 || st == 513;
}

static void walk_params(msc_str params)
{
    msc_str it = params, n, v;
    size_t count = 0;
    while (msc_sip_param_next(&it, &n, &v)) {
        CHECK(n.n > 0);
        CHECK(++count <= MSC_SIP_MAX_PARAMS);
    }
    /* what the parser stored is a well-formed list: the walk ends at its end */
    CHECK(it.n == 0);
    CHECK((count == 0) == (params.n == 0));
}

static void check_uri(const msc_sip_uri *u)
{
    msc_sip_uri copy;
    CHECK(u->scheme != MSC_SIP_SCHEME_NONE);
    CHECK(u->raw.n <= MSC_SIP_MAX_URI);
    CHECK(msc_sip_uri_equal(u, u));
    CHECK(msc_sip_uri_parse(u->raw, &copy) == 0);
    CHECK(msc_sip_uri_equal(u, &copy) && msc_sip_uri_equal(&copy, u));
    if (u->scheme != MSC_SIP_SCHEME_OTHER) {
        CHECK(u->host.n > 0 && u->host_kind != MSC_SIP_HOST_NONE);
        CHECK(u->ttl >= -1 && u->ttl <= 255);
        walk_params(u->params);
    }
}

static void check_addr(const msc_sip_addr *a)
{
    check_uri(&a->uri);
    walk_params(a->params);
    CHECK(a->expires >= -1 && a->expires <= (int64_t)UINT32_MAX);
}

static void check_model(const msc_sip_msg *m)
{
    CHECK(m->used <= sizeof(m->store));
    CHECK(m->nheaders <= MSC_SIP_MAX_HEADERS);
    CHECK(m->nvia >= 1 && m->nvia <= MSC_SIP_MAX_VIA);
    CHECK(m->has_from && m->has_to && m->call_id.n > 0 && m->call_id.n <= MSC_SIP_MAX_CALL_ID);
    CHECK(m->has_cseq && m->cseq <= 0x7FFFFFFFu);
    CHECK(m->body.n <= MSC_SIP_MAX_BODY && in_store(m, m->body));
    CHECK(m->ncontact <= MSC_SIP_MAX_CONTACT && m->nroute <= MSC_SIP_MAX_ROUTE &&
          m->nrecord_route <= MSC_SIP_MAX_ROUTE && m->nauth <= MSC_SIP_MAX_AUTH &&
          m->nreason <= MSC_SIP_MAX_REASON);
    CHECK(!(m->contact_star && m->ncontact));
    CHECK(m->max_forwards >= -1 && m->max_forwards <= 255);
    if (m->is_request) {
        CHECK(m->max_forwards >= 0);
        CHECK(m->cseq_method_name.n == m->method_name.n &&
              !memcmp(m->cseq_method_name.p, m->method_name.p, m->method_name.n));
        CHECK(m->ruri.scheme == MSC_SIP_SCHEME_SIP || m->ruri.scheme == MSC_SIP_SCHEME_SIPS);
        check_uri(&m->ruri);
    } else {
        CHECK(m->status >= 100 && m->status <= 699);
    }
    for (size_t i = 0; i < m->nheaders; i++) {
        const msc_sip_header *h = &m->headers[i];
        CHECK(h->id != MSC_SIP_H_CONTENT_LENGTH);
        CHECK(h->value.n <= MSC_SIP_MAX_LINE && in_store(m, h->value));
        CHECK(h->name.n > 0 && h->name.n <= MSC_SIP_MAX_NAME);
        CHECK(msc_sip_hdr_of(h->name) == h->id);
    }
    for (size_t i = 0; i < m->nvia; i++) {
        CHECK(m->via[i].host_kind != MSC_SIP_HOST_NONE && in_store(m, m->via[i].raw));
        CHECK(m->via[i].rport >= -1 && m->via[i].rport <= 65535);
        walk_params(m->via[i].params);
    }
    check_addr(&m->from);
    check_addr(&m->to);
    for (size_t i = 0; i < m->ncontact; i++)
        check_addr(&m->contact[i]);
    for (size_t i = 0; i < m->nroute; i++) {
        CHECK(m->route[i].angle);
        check_addr(&m->route[i]);
    }
    for (size_t i = 0; i < m->nrecord_route; i++) {
        CHECK(m->record_route[i].angle);
        check_addr(&m->record_route[i]);
    }
    for (size_t i = 0; i < m->nauth; i++) {
        msc_sip_digest_challenge ch;
        msc_str v;
        CHECK(m->auth[i].scheme.n > 0);
        (void)msc_sip_auth_param(&m->auth[i], "realm", &v);
        if (msc_sip_digest_challenge_parse(&m->auth[i], &ch) == MSC_SIP_DIGEST_OK) {
            char hdr[2048], resp_hex[33];
            msc_sip_digest_input in;
            memset(&in, 0, sizeof(in));
            in.username = msc_cstr("user");
            in.password = msc_cstr("secret");
            in.method = msc_cstr("REGISTER");
            in.uri = msc_cstr("sip:example.com");
            in.cnonce = msc_cstr("0a4f113b");
            in.nc = 1;
            CHECK(msc_sip_digest_response(&ch, &in, resp_hex) == MSC_SIP_DIGEST_OK);
            if (msc_sip_digest_authorization(&ch, &in, hdr, sizeof(hdr))) {
                msc_sip_auth back;
                CHECK(msc_sip_auth_parse(msc_cstr(hdr), MSC_SIP_H_AUTHORIZATION, &back) == 0);
            }
        }
    }
}

static void check_response_to(const msc_sip_msg *req, int status, const char *reason)
{
    int st = msc_sip_make_response(&resp, req, status, msc_cstr(reason), msc_cstr("fuzztag"));
    size_t n;
    msc_sip_error e;
    if (st == 513)
        return;                             /* a request near the size limit */
    CHECK(st == 0);
    CHECK(resp.status == status && resp.nvia == req->nvia);
    n = msc_sip_serialize(&resp, out3, sizeof(out3));
    if (!n)
        return;                             /* the answer would exceed MSC_SIP_MAX_MSG */
    CHECK(msc_sip_parse(out3, n, MSC_SIP_STREAM, &resp2, &e) == 0);
    CHECK(msc_sip_msg_same(&resp, &resp2));
    CHECK(resp2.to.tag.n > 0 || status == 100);
}

static void check_frame(const uint8_t *data, size_t size)
{
    size_t skip = 7, len = 7, skip2, len2;
    msc_sip_frame_result r = msc_sip_frame((const char *)data, size, &skip, &len);
    CHECK(r == MSC_SIP_FRAME_MORE || r == MSC_SIP_FRAME_OK || r == MSC_SIP_FRAME_BROKEN);
    CHECK(skip <= size);
    if (r == MSC_SIP_FRAME_OK) {
        CHECK(len > 0 && len <= MSC_SIP_MAX_MSG && skip + len <= size);
        CHECK(msc_sip_frame((const char *)data, skip + len, &skip2, &len2) == MSC_SIP_FRAME_OK);
        CHECK(skip2 == skip && len2 == len);
    } else {
        CHECK(len == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    msc_sip_error e;
    int st;
    size_t n, n2;

    check_frame(data, size);

    /* as a framed stream message: success means the framer sees exactly this message */
    st = msc_sip_parse(buf, size, MSC_SIP_STREAM, &first, &e);
    if (st == 0) {
        size_t skip, len;
        CHECK(msc_sip_frame(buf, size, &skip, &len) == MSC_SIP_FRAME_OK && skip + len == size);
    }

    /* as a datagram */
    st = msc_sip_parse(buf, size, MSC_SIP_DATAGRAM, &first, &e);
    CHECK(st == e.status);
    if (st) {
        CHECK(status_known(st) && e.reason && e.reason[0]);
        CHECK(e.drop == 0 || e.drop == 1);
        if (!e.drop) {
            CHECK(first.is_request && first.method != MSC_SIP_ACK);
            check_response_to(&first, st, e.reason);
        }
        return 0;
    }
    CHECK(e.drop == 0 && e.reason == NULL);
    check_model(&first);

    n = msc_sip_serialize(&first, out1, sizeof(out1));
    CHECK(n > 0 && n <= MSC_SIP_MAX_MSG);
    st = msc_sip_parse(out1, n, MSC_SIP_STREAM, &second, &e);
    CHECK(st == 0);
    CHECK(msc_sip_msg_same(&first, &second));
    check_model(&second);
    CHECK(msc_sip_uri_equal(&first.from.uri, &second.from.uri));
    CHECK(msc_sip_uri_equal(&first.to.uri, &second.to.uri));
    if (first.is_request)
        CHECK(msc_sip_uri_equal(&first.ruri, &second.ruri));
    n2 = msc_sip_serialize(&second, out2, sizeof(out2));
    CHECK(n2 == n && !memcmp(out1, out2, n));
    {
        size_t skip, len;
        CHECK(msc_sip_frame(out1, n, &skip, &len) == MSC_SIP_FRAME_OK && skip == 0 && len == n);
    }

    if (first.is_request && first.method != MSC_SIP_ACK) {
        check_response_to(&first, 200, "");
        check_response_to(&first, 100, "");
    }
    {
        char id[64];
        CHECK(msc_sip_new_branch(id, sizeof(id), fixed_random, NULL) == MSC_SIP_BRANCH_LEN);
    }
    return 0;
}
