/* msgsc SIP message layer: a strict RFC 3261 parser and serializer for the messages msgsc sends
 * and receives, TCP stream framing, the few helpers a user agent needs, and HTTP Digest (RFC 2617,
 * RFC 7616's MD5 algorithms) for the client side of 401/407 challenges.  Portable C: no sockets,
 * no <windows.h>, no allocation.  docs/sip.md describes every rule and limit.
 *
 * Code: src/transport/sip/message.c, src/transport/sip/digest.c.
 * Tests: tests/transport/test_sip_message.c (with the corpus in tests/transport/sip-corpus/),
 * tests/transport/test_sip_digest.c; fuzzer: tests/fuzz/fuzz_sip.c.
 *
 * The model.  A msc_sip_msg holds a start line, an ordered list of header lines and a body, all
 * stored in the message's own arena (it does not point into the buffer it was parsed from).  The
 * headers msgsc uses are also parsed into typed fields (via[], from, to, cseq ...), which point
 * into the same arena.  The header list is the truth: the serializer writes it, the typed fields
 * are derived from it, and every way of adding a header (parse, msc_sip_add) goes through the same
 * strict value parser, so the two never disagree.
 *
 * A msc_sip_msg is big (about 40 KiB: give it static or heap storage, not a small stack) and points
 * into itself: never copy one with '=' or memcpy; build a new one from the old with the API.
 */
#ifndef MSGSC_SIP_H
#define MSGSC_SIP_H

#include <stddef.h>
#include <stdint.h>
#include "msgsc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits (docs/sip.md, "Limits") --------------------------------------------------------- */
#define MSC_SIP_MAX_MSG      16384u  /* whole message: start line, headers, body (513) */
#define MSC_SIP_MAX_BODY      8192u  /* body, i.e. Content-Length (413) */
#define MSC_SIP_MAX_LINE      2048u  /* start line; one header value, unfolded (513) */
#define MSC_SIP_MAX_NAME        64u  /* one header name (513) */
#define MSC_SIP_MAX_URI       1024u  /* one URI (Request-URI: 414; elsewhere 513) */
#define MSC_SIP_MAX_HEADERS     64u  /* header lines (513) */
#define MSC_SIP_MAX_VIA         16u  /* Via values, all Via lines together (513, dropped) */
#define MSC_SIP_MAX_ROUTE       16u  /* Route values; Record-Route values (513) */
#define MSC_SIP_MAX_CONTACT      8u  /* Contact values (513) */
#define MSC_SIP_MAX_AUTH         4u  /* WWW-/Proxy-Authenticate, (Proxy-)Authorization lines,
                                        together (513) */
#define MSC_SIP_MAX_REASON       4u  /* Reason values (513) */
#define MSC_SIP_MAX_TAGS        16u  /* entries of each of Supported, Require, Proxy-Require,
                                        Unsupported, Allow (513) */
#define MSC_SIP_MAX_PARAMS      32u  /* parameters of one URI or of one header value (513) */
#define MSC_SIP_MAX_CALL_ID    256u  /* Call-ID bytes (513) */
#define MSC_SIP_MAX_COMMENT     16u  /* nesting of comments in User-Agent / Server (400) */
#define MSC_SIP_STORE (MSC_SIP_MAX_MSG + 4096u)  /* a message's arena */

/* ---- methods, header names ------------------------------------------------------------------ */
typedef enum msc_sip_method {
    MSC_SIP_OTHER_METHOD = 0,   /* any other token: method_name says which */
    MSC_SIP_INVITE, MSC_SIP_ACK, MSC_SIP_CANCEL, MSC_SIP_BYE, MSC_SIP_REGISTER,
    MSC_SIP_OPTIONS, MSC_SIP_INFO, MSC_SIP_MESSAGE,
    MSC_SIP_METHOD_COUNT
} msc_sip_method;

/* Method names are case-sensitive: "invite" is an extension method, not INVITE. */
msc_sip_method msc_sip_method_of(msc_str name);
const char *msc_sip_method_name(msc_sip_method m);       /* NULL for MSC_SIP_OTHER_METHOD */

