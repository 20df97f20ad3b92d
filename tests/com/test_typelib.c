/* test_typelib: read the built type library back and compare it with the API as documented.
 *
 * The expected values below are written out here from the facts (docs/msgr-api.md §2-§8), not
 * taken from msgrpriv.h or msgrpriv_i.c, so a slip in idl/msgrpriv.idl cannot hide itself.
 * The same checks run twice: on the type library embedded in msgsc.dll (resource 1 TYPELIB,
 * what clients load) and on the msgrpriv.tlb that widl wrote.
 *
 *   test_typelib [<msgsc.dll> [<msgrpriv.tlb>]]
 * Relative paths are taken from the current directory; without arguments the files are looked
 * for at their places in the build tree relative to this program (..\..\src\com\msgsc.dll,
 * ..\..\include\msgrpriv.tlb).
 *
 * One test per area, so that a failure names what drifted.  Parameter types are given as the
 * VARTYPE a late-bound caller passes (a pointer is VT_BYREF, SAFEARRAY(long) is VT_ARRAY|VT_I4,
 * an enum is VT_USERDEFINED plus its type name).
 */
#define COBJMACROS
#include <windows.h>
#include <ole2.h>
#include <oleauto.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>

/* ---- the expected API ----------------------------------------------------------------------- */

#define NO_ID  ((MEMBERID)0x7fffffff)   /* member id not part of the contract (IMsgrLock) */
#define P_IN     PARAMFLAG_FIN
#define P_RETVAL (PARAMFLAG_FOUT | PARAMFLAG_FRETVAL)
#define P_INOUT  (PARAMFLAG_FIN | PARAMFLAG_FOUT)

struct param_info {
    const char *name;           /* NULL: not checked (names of a property put's value) */
    VARTYPE vt;
    const char *udt;            /* for VT_USERDEFINED: the referenced type's name */
    USHORT flags;
};

struct func_info {
    const char *name;
    MEMBERID memid;
    INVOKEKIND invkind;
    const char *help;           /* NULL: no helpstring */
    int nparams;
    struct param_info params[5];
};

struct iface_info {
    const char *name;
    GUID iid;
    TYPEKIND kind;              /* TKIND_INTERFACE (dual or not) or TKIND_DISPATCH (events) */
    WORD flags;                 /* of the TKIND_INTERFACE half for dual interfaces */
    const char *base;           /* IDispatch or IUnknown */
    int first_slot;             /* vtable slot of the first member */
    int nfuncs;
    const struct func_info *funcs;
};

#define BSTR_IN(n)    { n, VT_BSTR, NULL, P_IN }
#define LONG_IN(n)    { n, VT_I4, NULL, P_IN }
#define BOOL_IN(n)    { n, VT_BOOL, NULL, P_IN }
#define DISP_IN(n)    { n, VT_DISPATCH, NULL, P_IN }
#define BSTR_RET(n)   { n, VT_BSTR | VT_BYREF, NULL, P_RETVAL }
#define DISP_RET(n)   { n, VT_DISPATCH | VT_BYREF, NULL, P_RETVAL }
#define BOOL_INOUT(n) { n, VT_BOOL | VT_BYREF, NULL, P_INOUT }

