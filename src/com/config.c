/* Per-user configuration: HKCU\Software\msgsc, each value overridable by an environment variable
 * (tests, one-off runs).  docs/configuration.md lists every value; registry/ shows them. */
#include <stdlib.h>
#include <string.h>
#include "private.h"
#include "msgsc/agent.h"

/* The environment variable env, else the REG_SZ value: 1 and out (UTF-8) when either is set. */
static int get_string(const WCHAR *env, const WCHAR *value, char *out, size_t cap)
{
    WCHAR w[512];
    DWORD size = sizeof(w), n = GetEnvironmentVariableW(env, w, ARRAYSIZE(w));

    if (n && n < ARRAYSIZE(w)) {
        msgsc_utf8_copy(w, out, cap);
        return 1;
    }
    if (!RegGetValueW(HKEY_CURRENT_USER, L"Software\\msgsc", value, RRF_RT_REG_SZ, NULL, w, &size) && w[0]) {
        msgsc_utf8_copy(w, out, cap);
        return 1;
    }
    return 0;
}

/* The environment variable env (decimal), else the REG_DWORD value (value NULL: none). */
static int get_number(const WCHAR *env, const WCHAR *value, DWORD *out)
{
    WCHAR w[16];
    DWORD size = sizeof(*out), n = GetEnvironmentVariableW(env, w, ARRAYSIZE(w));

    if (n && n < ARRAYSIZE(w)) {
        *out = wcstoul(w, NULL, 10);
        return 1;
    }
    return value && !RegGetValueW(HKEY_CURRENT_USER, L"Software\\msgsc", value, RRF_RT_REG_DWORD, NULL, out, &size);
}

void msgsc_config_read(struct msgsc_config *c)
{
    WCHAR user[MSC_MAX_USER_CHARS - 20];
    DWORD n = ARRAYSIZE(user), v;
    char tmp[64], *colon;

    ZeroMemory(c, sizeof(*c));
    /* the network: SIP over UDP unless told otherwise */
    c->transport = MSGSC_TRANSPORT_UDP;
    if (get_string(L"MSGSC_TRANSPORT", L"Transport", tmp, sizeof(tmp))) {
        if (!lstrcmpiA(tmp, "tcp")) c->transport = MSGSC_TRANSPORT_TCP;
        else if (!lstrcmpiA(tmp, "loopback")) c->transport = MSGSC_TRANSPORT_LOOPBACK;
    }
    strcpy(c->listen_host, "0.0.0.0");
    c->listen_port = 5060;
    if (get_string(L"MSGSC_LISTEN", L"ListenAddress", tmp, sizeof(tmp))) {
        /* "host" or "host:port" */
        if ((colon = strrchr(tmp, ':')) && !strchr(colon, ']')) {
            *colon = 0;
            c->listen_port = (uint16_t)strtoul(colon + 1, NULL, 10);
            c->port_given = 1;
        }
        if (tmp[0]) lstrcpynA(c->listen_host, tmp, sizeof(c->listen_host));
    }
    if (get_number(L"MSGSC_LISTEN_PORT", L"ListenPort", &v) && v < 65536) {
        c->listen_port = (uint16_t)v;
        c->port_given = 1;
    }
    get_string(L"MSGSC_ADVERTISE", L"Address", c->advertise, sizeof(c->advertise));
    get_string(L"MSGSC_DISPLAY_NAME", L"DisplayName", c->display_name, sizeof(c->display_name));
    get_string(L"MSGSC_PROXY", L"Proxy", c->proxy, sizeof(c->proxy));
    get_string(L"MSGSC_AUTH_USER", L"AuthUser", c->auth_user, sizeof(c->auth_user));
    get_string(L"MSGSC_PASSWORD", L"Password", c->password, sizeof(c->password));
    if (get_number(L"MSGSC_LIFETIME_S", L"InvitationLifetime", &v)) c->lifetime_ms = v * 1000u;
    if (get_number(L"MSGSC_LIFETIME_MS", NULL, &v)) c->lifetime_ms = v;     /* tests: milliseconds */
    /* one identity per user, through the agent (docs/agent.md), unless Agent is 0 */
    c->agent = !get_number(L"MSGSC_AGENT", L"Agent", &v) || v;
    c->policy = MSC_POLICY_EVERYONE;
    if (get_string(L"MSGSC_INVITE_POLICY", L"InvitePolicy", tmp, sizeof(tmp))) {
        if (!lstrcmpiA(tmp, "contacts")) c->policy = MSC_POLICY_CONTACTS;
        else if (!lstrcmpiA(tmp, "nobody")) c->policy = MSC_POLICY_NOBODY;
    }
    get_string(L"MSGSC_CONTACTS", L"Contacts", c->contacts, sizeof(c->contacts));
    c->prompt = MSC_PROMPT_ASK;
    if (get_string(L"MSGSC_PROMPT", L"Prompt", tmp, sizeof(tmp))) {
        if (!lstrcmpiA(tmp, "accept")) c->prompt = MSC_PROMPT_ACCEPT;
        else if (!lstrcmpiA(tmp, "decline")) c->prompt = MSC_PROMPT_DECLINE;
    }
    if (!get_string(L"MSGSC_IDENTITY", L"Identity", c->identity, sizeof(c->identity))) {
        /* %USERNAME%@localhost: reachable on this machine only until Identity is set */
        if (!GetUserNameW(user, &n)) lstrcpyW(user, L"user");
        msgsc_utf8_copy(user, c->identity, sizeof(c->identity) - 16);
        strcat(c->identity, "@localhost");
        c->identity_default = 1;
    }
}