typedef enum msc_sip_hdr {
    MSC_SIP_H_OTHER = 0,            /* unknown: kept opaque under the name it arrived with */
    /* parsed into typed fields */
    MSC_SIP_H_VIA, MSC_SIP_H_FROM, MSC_SIP_H_TO, MSC_SIP_H_CALL_ID, MSC_SIP_H_CSEQ,
    MSC_SIP_H_MAX_FORWARDS, MSC_SIP_H_CONTACT, MSC_SIP_H_CONTENT_TYPE, MSC_SIP_H_CONTENT_LENGTH,
    MSC_SIP_H_EXPIRES, MSC_SIP_H_MIN_EXPIRES, MSC_SIP_H_ROUTE, MSC_SIP_H_RECORD_ROUTE,
    MSC_SIP_H_WWW_AUTHENTICATE, MSC_SIP_H_PROXY_AUTHENTICATE, MSC_SIP_H_AUTHORIZATION,
    MSC_SIP_H_PROXY_AUTHORIZATION, MSC_SIP_H_REASON, MSC_SIP_H_SUPPORTED, MSC_SIP_H_REQUIRE,
    MSC_SIP_H_PROXY_REQUIRE, MSC_SIP_H_UNSUPPORTED, MSC_SIP_H_ALLOW, MSC_SIP_H_USER_AGENT,
    MSC_SIP_H_SERVER,
    /* opaque, known for their compact forms (and written with their canonical names) */
    MSC_SIP_H_CONTENT_ENCODING, MSC_SIP_H_SUBJECT, MSC_SIP_H_EVENT, MSC_SIP_H_REFER_TO,
    MSC_SIP_H_REFERRED_BY, MSC_SIP_H_ALLOW_EVENTS, MSC_SIP_H_SESSION_EXPIRES,
    MSC_SIP_H_ACCEPT_CONTACT, MSC_SIP_H_REJECT_CONTACT, MSC_SIP_H_REQUEST_DISPOSITION,
    MSC_SIP_H_IDENTITY, MSC_SIP_H_IDENTITY_INFO,
    MSC_SIP_H_COUNT
} msc_sip_hdr;

/* The header a name means: long or compact form, ASCII case-insensitive.  MSC_SIP_H_OTHER for
 * any other name (valid or not). */
msc_sip_hdr msc_sip_hdr_of(msc_str name);
const char *msc_sip_hdr_name(msc_sip_hdr h);             /* canonical long name; NULL for OTHER */

/* ---- URIs ----------------------------------------------------------------------------------- */
typedef enum msc_sip_scheme {
    MSC_SIP_SCHEME_NONE = 0,
    MSC_SIP_SCHEME_SIP,
    MSC_SIP_SCHEME_SIPS,
    MSC_SIP_SCHEME_OTHER        /* any absoluteURI (tel:, mailto:, ...): only raw and scheme */
} msc_sip_scheme;

typedef enum msc_sip_host_kind {
    MSC_SIP_HOST_NONE = 0,
    MSC_SIP_HOST_NAME,          /* hostname */
    MSC_SIP_HOST_IPV4,
    MSC_SIP_HOST_IPV6           /* IPv6reference: host keeps its brackets */
} msc_sip_host_kind;

/* Every string is a slice of the URI as written (escapes are kept; msc_sip_unescape decodes). */
typedef struct msc_sip_uri {
    msc_sip_scheme scheme;
    msc_str raw;                /* the whole URI */
    msc_str scheme_name;        /* as written ("sip", "SIP", "tel") */
    msc_str user;               /* empty: none (a user is never empty when present) */
    msc_str password;
    int has_password;           /* "sip:alice:@h" has an empty password */
    msc_str host;
    msc_sip_host_kind host_kind;
    uint16_t port;              /* 0: none written (port 0 is refused) */
    msc_str params;             /* ";name=value;flag" as written, or empty */
    msc_str headers;            /* after the '?', or empty */
    /* the parameters with a meaning in RFC 3261 (empty when absent) */
    msc_str transport, user_param, method_param, maddr;
    int lr;                     /* "lr" present */
    int ttl;                    /* -1: absent; 0..255 */
} msc_sip_uri;