/* §2 */
static const GUID libid = {0x53ced51d, 0x432b, 0x45b2, {0xa3, 0xe0, 0x0c, 0xe2, 0xc2, 0x42, 0x35, 0xd4}};
static const GUID iid_session_manager = {0x305d86c6, 0x6896, 0x4099, {0x91, 0xf5, 0xcb, 0x7b, 0xa7, 0x73, 0x35, 0x63}};
static const GUID iid_session = {0x42d7cafc, 0x0167, 0x4941, {0xa5, 0xd8, 0x9f, 0xd7, 0xf1, 0x04, 0xc4, 0x1a}};
static const GUID iid_lock = {0x36602afa, 0x4859, 0x4df5, {0x82, 0x0b, 0xbf, 0x35, 0xac, 0xaa, 0x16, 0xca}};
static const GUID iid_messenger_private = {0x7c95459b, 0xc8e7, 0x4605, {0xb6, 0x41, 0x45, 0xeb, 0x06, 0x86, 0x66, 0x59}};
static const GUID diid_manager_events = {0x52ac8b62, 0x8f88, 0x46ca, {0x90, 0x2a, 0x1f, 0x91, 0x06, 0xb0, 0xa9, 0xf4}};
static const GUID diid_session_events = {0x1847a74f, 0x2e7f, 0x43af, {0xb7, 0xf9, 0x55, 0xa4, 0xde, 0x32, 0x76, 0xf5}};
static const GUID diid_private_events = {0xd21454f8, 0x43e3, 0x4d64, {0xb1, 0xe3, 0x84, 0x91, 0x1b, 0xaf, 0x20, 0x7d}};
static const GUID clsid_session_manager = {0xe3a3b1d9, 0x5675, 0x43c0, {0xbf, 0x04, 0x37, 0xbe, 0x11, 0x93, 0x9f, 0xb7}};
static const GUID clsid_session = {0xe3a3b1d8, 0x5675, 0x43c0, {0xbf, 0x04, 0x37, 0xbe, 0x11, 0x93, 0x9f, 0xb7}};
static const GUID clsid_messenger_priv = {0xab1d8565, 0x40e9, 0x4616, {0x98, 0x4d, 0x98, 0x46, 0x56, 0x87, 0xe8, 0x2c}};
static const GUID iid_idispatch = {0x00020400, 0x0000, 0x0000, {0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
static const GUID iid_iunknown = {0x00000000, 0x0000, 0x0000, {0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};

#define DUAL_FLAGS (TYPEFLAG_FDUAL | TYPEFLAG_FOLEAUTOMATION | TYPEFLAG_FDISPATCHABLE) /* 4416 */

/* §4 */
static const struct func_info session_manager_funcs[] = {
    { "CreateSession", 0, INVOKE_FUNC, NULL, 1, { DISP_RET("ppSession") } },
    { "GetLaunchingSession", 1, INVOKE_FUNC, NULL, 2, { LONG_IN("lProcessID"), DISP_RET("ppSession") } },
    { "RegisterApplication", 2, INVOKE_FUNC, NULL, 5,
      { BSTR_IN("bstrAppGUID"), BSTR_IN("bstrAppName"), BSTR_IN("bstrAppURL"), BSTR_IN("bstrPath"),
        LONG_IN("ulFlags") } },
    { "UnRegisterApplication", 3, INVOKE_FUNC, NULL, 1, { BSTR_IN("bstrAppGUID") } },
    { "Applications", 4, INVOKE_PROPERTYGET, NULL, 1, { DISP_RET("ppVal") } },
};

/* §5: Application get-then-put, LocalAddress put-then-get. */
static const struct func_info session_funcs[] = {
    { "Application", 0, INVOKE_PROPERTYGET, "Obtains the application GUID set by the inviter for this session.",
      1, { BSTR_RET("pbstrAppGUID") } },
    { "Application", 0, INVOKE_PROPERTYPUT, "Obtains the application GUID set by the inviter for this session.",
      1, { BSTR_IN(NULL) } },
    { "State", 1, INVOKE_PROPERTYGET, "Gets the current state of the session.",
      1, { { "pState", VT_USERDEFINED | VT_BYREF, "SESSION_STATE", P_RETVAL } } },
    { "Invite", 2, INVOKE_FUNC, "Invites user to this session.", 2, { DISP_IN("pUser"), BSTR_IN("bstrAppData") } },
    { "Decline", 3, INVOKE_FUNC, "Decline an invitation.", 1, { BSTR_IN("bstrAppData") } },
    { "Cancel", 4, INVOKE_FUNC, "Cancel an invitation.", 2, { LONG_IN("hr"), BSTR_IN("bstrAppData") } },
    { "Accept", 5, INVOKE_FUNC, "Accept an invitation.", 1, { BSTR_IN("bstrAppData") } },
    { "RemoteAddress", 6, INVOKE_PROPERTYGET, "Retrieve the IP address of the other party in the session.",
      1, { BSTR_RET("pbstrRemoteAddress") } },
    { "SessionID", 7, INVOKE_PROPERTYGET, "Retrieve session ID.", 1, { BSTR_RET("pbstrSessionID") } },
    { "ContextData", 8, INVOKE_PROPERTYGET, "Retrieve the app-specific context data.", 1, { BSTR_RET("pbstrData") } },
    { "ApplicationName", 9, INVOKE_PROPERTYGET, "Retrieve the application name.", 1, { BSTR_RET("pbstrName") } },
    { "ApplicationURL", 10, INVOKE_PROPERTYGET, "Retrieve the application URL.", 1, { BSTR_RET("pbstrURL") } },
    { "Flags", 11, INVOKE_PROPERTYGET, "Retrieve the session flags.",
      1, { { "plFlags", VT_I4 | VT_BYREF, NULL, P_RETVAL } } },
    { "User", 12, INVOKE_PROPERTYGET, "Retrieve the other user.", 1, { DISP_RET("ppUser") } },
    { "LocalAddress", 13, INVOKE_PROPERTYPUT, "Set the local IP address of the session.", 1, { BSTR_IN(NULL) } },
    { "LocalAddress", 13, INVOKE_PROPERTYGET, "Set the local IP address of the session.",
      1, { BSTR_RET(NULL) } },
    { "SendContextData", 14, INVOKE_FUNC, "Send app-specific context data.", 1, { BSTR_IN("bstrData") } },
};

/* §6 */
static const struct func_info lock_funcs[] = {
    { "Status", NO_ID, INVOKE_PROPERTYGET, NULL,
      1, { { "peStatus", VT_USERDEFINED | VT_BYREF, "LockStatus", P_RETVAL } } },
    { "RequestChallenge", NO_ID, INVOKE_FUNC, NULL, 1, { LONG_IN("lCookie") } },
    { "SendResponse", NO_ID, INVOKE_FUNC, NULL, 3,
      { BSTR_IN("bstrAppStrId"), BSTR_IN("bstrResponse"), LONG_IN("lCookie") } },
};

/* §7 */
static const struct func_info messenger_private_funcs[] = {
    { "EnableAlertEvents", 0x580, INVOKE_FUNC, NULL,
      1, { { "ppsaSiteIds", VT_ARRAY | VT_I4 | VT_BYREF, NULL, P_INOUT } } },
    { "AddContact", 0x581, INVOKE_FUNC, NULL, 2,
      { BSTR_IN("bstrSiginName"), { "vService", VT_VARIANT, NULL, P_IN } } },
};

/* §8.1 */
static const struct func_info manager_event_funcs[] = {
    { "OnInvitation", 100, INVOKE_FUNC, NULL, 3,
      { DISP_IN("pSession"), BSTR_IN("bstrAppData"), BOOL_INOUT("pfHandled") } },
    { "OnAppRegistered", 101, INVOKE_FUNC, NULL, 1, { BSTR_IN("bstrAppGUID") } },
    { "OnAppUnRegistered", 102, INVOKE_FUNC, NULL, 1, { BSTR_IN("bstrAppGUID") } },
    { "OnLockChallenge", 145, INVOKE_FUNC, NULL, 2, { LONG_IN("lCookie"), BSTR_IN("bstrChallenge") } },
    { "OnLockResult", 146, INVOKE_FUNC, NULL, 2, { LONG_IN("lCookie"), BOOL_IN("fSucceed") } },
    { "OnLockEnable", 147, INVOKE_FUNC, NULL, 1, { BOOL_IN("fEnable") } },
    { "OnLockStatusChanged", 0x3000, INVOKE_FUNC, NULL, 1, { { "eStatus", VT_USERDEFINED, "LockStatus", P_IN } } },
    { "OnAppShutdown", 126, INVOKE_FUNC, NULL, 0, { { NULL, 0, NULL, 0 } } },
};

/* §8.2 */
static const struct func_info session_event_funcs[] = {
    { "OnStateChanged", 103, INVOKE_FUNC, NULL, 1, { { "prevState", VT_USERDEFINED, "SESSION_STATE", P_IN } } },
    { "OnAppNotPresent", 104, INVOKE_FUNC, NULL, 2, { BSTR_IN("bstrAppName"), BSTR_IN("bstrAppURL") } },
    { "OnAccepted", 105, INVOKE_FUNC, NULL, 1, { BSTR_IN("bstrAppData") } },
    { "OnDeclined", 106, INVOKE_FUNC, NULL, 1, { BSTR_IN("bstrAppData") } },
    { "OnCancelled", 107, INVOKE_FUNC, NULL, 1, { BSTR_IN("bstrAppData") } },
    { "OnTermination", 108, INVOKE_FUNC, NULL, 2, { LONG_IN("hr"), BSTR_IN("bstrAppData") } },
    { "OnReadyToLaunch", 109, INVOKE_FUNC, NULL, 0, { { NULL, 0, NULL, 0 } } },
    { "BeforeAppLaunch", 112, INVOKE_FUNC, NULL, 1, { BOOL_INOUT("pfEnableDefault") } },
    { "OnContextData", 110, INVOKE_FUNC, NULL, 1, { BSTR_IN("bstrContextData") } },
    { "OnSendError", 111, INVOKE_FUNC, NULL, 1, { LONG_IN("hr") } },
};

/* §8.3 */
static const struct func_info private_event_funcs[] = {
    { "OnLockChallenge", 145, INVOKE_FUNC, NULL, 2, { LONG_IN("lCookie"), BSTR_IN("bstrChallenge") } },
    { "OnLockResult", 146, INVOKE_FUNC, NULL, 2, { LONG_IN("lCookie"), BOOL_IN("fSucceed") } },
    { "OnLockEnable", 147, INVOKE_FUNC, NULL, 1, { BOOL_IN("fEnable") } },
    { "OnLockStatusChanged", 0x3000, INVOKE_FUNC, NULL, 1, { { "eStatus", VT_USERDEFINED, "LockStatus", P_IN } } },
    { "OnAlertReceived", 0x410, INVOKE_FUNC, NULL, 2, { BSTR_IN("bstrAlert"), BOOL_INOUT("pBoolfEnableDefault") } },
    { "OnContactListAdd", 0x402, INVOKE_FUNC, NULL, 2, { LONG_IN("hr"), DISP_IN("pMContact") } },
};

#define FUNCS(a) (int)(sizeof(a) / sizeof((a)[0])), a

static const struct iface_info session_manager_info = {
    "IMsgrSessionManager", {0}, TKIND_INTERFACE, DUAL_FLAGS, "IDispatch", 7, FUNCS(session_manager_funcs) };
static const struct iface_info session_info = {
    "IMsgrSession", {0}, TKIND_INTERFACE, DUAL_FLAGS, "IDispatch", 7, FUNCS(session_funcs) };
static const struct iface_info lock_info = {
    "IMsgrLock", {0}, TKIND_INTERFACE, TYPEFLAG_FOLEAUTOMATION, "IUnknown", 3, FUNCS(lock_funcs) };
static const struct iface_info messenger_private_info = {
    "IMessengerPrivate", {0}, TKIND_INTERFACE, DUAL_FLAGS, "IDispatch", 7, FUNCS(messenger_private_funcs) };
static const struct iface_info manager_events_info = {
    "DMsgrSessionManagerEvents", {0}, TKIND_DISPATCH, TYPEFLAG_FDISPATCHABLE, "IDispatch", 0,
    FUNCS(manager_event_funcs) };
static const struct iface_info session_events_info = {
    "DMsgrSessionEvents", {0}, TKIND_DISPATCH, TYPEFLAG_FDISPATCHABLE, "IDispatch", 0, FUNCS(session_event_funcs) };
static const struct iface_info private_events_info = {
    "DMessengerPrivateEvents", {0}, TKIND_DISPATCH, TYPEFLAG_FDISPATCHABLE, "IDispatch", 0,
    FUNCS(private_event_funcs) };

/* Coclasses (§1, §2, §16). */
struct impl_info { const char *name; const GUID *iid; int flags; };
struct coclass_info {
    const char *name;
    const GUID *clsid;
    WORD flags;
    const char *help;
    int nimpl;
    struct impl_info impl[3];
};

static const struct coclass_info coclasses[] = {
    { "MsgrSessionManager", &clsid_session_manager, TYPEFLAG_FCANCREATE, "Messenger Session Manager Object", 3,
      { { "IMsgrSessionManager", &iid_session_manager, IMPLTYPEFLAG_FDEFAULT },
        { "IMsgrLock", &iid_lock, 0 },
        { "DMsgrSessionManagerEvents", &diid_manager_events, IMPLTYPEFLAG_FDEFAULT | IMPLTYPEFLAG_FSOURCE } } },
    { "MsgrSession", &clsid_session, 0, NULL, 2,
      { { "IMsgrSession", &iid_session, IMPLTYPEFLAG_FDEFAULT },
        { "DMsgrSessionEvents", &diid_session_events, IMPLTYPEFLAG_FDEFAULT | IMPLTYPEFLAG_FSOURCE } } },
    { "MessengerPriv", &clsid_messenger_priv, TYPEFLAG_FCANCREATE, "Messenger Private Object", 3,
      { { "IMessengerPrivate", &iid_messenger_private, IMPLTYPEFLAG_FDEFAULT },
        { "IMsgrLock", &iid_lock, 0 },
        { "DMessengerPrivateEvents", &diid_private_events, IMPLTYPEFLAG_FDEFAULT | IMPLTYPEFLAG_FSOURCE } } },
};

/* Enumerations (§3): the alias name, the enum's own name where it is known, the members. */
struct enum_value { const char *name; LONG value; };
struct enum_info {
    const char *alias;
    const char *tag;            /* NULL: not part of the contract */
    int count;
    const struct enum_value *values;
};

static const struct enum_value session_state_values[] = {
    { "SS_UNKNOWN", 0 }, { "SS_READY", 1 }, { "SS_INVITATION", 2 }, { "SS_ACCEPTED", 3 },
    { "SS_CONNECTED", 4 }, { "SS_CANCELLED", 5 }, { "SS_DECLINED", 6 }, { "SS_TERMINATED", 7 },
    { "SS_FALLBACK_INVITER", 8 }, { "SS_FALLBACK_INVITEE", 9 },
};
static const struct enum_value lock_status_values[] = {
    { "LOCK_NOTINITIALIZED", 1 }, { "LOCK_INITIALIZED", 2 }, { "LOCK_PENDINGRESULT", 3 },
    { "LOCK_UNLOCKED", 4 }, { "LOCK_UNLOCKFAILED", 5 }, { "LOCK_DISABLED", 6 },
};
static const struct enum_value session_flags_values[] = {
    { "SF_NONE", 0 }, { "SF_INVITER", 1 }, { "SF_INVITEE", 2 }, { "SF_APP_INVITE_COMPATIBLE", 4 },
};
#define HR(v) ((LONG)(ULONG)(v))
static const struct enum_value session_result_values[] = {
    { "SR_APPLICATION_LAUNCH_FAILED", HR(0x81000601) }, { "SR_INVITATION_DECLINED", HR(0x81000602) },
    { "SR_CONNECTION_FAILURE", HR(0x81000603) }, { "SR_AUTHENTICATION_FAILED", HR(0x81000604) },
    { "SR_SESSION_NOT_READY", HR(0x81000605) }, { "SR_SESSION_CANCELLED_LOCAL", HR(0x81000606) },
    { "SR_SESSION_CANCELLED_REMOTE", HR(0x81000607) }, { "SR_SESSION_PROTOCOL_ERROR", HR(0x81000608) },
    { "SR_SESSION_TIMEOUT", HR(0x81000609) }, { "SR_CANCEL_BEFORE_CONNECT", HR(0x8100060A) },
    { "SR_NOT_INVITEE", HR(0x8100060B) }, { "SR_NOT_INVITER", HR(0x8100060C) },
    { "SR_APP_ALREADY_REGISTERED", HR(0x8100060D) }, { "SR_APP_NOT_REGISTERED", HR(0x8100060E) },
    { "SR_NOT_VALID_FOR_APP_INVITE", HR(0x8100060F) }, { "SR_APP_NOT_SPECIFIED", HR(0x81000610) },
    { "SR_CONTEXT_DATA_OVER_LIMIT", HR(0x81000611) }, { "SR_NO_USER_INVITED", HR(0x81000612) },
    { "SR_INVITED_SELF", HR(0x81000613) }, { "SR_SESSION_STATE_INVALID", HR(0x81000614) },
    { "SR_INVITATION_SEND_FAILURE", HR(0x81000615) }, { "SR_CANCEL_SEND_FAILURE", HR(0x81000616) },
    { "SR_DECLINE_SEND_FAILURE", HR(0x81000617) }, { "SR_ACCEPT_SEND_FAILURE", HR(0x81000618) },
    { "SR_CONTEXT_DATA_SEND_FAILURE", HR(0x81000619) }, { "SR_NETWORK_CONFIG_FAILURE", HR(0x81000620) },
    { "SR_NET_NOT_SUPPORTED", HR(0x81000621) }, { "SR_REMOTE_NET_NOT_SUPPORTED", HR(0x81000622) },
    { "SR_FIREWALL_NOT_SUPPORTED", HR(0x81000623) }, { "SR_OLD_SIP_STACK", HR(0x81000624) },
};
static const struct enum_value lock_error_values[] = {
    { "MSGR_E_API_NOTINITIALIZED", HR(0x81000751) }, { "MSGR_E_API_LOCKED", HR(0x81000752) },
    { "MSGR_E_API_UNLOCK_FAILED", HR(0x81000753) }, { "MSGR_E_API_ALREADY_UNLOCKED", HR(0x81000754) },
    { "MSGR_E_API_PENDING_UNLOCK", HR(0x81000755) }, { "MSGR_E_API_DISABLED", HR(0x81000756) },
};
static const struct enum_value msgr_error_values[] = {
    { "MSGR_E_CONNECT", HR(0x81000301) }, { "MSGR_E_AI_REJECT", HR(0x81000308) },
    { "MSGR_E_AI_REJECT_NOT_INST", HR(0x81000309) }, { "MSGR_E_USER_NOT_FOUND", HR(0x8100030A) },
    { "MSGR_E_AI_TIMEOUT", HR(0x81000311) }, { "MSGR_E_NOT_LOGGED_ON", HR(0x8100031E) },
};

#define VALUES(a) (int)(sizeof(a) / sizeof((a)[0])), a
static const struct enum_info session_state_enum = {
    "SESSION_STATE", "__MIDL___MIDL_itf_msgrpriv_0000_0001", VALUES(session_state_values) };
static const struct enum_info lock_status_enum = {
    "LockStatus", "__MIDL___MIDL_itf_msgrpriv_0000_0005", VALUES(lock_status_values) };
static const struct enum_info session_flags_enum = { "SESSION_FLAGS", NULL, VALUES(session_flags_values) };
static const struct enum_info session_result_enum = { "SESSION_RESULT", NULL, VALUES(session_result_values) };
static const struct enum_info lock_error_enum = { "LockError", NULL, VALUES(lock_error_values) };
static const struct enum_info msgr_error_enum = { "MsgrError", NULL, VALUES(msgr_error_values) };

/* Every type info the library holds: 4 interfaces, 3 dispinterfaces, 3 coclasses and 6
 * enumerations (each an alias plus its enum). */
#define EXPECTED_TYPEINFO_COUNT 22

/* ---- helpers -------------------------------------------------------------------------------- */

#define CHECK_HR(ctx, what, hr) do { \
    HRESULT hr_ = (hr); \
    if (FAILED(hr_)) { print_error("%s: %s failed, 0x%08lx\n", ctx, what, (unsigned long)hr_); fail(); } \
} while (0)

#define CHECK_EQ(ctx, what, got, expected) do { \
    long got_ = (long)(got), exp_ = (long)(expected); \
    if (got_ != exp_) { \
        print_error("%s: %s is %ld (0x%lx), expected %ld (0x%lx)\n", ctx, what, got_, \
                    (unsigned long)got_, exp_, (unsigned long)exp_); \
        fail(); \
    } \
} while (0)

#define CHECK_STR(ctx, what, got, expected) do { \
    const char *got_ = (got), *exp_ = (expected); \
    if (strcmp(got_, exp_)) { \
        print_error("%s: %s is \"%s\", expected \"%s\"\n", ctx, what, got_, exp_); \
        fail(); \
    } \
} while (0)

