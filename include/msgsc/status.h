/* msgsc: result codes shared by the portable core, the transports and the COM layer.
 *
 * Values are the documented HRESULTs of the Messenger session API (docs/design.md, "Result codes").
 * The core names them MSC_<name>; the COM layer checks at compile time that each equals the
 * <name> the type library (idl/msgrpriv.idl) declares, so the two can never drift apart.
 *
 * Portable: no <windows.h>.
 */
#ifndef MSGSC_STATUS_H
#define MSGSC_STATUS_H

#include <stdint.h>

typedef int32_t msc_hr;

#define MSC_HR(v) ((msc_hr)(uint32_t)(v))
#define MSC_FAILED(hr) ((hr) < 0)

/* X(name, value, text a script user reads in IErrorInfo) */
#define MSC_STATUS_TABLE(X) \
    X(S_OK,                          0x00000000, "The operation succeeded.") \
    X(S_FALSE,                       0x00000001, "The value is not available yet.") \
    X(E_NOTIMPL,                     0x80004001, "This member is not implemented.") \
    X(E_POINTER,                     0x80004003, "A required pointer argument is NULL.") \
    X(E_FAIL,                        0x80004005, "The operation failed.") \
    X(E_OUTOFMEMORY,                 0x8007000E, "The value is too long, or memory ran out.") \
    X(E_INVALIDARG,                  0x80070057, "An argument is not valid.") \
    X(SR_APPLICATION_LAUNCH_FAILED,  0x81000601, "The application failed to start.") \
    X(SR_INVITATION_DECLINED,        0x81000602, "The invitation was declined by the recipient.") \
    X(SR_CONNECTION_FAILURE,         0x81000603, "The connection to the other party failed.") \
    X(SR_AUTHENTICATION_FAILED,      0x81000604, "Authentication failed.") \
    X(SR_SESSION_NOT_READY,          0x81000605, "The session is not ready: it has already been used for an invitation.") \
    X(SR_SESSION_CANCELLED_LOCAL,    0x81000606, "The session was cancelled locally.") \
    X(SR_SESSION_CANCELLED_REMOTE,   0x81000607, "The session was cancelled by the other party.") \
    X(SR_SESSION_PROTOCOL_ERROR,     0x81000608, "The other party sent a message that breaks the protocol.") \
    X(SR_SESSION_TIMEOUT,            0x81000609, "The invitation timed out.") \
    X(SR_CANCEL_BEFORE_CONNECT,      0x8100060A, "The session was cancelled before the connection was made.") \
    X(SR_NOT_INVITEE,                0x8100060B, "Only the invited party may do this.") \
    X(SR_NOT_INVITER,                0x8100060C, "Only the inviting party may do this.") \
    X(SR_APP_ALREADY_REGISTERED,     0x8100060D, "An application with this GUID is already registered.") \
    X(SR_APP_NOT_REGISTERED,         0x8100060E, "No application with this GUID is registered.") \
    X(SR_NOT_VALID_FOR_APP_INVITE,   0x8100060F, "Not valid for this kind of invitation.") \
    X(SR_APP_NOT_SPECIFIED,          0x81000610, "The session's Application has not been set.") \
    X(SR_CONTEXT_DATA_OVER_LIMIT,    0x81000611, "The data is over its limit (512 bytes of app data, 300 characters and 5 sends of context data).") \
    X(SR_NO_USER_INVITED,            0x81000612, "No user has been invited to this session.") \
    X(SR_INVITED_SELF,               0x81000613, "You cannot invite yourself.") \
    X(SR_SESSION_STATE_INVALID,      0x81000614, "The session is not in a state that allows this.") \
    X(SR_INVITATION_SEND_FAILURE,    0x81000615, "The invitation could not be sent.") \
    X(SR_CANCEL_SEND_FAILURE,        0x81000616, "The cancellation could not be sent.") \
    X(SR_DECLINE_SEND_FAILURE,       0x81000617, "The decline could not be sent.") \
    X(SR_ACCEPT_SEND_FAILURE,        0x81000618, "The acceptance could not be sent.") \
    X(SR_CONTEXT_DATA_SEND_FAILURE,  0x81000619, "The context data could not be sent.") \
    X(SR_NETWORK_CONFIG_FAILURE,     0x81000620, "A network configuration operation failed.") \
    X(SR_NET_NOT_SUPPORTED,          0x81000621, "The network is not supported.") \
    X(SR_REMOTE_NET_NOT_SUPPORTED,   0x81000622, "The other party's network is not supported.") \
    X(SR_FIREWALL_NOT_SUPPORTED,     0x81000623, "The firewall is not supported.") \
    X(SR_OLD_SIP_STACK,              0x81000624, "The SIP stack is out of date.") \
    X(MSGR_E_CONNECT,                0x81000301, "Could not connect to the service.") \
    X(MSGR_E_AI_REJECT,              0x81000308, "The application invitation was rejected.") \
    X(MSGR_E_AI_REJECT_NOT_INST,     0x81000309, "The invited user does not have the application installed.") \
    X(MSGR_E_USER_NOT_FOUND,         0x8100030A, "The user was not found.") \
    X(MSGR_E_AI_TIMEOUT,             0x81000311, "The application invitation timed out.") \
    X(MSGR_E_NOT_LOGGED_ON,          0x8100031E, "The invited user is not logged on.") \
    X(MSGR_E_API_NOTINITIALIZED,     0x81000751, "The restricted API is not initialized.") \
    X(MSGR_E_API_LOCKED,             0x81000752, "The API is locked.") \
    X(MSGR_E_API_UNLOCK_FAILED,      0x81000753, "The unlock attempt failed.") \
    X(MSGR_E_API_ALREADY_UNLOCKED,   0x81000754, "The API is already unlocked.") \
    X(MSGR_E_API_PENDING_UNLOCK,     0x81000755, "A challenge request is outstanding.") \
    X(MSGR_E_API_DISABLED,           0x81000756, "The API is disabled.")

enum msc_status {
#define MSC_STATUS_ENUM(name, value, text) MSC_##name = (int32_t)(uint32_t)value,
    MSC_STATUS_TABLE(MSC_STATUS_ENUM)
#undef MSC_STATUS_ENUM
};

/* The text for a code, or NULL when the code is not one of ours. */
const char *msc_status_text(msc_hr hr);
/* The symbolic name ("SR_SESSION_TIMEOUT"), or NULL. */
const char *msc_status_name(msc_hr hr);

#endif