/* Parse one URI (nothing before or after it).  0, or the status a request carrying it would be
 * answered with: 400 malformed, 513 over MSC_SIP_MAX_URI / MSC_SIP_MAX_PARAMS.  A non-SIP scheme
 * is accepted here (scheme OTHER) and refused only as a Request-URI (416). */
int msc_sip_uri_parse(msc_str s, msc_sip_uri *out);

/* RFC 3261 §19.1.4 equality: scheme; user and password case-sensitively, host case-insensitively
 * (IP addresses by value), port (absent != 5060); the user, ttl, method, maddr and transport
 * parameters must be in both or neither; any other parameter in both must match; URI headers
 * must all match.  Escapes of unreserved characters equal the characters.  Non-SIP URIs compare
 * by their text.  1 when equal. */
int msc_sip_uri_equal(const msc_sip_uri *a, const msc_sip_uri *b);

/* ---- parameters, quoted strings, escapes ---------------------------------------------------- */
/* Walk a params slice (msc_sip_uri.params, msc_sip_addr.params, msc_sip_via.params ...): *it
 * starts as the slice; each call gives the next parameter's name and value (value.p NULL when it
 * has no "=value"; a quoted value keeps its quotes).  0 at the end or on text that is not a
 * parameter list. */
int msc_sip_param_next(msc_str *it, msc_str *name, msc_str *value);
/* 1 and *value when params has a parameter called name (ASCII case-insensitive). */
int msc_sip_param_find(msc_str params, const char *name, msc_str *value);
/* Undo quoting: "a\"b" -> a"b.  Without quotes the text is copied.  Returns 1 and *out_n, or 0
 * when it does not fit in cap or is not a well-formed quoted-string. */
int msc_sip_unquote(msc_str s, char *buf, size_t cap, size_t *out_n);
/* Undo %XX escapes.  1 and *out_n, or 0 on a malformed escape or when it does not fit. */
int msc_sip_unescape(msc_str s, char *buf, size_t cap, size_t *out_n);

/* ---- typed header values -------------------------------------------------------------------- */
typedef enum msc_sip_transport {
    MSC_SIP_TP_OTHER = 0, MSC_SIP_TP_UDP, MSC_SIP_TP_TCP, MSC_SIP_TP_TLS, MSC_SIP_TP_SCTP,
    MSC_SIP_TP_WS, MSC_SIP_TP_WSS
} msc_sip_transport;

typedef struct msc_sip_via {
    msc_str raw;                /* this via-parm */
    msc_str protocol, version;  /* "SIP", "2.0" */
    msc_str transport;          /* as written */
    msc_sip_transport tp;
    msc_str host;               /* sent-by host (IPv6 with brackets) */
    msc_sip_host_kind host_kind;
    uint16_t port;              /* 0: none */
    msc_str params;             /* every parameter, as written */
    msc_str branch, received, maddr;   /* empty when absent */
    int rport;                  /* -1 absent, 0 "rport" without value, else the port */
    int ttl;                    /* -1 absent */
} msc_sip_via;

/* From, To, Contact, Route, Record-Route values. */
typedef struct msc_sip_addr {
    msc_str raw;                /* this value */
    msc_str display;            /* as written: a quoted-string with its quotes, or tokens;
                                   may be empty */
    int angle;                  /* name-addr form ("<uri>") */
    msc_sip_uri uri;
    msc_str params;             /* header parameters after the URI */
    msc_str tag;                /* From/To: the tag parameter, empty when absent */
    int64_t expires;            /* Contact: the expires parameter, -1 when absent, else clamped
                                   to 0 .. 2^32-1 */
    msc_str q;                  /* Contact: the q parameter, empty when absent */
} msc_sip_addr;

/* WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization. */
typedef struct msc_sip_auth {
    msc_sip_hdr which;
    msc_str raw;
    msc_str scheme;             /* "Digest", ... */
    msc_str params;             /* "name=value, name=\"value\"", as written */
} msc_sip_auth;
/* 1 and *value (quotes kept) when an auth-param called name (case-insensitive) is present. */
int msc_sip_auth_param(const msc_sip_auth *a, const char *name, msc_str *value);
/* Parse one challenge or credentials value on its own (which tells what it came from). */
int msc_sip_auth_parse(msc_str value, msc_sip_hdr which, msc_sip_auth *out);