/* A BSTR as UTF-8 in buf ("" for NULL). */
static const char *utf8(BSTR s, char *buf, int size)
{
    buf[0] = 0;
    if (s) WideCharToMultiByte(CP_UTF8, 0, s, -1, buf, size, NULL, NULL);
    return buf;
}

static const char *guid_str(const GUID *g, char *buf, int size)
{
    snprintf(buf, size, "{%08lX-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", (unsigned long)g->Data1,
             g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4],
             g->Data4[5], g->Data4[6], g->Data4[7]);
    return buf;
}

static void check_guid(const char *ctx, const char *what, const GUID *got, const GUID *expected)
{
    char a[40], b[40];

    if (!IsEqualGUID(got, expected))
    {
        print_error("%s: %s is %s, expected %s\n", ctx, what, guid_str(got, a, sizeof(a)),
                    guid_str(expected, b, sizeof(b)));
        fail();
    }
}

/* Name and helpstring of a member (MEMBERID_NIL: of the type itself). */
static void check_doc(const char *ctx, ITypeInfo *ti, MEMBERID id, const char *name, const char *help)
{
    BSTR got_name = NULL, got_help = NULL;
    char buf[512];

    CHECK_HR(ctx, "GetDocumentation", ITypeInfo_GetDocumentation(ti, id, &got_name, &got_help, NULL, NULL));
    if (name) CHECK_STR(ctx, "name", utf8(got_name, buf, sizeof(buf)), name);
    CHECK_STR(ctx, "helpstring", utf8(got_help, buf, sizeof(buf)), help ? help : "");
    SysFreeString(got_name);
    SysFreeString(got_help);
}