typedef struct msc_sip_reason {     /* RFC 3326 */
    msc_str raw, protocol;          /* "SIP", "Q.850", ... */
    int cause;                      /* -1 absent */
    msc_str text;                   /* quoted, with quotes; empty when absent */
    msc_str params;
} msc_sip_reason;

typedef struct msc_sip_tags {       /* Supported, Require, Proxy-Require, Unsupported, Allow */
    int present;                    /* the header appeared (Supported and Allow may be empty) */
    size_t n;
    msc_str v[MSC_SIP_MAX_TAGS];
} msc_sip_tags;

typedef struct msc_sip_header {
    msc_sip_hdr id;
    msc_str name;               /* canonical for known headers; as received for OTHER */
    msc_str value;              /* unfolded, without leading/trailing whitespace */
} msc_sip_header;

/* ---- the message ---------------------------------------------------------------------------- */
typedef struct msc_sip_msg {
    int is_request;
    /* request line */
    msc_sip_method method;
    msc_str method_name;
    msc_sip_uri ruri;
    /* status line */
    int status;
    msc_str reason;

    size_t nheaders;
    msc_sip_header headers[MSC_SIP_MAX_HEADERS];   /* in order; never Content-Length */

    /* typed views (present: count > 0, or the has_ flag) */
    size_t nvia;
    msc_sip_via via[MSC_SIP_MAX_VIA];              /* topmost first */
    int has_from, has_to;
    msc_sip_addr from, to;
    msc_str call_id;                               /* empty: absent */
    int has_cseq;
    uint32_t cseq;                                 /* 0 .. 2^31-1 */
    msc_sip_method cseq_method;
    msc_str cseq_method_name;
    int max_forwards;                              /* -1 absent, 0..255 */
    int contact_star;                              /* "Contact: *" */
    size_t ncontact;
    msc_sip_addr contact[MSC_SIP_MAX_CONTACT];
    int has_content_type;
    msc_str content_type, content_subtype, content_type_params;
    int64_t expires, min_expires;                  /* -1 absent; else 0 .. 2^32-1 (clamped) */
    size_t nroute, nrecord_route;
    msc_sip_addr route[MSC_SIP_MAX_ROUTE];
    msc_sip_addr record_route[MSC_SIP_MAX_ROUTE];
    size_t nauth;
    msc_sip_auth auth[MSC_SIP_MAX_AUTH];           /* all four kinds, in order; see .which */
    size_t nreason;
    msc_sip_reason reasons[MSC_SIP_MAX_REASON];
    msc_sip_tags supported, require, proxy_require, unsupported, allow;
    msc_str user_agent, server;                    /* validated; empty: absent */

    msc_str body;                                  /* Content-Length is body.n */

    size_t used;                                   /* of store */
    char store[MSC_SIP_STORE];
} msc_sip_msg;

/* ---- parsing -------------------------------------------------------------------------------- */
/* How a message that failed to parse should be answered. */
typedef struct msc_sip_error {
    int status;             /* 0: parsed; else 400, 413, 414, 416, 505 or 513 */
    const char *reason;     /* a short static reason phrase for the answer ("Bad CSeq") */
    int drop;               /* 1: do not answer (a response, an ACK, garbage, or a request
                               without a usable Via, From, To, Call-ID or CSeq) */
} msc_sip_error;

#define MSC_SIP_DATAGRAM 0  /* UDP: no Content-Length means "the rest"; extra bytes are ignored */
#define MSC_SIP_STREAM   1  /* one message from msc_sip_frame: Content-Length required, exact */

/* Parse one message (leading CRLFs are skipped).  Returns err->status (0 when parsed).  When it
 * fails but err->drop is 0, *out holds the request line and the headers msc_sip_make_response
 * needs, so the caller answers with msc_sip_make_response(&r, out, err->status, err->reason...).
 * Never reads outside buf[0..len), never writes outside *out and *err. */
int msc_sip_parse(const char *buf, size_t len, int mode, msc_sip_msg *out, msc_sip_error *err);