static void type_name(ITypeInfo *ti, char *buf, int size)
{
    BSTR name = NULL;

    assert_true(SUCCEEDED(ITypeInfo_GetDocumentation(ti, MEMBERID_NIL, &name, NULL, NULL, NULL)));
    utf8(name, buf, size);
    SysFreeString(name);
}

/* The VARTYPE a late-bound caller uses for a parameter of this type; *udt gets the name of a
 * VT_USERDEFINED type.  VT_ILLEGAL for shapes this API does not have. */
static VARTYPE param_vt(ITypeInfo *ti, const TYPEDESC *td, char *udt, int size)
{
    VARTYPE byref = 0;
    ITypeInfo *ref;

    udt[0] = 0;
    if (td->vt == VT_PTR)
    {
        byref = VT_BYREF;
        td = td->lptdesc;
    }
    switch (td->vt)
    {
    case VT_PTR:
        return VT_ILLEGAL;
    case VT_SAFEARRAY:
        return byref | VT_ARRAY | td->lptdesc->vt;
    case VT_USERDEFINED:
        if (FAILED(ITypeInfo_GetRefTypeInfo(ti, td->hreftype, &ref))) return VT_ILLEGAL;
        type_name(ref, udt, size);
        ITypeInfo_Release(ref);
        return byref | VT_USERDEFINED;
    default:
        return byref | td->vt;
    }
}