/* ---- TCP framing ---------------------------------------------------------------------------- */
typedef enum msc_sip_frame_result {
    MSC_SIP_FRAME_MORE = 0,     /* need more bytes (consume *skip keep-alive bytes meanwhile) */
    MSC_SIP_FRAME_OK,           /* buf[*skip .. *skip + *msg_len) is the next message */
    MSC_SIP_FRAME_BROKEN        /* the stream cannot be framed any more: close the connection */
} msc_sip_frame_result;
/* Frame the next message of a stream by its Content-Length.  Leading CRLFs (RFC 5626 keep-alives)
 * are counted in *skip.  A header section without Content-Length frames as a body-less message
 * (msc_sip_parse in STREAM mode then answers 400).  BROKEN: no end of headers within
 * MSC_SIP_MAX_MSG, or a Content-Length that is malformed, repeated or over the limits. */
msc_sip_frame_result msc_sip_frame(const char *buf, size_t len, size_t *skip, size_t *msg_len);

/* ---- building, serializing ------------------------------------------------------------------ */
/* Start a request / a response (reason empty: msc_sip_reason_phrase).  0, or 400/414/416. */
int msc_sip_init_request(msc_sip_msg *m, msc_str method, msc_str uri);
int msc_sip_init_response(msc_sip_msg *m, int status, msc_str reason);
/* Append a header line through the same strict parser as msc_sip_parse.  name is a long or
 * compact name or any token; value is one unfolded line.  0, or 400 (bad name or value, a second
 * single-valued header, or Content-Length: the serializer writes that), 513 (over a limit). */
int msc_sip_add(msc_sip_msg *m, msc_str name, msc_str value);
int msc_sip_add_z(msc_sip_msg *m, const char *name, const char *value);
/* Set the body (any bytes).  0, or 413. */
int msc_sip_set_body(msc_sip_msg *m, msc_str body);
/* The checks msc_sip_parse makes once every header is in: mandatory headers (requests: Via,
 * From, To, Call-ID, CSeq, Max-Forwards; responses: the same but Max-Forwards), and a request's
 * CSeq method equal to its method.  Returns err->status. */
int msc_sip_check(const msc_sip_msg *m, msc_sip_error *err);
/* Write m: start line, every header under its canonical long name (compact forms expanded),
 * Content-Length (always), an empty line, the body; CRLF line ends.  Returns the length, or 0
 * when m fails msc_sip_check, the result would exceed cap or MSC_SIP_MAX_MSG. */
size_t msc_sip_serialize(const msc_sip_msg *m, char *buf, size_t cap);
/* 1 when a and b hold the same message: start line, header list (names of OTHER headers
 * compared case-insensitively), body. */
int msc_sip_msg_same(const msc_sip_msg *a, const msc_sip_msg *b);

/* ---- helpers -------------------------------------------------------------------------------- */
const char *msc_sip_reason_phrase(int status);   /* RFC 3261 §21 text; "Unknown" otherwise */

/* A response to req (RFC 3261 §8.2.6): every Via line, From, To, Call-ID and CSeq copied; a To
 * tag added when To has none (to_tag, a token, required unless status is 100); Record-Route
 * copied for 101..299 answers to INVITE.  reason empty: msc_sip_reason_phrase.  0, or 400 when
 * req cannot be answered (not a request, a needed header missing, no tag), or 513. */
int msc_sip_make_response(msc_sip_msg *resp, const msc_sip_msg *req, int status, msc_str reason,
                          msc_str to_tag);

/* Identifiers from a caller-given random source (msc_host.random's signature).  Each writes a
 * NUL-terminated string and returns its length, or 0 when cap is too small or rnd is NULL. */
typedef void (*msc_sip_random_fn)(void *ctx, void *buf, size_t len);
#define MSC_SIP_BRANCH_LEN  39      /* "z9hG4bK" + 32 hex digits (128 random bits) */
#define MSC_SIP_TAG_LEN     16      /* 16 hex digits (64 random bits) */
#define MSC_SIP_CALL_ID_RANDOM_LEN 32  /* 32 hex digits, then "@host" when a host is given */
size_t msc_sip_new_branch(char *buf, size_t cap, msc_sip_random_fn rnd, void *ctx);
size_t msc_sip_new_tag(char *buf, size_t cap, msc_sip_random_fn rnd, void *ctx);
size_t msc_sip_new_call_id(char *buf, size_t cap, msc_str host, msc_sip_random_fn rnd, void *ctx);