static void check_param(const char *ctx, ITypeInfo *ti, const ELEMDESC *ed, const struct param_info *p)
{
    char udt[256];
    VARTYPE vt = param_vt(ti, &ed->tdesc, udt, sizeof(udt));

    CHECK_EQ(ctx, "VARTYPE", vt, p->vt);
    if ((vt & ~VT_BYREF) == VT_USERDEFINED) CHECK_STR(ctx, "user-defined type", udt, p->udt);
    CHECK_EQ(ctx, "PARAMFLAGs", ed->paramdesc.wParamFlags & (PARAMFLAG_FIN | PARAMFLAG_FOUT | PARAMFLAG_FRETVAL),
             p->flags);
}

/* Parameter names, where a member id names exactly this function: the first of a get/put pair
 * answers GetNames for both, and a property put's value has no name in a type library. */
static void check_param_names(const char *ctx, ITypeInfo *ti, MEMBERID memid, const struct func_info *f,
                              int nparams, int first_with_id)
{
    BSTR names[8] = {0};
    UINT count = 0, i;
    char buf[256], what[64];

    if (!first_with_id || f->invkind == INVOKE_PROPERTYPUT) return;
    CHECK_HR(ctx, "GetNames", ITypeInfo_GetNames(ti, memid, names, 8, &count));
    CHECK_STR(ctx, "GetNames()[0]", utf8(names[0], buf, sizeof(buf)), f->name);
    for (i = 0; i < (UINT)nparams; i++)
    {
        if (!f->params[i].name) continue;
        snprintf(what, sizeof(what), "name of parameter %u", i + 1);
        CHECK_STR(ctx, what, i + 1 < count ? utf8(names[i + 1], buf, sizeof(buf)) : "(none)", f->params[i].name);
    }
    for (i = 0; i < count; i++) SysFreeString(names[i]);
}

static int first_with_id(const struct iface_info *info, int index)
{
    int i;

    if (info->funcs[index].memid == NO_ID) return 1;
    for (i = 0; i < index; i++)
        if (info->funcs[i].memid == info->funcs[index].memid) return 0;
    return 1;
}

static ITypeInfo *typeinfo_of(ITypeLib *tl, const char *ctx, const GUID *guid)
{
    ITypeInfo *ti = NULL;

    CHECK_HR(ctx, "GetTypeInfoOfGuid", ITypeLib_GetTypeInfoOfGuid(tl, guid, &ti));
    return ti;
}

static void check_base(const char *ctx, ITypeInfo *ti, const char *base)
{
    HREFTYPE href;
    ITypeInfo *ref;
    TYPEATTR *attr;
    char buf[256];

    CHECK_HR(ctx, "GetRefTypeOfImplType(0)", ITypeInfo_GetRefTypeOfImplType(ti, 0, &href));
    CHECK_HR(ctx, "GetRefTypeInfo(base)", ITypeInfo_GetRefTypeInfo(ti, href, &ref));
    type_name(ref, buf, sizeof(buf));
    CHECK_STR(ctx, "base interface", buf, base);
    CHECK_HR(ctx, "GetTypeAttr(base)", ITypeInfo_GetTypeAttr(ref, &attr));
    check_guid(ctx, "base interface IID", &attr->guid, strcmp(base, "IDispatch") ? &iid_iunknown : &iid_idispatch);
    ITypeInfo_ReleaseTypeAttr(ref, attr);
    ITypeInfo_Release(ref);
}

/* The vtable view of an interface: slots, member ids, kinds, parameters. */
static void check_vtable_half(const char *ctx0, ITypeInfo *ti, const struct iface_info *info)
{
    TYPEATTR *attr;
    char ctx[256];
    int i, j;

    CHECK_HR(ctx0, "GetTypeAttr", ITypeInfo_GetTypeAttr(ti, &attr));
    CHECK_EQ(ctx0, "typekind of the vtable half", attr->typekind, TKIND_INTERFACE);
    CHECK_EQ(ctx0, "type flags of the vtable half", attr->wTypeFlags, info->flags);
    CHECK_EQ(ctx0, "number of members", attr->cFuncs, info->nfuncs);
    CHECK_EQ(ctx0, "cImplTypes", attr->cImplTypes, 1);
    CHECK_EQ(ctx0, "vtable size", attr->cbSizeVft, (info->first_slot + info->nfuncs) * (int)sizeof(void *));
    ITypeInfo_ReleaseTypeAttr(ti, attr);
    check_base(ctx0, ti, info->base);

    for (i = 0; i < info->nfuncs; i++)
    {
        const struct func_info *f = &info->funcs[i];
        FUNCDESC *fd;

        snprintf(ctx, sizeof(ctx), "%s: vtable slot %d (%s)", ctx0, info->first_slot + i, f->name);
        CHECK_HR(ctx, "GetFuncDesc", ITypeInfo_GetFuncDesc(ti, i, &fd));
        check_doc(ctx, ti, fd->memid, f->name, f->help);
        if (f->memid != NO_ID) CHECK_EQ(ctx, "member id", fd->memid, f->memid);
        CHECK_EQ(ctx, "invoke kind", fd->invkind, f->invkind);
        CHECK_EQ(ctx, "func kind", fd->funckind, FUNC_PUREVIRTUAL);
        CHECK_EQ(ctx, "calling convention", fd->callconv, CC_STDCALL);
        CHECK_EQ(ctx, "vtable offset", fd->oVft, (info->first_slot + i) * (int)sizeof(void *));
        CHECK_EQ(ctx, "return type", fd->elemdescFunc.tdesc.vt, VT_HRESULT);
        CHECK_EQ(ctx, "parameter count", fd->cParams, f->nparams);
        for (j = 0; j < f->nparams; j++)
        {
            char pctx[320];
            snprintf(pctx, sizeof(pctx), "%s, parameter %d", ctx, j + 1);
            check_param(pctx, ti, &fd->lprgelemdescParam[j], &f->params[j]);
        }
        check_param_names(ctx, ti, fd->memid, f, f->nparams, first_with_id(info, i));
        ITypeInfo_ReleaseFuncDesc(ti, fd);
    }
}

/* The dispatch view (a dispinterface, or the dispatch half of a dual interface): the members in
 * order with their DISPIDs, and GetIDsOfNames, which is what late-bound callers use. */