/* ---- MD5 (RFC 1321) and HTTP Digest (src/transport/sip/digest.c) ---------------------------- */
typedef struct msc_md5 {
    uint32_t h[4];
    uint64_t len;               /* bytes so far */
    unsigned char buf[64];
} msc_md5;
void msc_md5_init(msc_md5 *c);
void msc_md5_update(msc_md5 *c, const void *data, size_t n);
void msc_md5_final(msc_md5 *c, unsigned char out[16]);
/* MD5 of data as 32 lowercase hex digits and a NUL. */
void msc_md5_hex(const void *data, size_t n, char out[33]);

#define MSC_SIP_DIGEST_MAX_VALUE 256    /* realm, nonce, opaque, username, each, unquoted */

typedef enum msc_sip_digest_alg {
    MSC_SIP_DIGEST_MD5 = 0,
    MSC_SIP_DIGEST_MD5_SESS
} msc_sip_digest_alg;

typedef struct msc_sip_digest_challenge {
    int proxy;                  /* from Proxy-Authenticate: answer in Proxy-Authorization */
    msc_sip_digest_alg alg;
    int alg_given;              /* the challenge named the algorithm (echoed in the answer) */
    int qop_auth;               /* qop offered, including "auth": the answer uses qop=auth */
    int stale;
    int userhash;               /* RFC 7616 userhash=true */
    char realm[MSC_SIP_DIGEST_MAX_VALUE + 1];
    char nonce[MSC_SIP_DIGEST_MAX_VALUE + 1];
    char opaque[MSC_SIP_DIGEST_MAX_VALUE + 1];
    int has_opaque;
} msc_sip_digest_challenge;

/* Why a challenge cannot be answered. */
#define MSC_SIP_DIGEST_OK           0
#define MSC_SIP_DIGEST_E_SYNTAX   (-1)  /* not a well-formed Digest challenge */
#define MSC_SIP_DIGEST_E_SCHEME   (-2)  /* another scheme (Basic, ...) */
#define MSC_SIP_DIGEST_E_ALG      (-3)  /* an algorithm other than MD5 / MD5-sess */
#define MSC_SIP_DIGEST_E_QOP      (-4)  /* qop offered without "auth", or MD5-sess without qop */
#define MSC_SIP_DIGEST_E_LIMIT    (-5)  /* a value over MSC_SIP_DIGEST_MAX_VALUE */

/* Parse a parsed WWW-Authenticate / Proxy-Authenticate value. */
int msc_sip_digest_challenge_parse(const msc_sip_auth *a, msc_sip_digest_challenge *ch);
/* The first challenge of a 401/407 response that msgsc can answer; MSC_SIP_DIGEST_OK or the
 * reason of the last one refused (E_SYNTAX when there is none at all). */
int msc_sip_digest_pick(const msc_sip_msg *resp, msc_sip_digest_challenge *ch);

typedef struct msc_sip_digest_input {
    msc_str username, password;
    msc_str method;             /* the request's method ("REGISTER") */
    msc_str uri;                /* digest-uri: the request's Request-URI */
    msc_str cnonce;             /* client nonce (e.g. msc_sip_new_tag); used with qop */
    uint32_t nc;                /* nonce count, 1 for the first use of a nonce */
} msc_sip_digest_input;

/* The request-digest as 32 lowercase hex digits; MSC_SIP_DIGEST_OK or an E_ code. */
int msc_sip_digest_response(const msc_sip_digest_challenge *ch, const msc_sip_digest_input *in,
                            char out[33]);
/* The whole Authorization (or Proxy-Authorization, per ch->proxy) header value:
 *   Digest username="..", realm="..", nonce="..", uri="..", response="..", algorithm=MD5,
 *          cnonce="..", opaque="..", qop=auth, nc=00000001
 * Returns the length (buf NUL-terminated), or 0 when it does not fit or an input is invalid. */
size_t msc_sip_digest_authorization(const msc_sip_digest_challenge *ch,
                                    const msc_sip_digest_input *in, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