static void check_dispatch_view(const char *ctx0, ITypeInfo *ti, const struct iface_info *info, int dual)
{
    TYPEATTR *attr;
    char ctx[256];
    int i, j, n = 0, count;

    CHECK_HR(ctx0, "GetTypeAttr", ITypeInfo_GetTypeAttr(ti, &attr));
    CHECK_EQ(ctx0, "typekind of the dispatch view", attr->typekind, TKIND_DISPATCH);
    CHECK_EQ(ctx0, "type flags of the dispatch view", attr->wTypeFlags,
             dual ? TYPEFLAG_FDUAL | TYPEFLAG_FDISPATCHABLE : TYPEFLAG_FDISPATCHABLE);
    CHECK_EQ(ctx0, "cImplTypes", attr->cImplTypes, 1);
    CHECK_EQ(ctx0, "vtable size (IDispatch)", attr->cbSizeVft, 7 * (int)sizeof(void *));
    count = attr->cFuncs;
    ITypeInfo_ReleaseTypeAttr(ti, attr);
    check_base(ctx0, ti, "IDispatch");

    for (i = 0; i < count; i++)
    {
        const struct func_info *f;
        FUNCDESC *fd;
        int nparams, has_retval;
        OLECHAR wname[64];
        LPOLESTR names[1] = { wname };
        MEMBERID id;

        CHECK_HR(ctx0, "GetFuncDesc", ITypeInfo_GetFuncDesc(ti, i, &fd));
        /* IUnknown's and IDispatch's own members (restricted) come along in the dispatch half. */
        if (fd->wFuncFlags & FUNCFLAG_FRESTRICTED)
        {
            ITypeInfo_ReleaseFuncDesc(ti, fd);
            continue;
        }
        if (n >= info->nfuncs)
        {
            print_error("%s: more members than the %d expected\n", ctx0, info->nfuncs);
            fail();
        }
        f = &info->funcs[n++];
        snprintf(ctx, sizeof(ctx), "%s: dispatch member %d (%s)", ctx0, n, f->name);
        check_doc(ctx, ti, fd->memid, f->name, f->help);
        CHECK_EQ(ctx, "DISPID", fd->memid, f->memid);
        CHECK_EQ(ctx, "invoke kind", fd->invkind, f->invkind);
        CHECK_EQ(ctx, "func kind", fd->funckind, FUNC_DISPATCH);
        has_retval = f->nparams && (f->params[f->nparams - 1].flags & PARAMFLAG_FRETVAL);
        nparams = f->nparams - has_retval;
        CHECK_EQ(ctx, "parameter count", fd->cParams, nparams);
        if (has_retval)
        {
            char udt[256];
            const struct param_info *r = &f->params[f->nparams - 1];
            VARTYPE vt = param_vt(ti, &fd->elemdescFunc.tdesc, udt, sizeof(udt));

            CHECK_EQ(ctx, "return type (the retval)", vt, r->vt & ~VT_BYREF);
            if (vt == VT_USERDEFINED) CHECK_STR(ctx, "return type name", udt, r->udt);
        }
        else
            CHECK_EQ(ctx, "return type", fd->elemdescFunc.tdesc.vt, VT_VOID);
        for (j = 0; j < nparams; j++)
        {
            char pctx[320];
            snprintf(pctx, sizeof(pctx), "%s, parameter %d", ctx, j + 1);
            check_param(pctx, ti, &fd->lprgelemdescParam[j], &f->params[j]);
        }
        if (!dual) check_param_names(ctx, ti, fd->memid, f, nparams, first_with_id(info, n - 1));
        ITypeInfo_ReleaseFuncDesc(ti, fd);

        MultiByteToWideChar(CP_UTF8, 0, f->name, -1, wname, 64);
        CHECK_HR(ctx, "GetIDsOfNames", ITypeInfo_GetIDsOfNames(ti, names, 1, &id));
        CHECK_EQ(ctx, "GetIDsOfNames", id, f->memid);
    }
    CHECK_EQ(ctx0, "number of dispatch members", n, info->nfuncs);
}

static void check_interface(ITypeLib *tl, const struct iface_info *info, const GUID *iid)
{
    const char *ctx = info->name;
    ITypeInfo *ti = typeinfo_of(tl, ctx, iid), *vt_half;
    TYPEATTR *attr;
    HREFTYPE href;

    check_doc(ctx, ti, MEMBERID_NIL, info->name, NULL);
    CHECK_HR(ctx, "GetTypeAttr", ITypeInfo_GetTypeAttr(ti, &attr));
    check_guid(ctx, "GUID", &attr->guid, iid);
    ITypeInfo_ReleaseTypeAttr(ti, attr);

    if (info->kind == TKIND_DISPATCH)
        check_dispatch_view(ctx, ti, info, 0);
    else if (info->flags & TYPEFLAG_FDUAL)
    {
        /* A dual interface comes as its dispatch half; impl type -1 leads to the vtable half. */
        check_dispatch_view(ctx, ti, info, 1);
        CHECK_HR(ctx, "GetRefTypeOfImplType(-1)", ITypeInfo_GetRefTypeOfImplType(ti, -1, &href));
        CHECK_HR(ctx, "GetRefTypeInfo(vtable half)", ITypeInfo_GetRefTypeInfo(ti, href, &vt_half));
        check_vtable_half(ctx, vt_half, info);
        ITypeInfo_Release(vt_half);
    }
    else
        check_vtable_half(ctx, ti, info);
    ITypeInfo_Release(ti);
}

static ITypeInfo *find_type(ITypeLib *tl, const char *name)
{
    UINT i, n = ITypeLib_GetTypeInfoCount(tl);
    ITypeInfo *ti;
    char buf[256];

    for (i = 0; i < n; i++)
    {
        if (FAILED(ITypeLib_GetTypeInfo(tl, i, &ti))) continue;
        type_name(ti, buf, sizeof(buf));
        if (!strcmp(buf, name)) return ti;
        ITypeInfo_Release(ti);
    }
    return NULL;
}

static void check_enum(ITypeLib *tl, const struct enum_info *info)
{
    const char *ctx = info->alias;
    ITypeInfo *alias = find_type(tl, info->alias), *ti;
    TYPEATTR *attr;
    char buf[256], what[64], vctx[300];
    int i;

    if (!alias)
    {
        print_error("%s: no such type in the library\n", ctx);
        fail();
    }
    CHECK_HR(ctx, "GetTypeAttr", ITypeInfo_GetTypeAttr(alias, &attr));
    CHECK_EQ(ctx, "typekind", attr->typekind, TKIND_ALIAS);
    CHECK_EQ(ctx, "aliased VARTYPE", attr->tdescAlias.vt, VT_USERDEFINED);
    CHECK_HR(ctx, "GetRefTypeInfo(enum)", ITypeInfo_GetRefTypeInfo(alias, attr->tdescAlias.hreftype, &ti));
    ITypeInfo_ReleaseTypeAttr(alias, attr);
    ITypeInfo_Release(alias);

    type_name(ti, buf, sizeof(buf));
    if (info->tag) CHECK_STR(ctx, "name of the aliased enum", buf, info->tag);
    CHECK_HR(ctx, "GetTypeAttr(enum)", ITypeInfo_GetTypeAttr(ti, &attr));
    CHECK_EQ(ctx, "typekind of the aliased type", attr->typekind, TKIND_ENUM);
    CHECK_EQ(ctx, "number of values", attr->cVars, info->count);
    ITypeInfo_ReleaseTypeAttr(ti, attr);

    for (i = 0; i < info->count; i++)
    {
        VARDESC *vd;
        BSTR name = NULL;
        UINT n;

        snprintf(vctx, sizeof(vctx), "%s: value %d (%s)", ctx, i, info->values[i].name);
        CHECK_HR(vctx, "GetVarDesc", ITypeInfo_GetVarDesc(ti, i, &vd));
        CHECK_HR(vctx, "GetNames", ITypeInfo_GetNames(ti, vd->memid, &name, 1, &n));
        CHECK_STR(vctx, "name", utf8(name, buf, sizeof(buf)), info->values[i].name);
        SysFreeString(name);
        CHECK_EQ(vctx, "var kind", vd->varkind, VAR_CONST);
        snprintf(what, sizeof(what), "VARTYPE of the value");
        CHECK_EQ(vctx, what, V_VT(vd->lpvarValue), VT_I4);
        CHECK_EQ(vctx, "value", V_I4(vd->lpvarValue), info->values[i].value);
        ITypeInfo_ReleaseVarDesc(ti, vd);
    }
    ITypeInfo_Release(ti);
}

/* ---- the tests ------------------------------------------------------------------------------ */

static void test_library(void **state)
{
    ITypeLib *tl = *state;
    TLIBATTR *attr;
    BSTR name = NULL, help = NULL;
    char buf[256];

    CHECK_HR("library", "GetLibAttr", ITypeLib_GetLibAttr(tl, &attr));
    check_guid("library", "LIBID", &attr->guid, &libid);
    CHECK_EQ("library", "major version", attr->wMajorVerNum, 1);
    CHECK_EQ("library", "minor version", attr->wMinorVerNum, 0);
    CHECK_EQ("library", "lcid", attr->lcid, 0);
    CHECK_EQ("library", "syskind", attr->syskind, sizeof(void *) == 8 ? SYS_WIN64 : SYS_WIN32);
    ITypeLib_ReleaseTLibAttr(tl, attr);

    CHECK_HR("library", "GetDocumentation", ITypeLib_GetDocumentation(tl, MEMBERID_NIL, &name, &help, NULL, NULL));
    CHECK_STR("library", "name", utf8(name, buf, sizeof(buf)), "MessengerPrivate");
    CHECK_STR("library", "helpstring", utf8(help, buf, sizeof(buf)), "Messenger Private Type Library");
    SysFreeString(name);
    SysFreeString(help);
}

/* Every GUID-carrying type: present, the right kind, the right flags; and nothing extra. */
static void test_types(void **state)
{
    static const struct { const char *name; const GUID *guid; TYPEKIND kind; WORD flags; } types[] = {
        { "IMsgrSessionManager", &iid_session_manager, TKIND_DISPATCH, TYPEFLAG_FDUAL | TYPEFLAG_FDISPATCHABLE },
        { "IMsgrSession", &iid_session, TKIND_DISPATCH, TYPEFLAG_FDUAL | TYPEFLAG_FDISPATCHABLE },
        { "IMsgrLock", &iid_lock, TKIND_INTERFACE, TYPEFLAG_FOLEAUTOMATION },
        { "IMessengerPrivate", &iid_messenger_private, TKIND_DISPATCH, TYPEFLAG_FDUAL | TYPEFLAG_FDISPATCHABLE },
        { "DMsgrSessionManagerEvents", &diid_manager_events, TKIND_DISPATCH, TYPEFLAG_FDISPATCHABLE },
        { "DMsgrSessionEvents", &diid_session_events, TKIND_DISPATCH, TYPEFLAG_FDISPATCHABLE },
        { "DMessengerPrivateEvents", &diid_private_events, TKIND_DISPATCH, TYPEFLAG_FDISPATCHABLE },
        { "MsgrSessionManager", &clsid_session_manager, TKIND_COCLASS, TYPEFLAG_FCANCREATE },
        { "MsgrSession", &clsid_session, TKIND_COCLASS, 0 },
        { "MessengerPriv", &clsid_messenger_priv, TKIND_COCLASS, TYPEFLAG_FCANCREATE },
    };
    ITypeLib *tl = *state;
    unsigned i;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
    {
        ITypeInfo *ti = typeinfo_of(tl, types[i].name, types[i].guid);
        TYPEATTR *attr;
        char buf[256];

        type_name(ti, buf, sizeof(buf));
        CHECK_STR(types[i].name, "name", buf, types[i].name);
        CHECK_HR(types[i].name, "GetTypeAttr", ITypeInfo_GetTypeAttr(ti, &attr));
        CHECK_EQ(types[i].name, "typekind", attr->typekind, types[i].kind);
        CHECK_EQ(types[i].name, "type flags", attr->wTypeFlags, types[i].flags);
        ITypeInfo_ReleaseTypeAttr(ti, attr);
        ITypeInfo_Release(ti);
    }
    CHECK_EQ("library", "number of type infos", ITypeLib_GetTypeInfoCount(tl), EXPECTED_TYPEINFO_COUNT);
}

static void test_IMsgrSessionManager(void **state) { check_interface(*state, &session_manager_info, &iid_session_manager); }
static void test_IMsgrSession(void **state) { check_interface(*state, &session_info, &iid_session); }
static void test_IMsgrLock(void **state) { check_interface(*state, &lock_info, &iid_lock); }
static void test_IMessengerPrivate(void **state)
{
    check_interface(*state, &messenger_private_info, &iid_messenger_private);
}
static void test_DMsgrSessionManagerEvents(void **state)
{
    check_interface(*state, &manager_events_info, &diid_manager_events);
}
static void test_DMsgrSessionEvents(void **state) { check_interface(*state, &session_events_info, &diid_session_events); }
static void test_DMessengerPrivateEvents(void **state)
{
    check_interface(*state, &private_events_info, &diid_private_events);
}

/* The one ordering quirk that is easy to "fix" by accident: vtable slot 21 is put_LocalAddress,
 * slot 22 get_LocalAddress (while Application is get 7, put 8). */
static void test_IMsgrSession_property_order(void **state)
{
    static const struct { int slot; INVOKEKIND kind; const char *name; } slots[] = {
        { 7, INVOKE_PROPERTYGET, "Application" }, { 8, INVOKE_PROPERTYPUT, "Application" },
        { 21, INVOKE_PROPERTYPUT, "LocalAddress" }, { 22, INVOKE_PROPERTYGET, "LocalAddress" },
    };
    ITypeInfo *ti = typeinfo_of(*state, "IMsgrSession", &iid_session), *vt_half;
    HREFTYPE href;
    unsigned i;

    CHECK_HR("IMsgrSession", "GetRefTypeOfImplType(-1)", ITypeInfo_GetRefTypeOfImplType(ti, -1, &href));
    CHECK_HR("IMsgrSession", "GetRefTypeInfo", ITypeInfo_GetRefTypeInfo(ti, href, &vt_half));
    for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
    {
        FUNCDESC *fd;
        BSTR name = NULL;
        char ctx[64], buf[64];

        snprintf(ctx, sizeof(ctx), "IMsgrSession vtable slot %d", slots[i].slot);
        CHECK_HR(ctx, "GetFuncDesc", ITypeInfo_GetFuncDesc(vt_half, slots[i].slot - 7, &fd));
        CHECK_EQ(ctx, "vtable offset", fd->oVft, slots[i].slot * (int)sizeof(void *));
        CHECK_EQ(ctx, "invoke kind (2 get, 4 put)", fd->invkind, slots[i].kind);
        CHECK_HR(ctx, "GetDocumentation", ITypeInfo_GetDocumentation(vt_half, fd->memid, &name, NULL, NULL, NULL));
        CHECK_STR(ctx, "name", utf8(name, buf, sizeof(buf)), slots[i].name);
        SysFreeString(name);
        ITypeInfo_ReleaseFuncDesc(vt_half, fd);
    }
    ITypeInfo_Release(vt_half);
    ITypeInfo_Release(ti);
}

static void test_coclasses(void **state)
{
    ITypeLib *tl = *state;
    unsigned c;
    int i;

    for (c = 0; c < sizeof(coclasses) / sizeof(coclasses[0]); c++)
    {
        const struct coclass_info *info = &coclasses[c];
        const char *ctx = info->name;
        ITypeInfo *ti = typeinfo_of(tl, ctx, info->clsid);
        TYPEATTR *attr;

        check_doc(ctx, ti, MEMBERID_NIL, info->name, info->help);
        CHECK_HR(ctx, "GetTypeAttr", ITypeInfo_GetTypeAttr(ti, &attr));
        CHECK_EQ(ctx, "typekind", attr->typekind, TKIND_COCLASS);
        CHECK_EQ(ctx, "type flags", attr->wTypeFlags, info->flags);
        CHECK_EQ(ctx, "number of interfaces", attr->cImplTypes, info->nimpl);
        ITypeInfo_ReleaseTypeAttr(ti, attr);

        for (i = 0; i < info->nimpl; i++)
        {
            HREFTYPE href;
            ITypeInfo *ref;
            TYPEATTR *ref_attr;
            INT flags;
            char ictx[128], buf[256];

            snprintf(ictx, sizeof(ictx), "%s: interface %d (%s)", ctx, i, info->impl[i].name);
            CHECK_HR(ictx, "GetRefTypeOfImplType", ITypeInfo_GetRefTypeOfImplType(ti, i, &href));
            CHECK_HR(ictx, "GetRefTypeInfo", ITypeInfo_GetRefTypeInfo(ti, href, &ref));
            type_name(ref, buf, sizeof(buf));
            CHECK_STR(ictx, "name", buf, info->impl[i].name);
            CHECK_HR(ictx, "GetTypeAttr", ITypeInfo_GetTypeAttr(ref, &ref_attr));
            check_guid(ictx, "IID", &ref_attr->guid, info->impl[i].iid);
            ITypeInfo_ReleaseTypeAttr(ref, ref_attr);
            ITypeInfo_Release(ref);
            CHECK_HR(ictx, "GetImplTypeFlags", ITypeInfo_GetImplTypeFlags(ti, i, &flags));
            CHECK_EQ(ictx, "IMPLTYPEFLAGs (1 default, 2 source)", flags, info->impl[i].flags);
        }
        ITypeInfo_Release(ti);
    }
}

static void test_enum_SESSION_STATE(void **state) { check_enum(*state, &session_state_enum); }
static void test_enum_LockStatus(void **state) { check_enum(*state, &lock_status_enum); }
static void test_enum_SESSION_FLAGS(void **state) { check_enum(*state, &session_flags_enum); }
static void test_enum_SESSION_RESULT(void **state) { check_enum(*state, &session_result_enum); }
static void test_enum_LockError(void **state) { check_enum(*state, &lock_error_enum); }
static void test_enum_MsgrError(void **state) { check_enum(*state, &msgr_error_enum); }

/* ---- setup and main ------------------------------------------------------------------------- */

static WCHAR dll_path[MAX_PATH], tlb_path[MAX_PATH];

static int load(const WCHAR *path, void **state)
{
    ITypeLib *tl = NULL;
    HRESULT hr = LoadTypeLibEx(path, REGKIND_NONE, &tl);

    if (FAILED(hr))
    {
        print_error("LoadTypeLibEx(%ls) failed, 0x%08lx\n", path, (unsigned long)hr);
        return -1;
    }
    *state = tl;
    return 0;
}

static int setup_dll(void **state) { return load(dll_path, state); }
static int setup_tlb(void **state) { return load(tlb_path, state); }

static int teardown(void **state)
{
    if (*state) ITypeLib_Release((ITypeLib *)*state);
    *state = NULL;
    return 0;
}

/* path = argument made absolute, or the default relative to this program's directory. */
static int resolve(WCHAR *path, const char *arg, const WCHAR *fallback)
{
    WCHAR buf[MAX_PATH], *slash;

    if (arg)
        MultiByteToWideChar(CP_ACP, 0, arg, -1, buf, MAX_PATH);
    else
    {
        if (!GetModuleFileNameW(NULL, buf, MAX_PATH)) return -1;
        if ((slash = wcsrchr(buf, '\\'))) slash[1] = 0;
        if (wcslen(buf) + wcslen(fallback) >= MAX_PATH) return -1;
        wcscat(buf, fallback);
    }
    return GetFullPathNameW(buf, MAX_PATH, path, NULL) && GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES ? 0 : -1;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_library),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_IMsgrSessionManager),
        cmocka_unit_test(test_IMsgrSession),
        cmocka_unit_test(test_IMsgrSession_property_order),
        cmocka_unit_test(test_IMsgrLock),
        cmocka_unit_test(test_IMessengerPrivate),
        cmocka_unit_test(test_DMsgrSessionManagerEvents),
        cmocka_unit_test(test_DMsgrSessionEvents),
        cmocka_unit_test(test_DMessengerPrivateEvents),
        cmocka_unit_test(test_coclasses),
        cmocka_unit_test(test_enum_SESSION_STATE),
        cmocka_unit_test(test_enum_LockStatus),
        cmocka_unit_test(test_enum_SESSION_FLAGS),
        cmocka_unit_test(test_enum_SESSION_RESULT),
        cmocka_unit_test(test_enum_LockError),
        cmocka_unit_test(test_enum_MsgrError),
    };
    int failed = 0;

    if (resolve(dll_path, argc > 1 ? argv[1] : NULL, L"..\\..\\src\\com\\msgsc.dll") ||
        resolve(tlb_path, argc > 2 ? argv[2] : NULL, L"..\\..\\include\\msgrpriv.tlb"))
    {
        fprintf(stderr, "usage: test_typelib [<msgsc.dll> [<msgrpriv.tlb>]] (a file was not found)\n");
        return 2;
    }
    failed += cmocka_run_group_tests_name("typelib embedded in msgsc.dll", tests, setup_dll, teardown);
    failed += cmocka_run_group_tests_name("msgrpriv.tlb", tests, setup_tlb, teardown);
    return failed;
}
