/* The one (role x state x action) table of the invitation engine.
 *
 * Every local call, peer message and timer is looked up here before anything happens.  A cell
 * either allows the action (with the next state, or none), refuses a local call with its
 * documented result code, ignores a peer message, or answers a message for an ended session with
 * BYE so the peer cannot keep a ghost session.  Cells not written below take the default of their
 * action: local calls are refused with default_refusal[], everything else is ignored.
 * docs/design.md draws the same table as a state diagram.
 */
#include "core_private.h"

enum cell_kind { DEFAULT, ALLOW, REFUSE, IGNORE, ANSWER_BYE };

struct cell {
    unsigned char kind;
    unsigned char next;
    msc_hr hr;
};

#define GO(st)      { ALLOW, st, 0 }
#define STAY        { ALLOW, MSC_SS_UNKNOWN, 0 }
#define NO(code)    { REFUSE, 0, MSC_##code }
#define BYE         { ANSWER_BYE, 0, 0 }

/* An inviter can never accept or decline its own invitation. */
#define INVITER_NEVER \
    [MSC_A_ACCEPT] = NO(SR_NOT_INVITEE), [MSC_A_DECLINE] = NO(SR_NOT_INVITEE)
/* An ended session answers messages that would keep it alive on the peer. */
#define ENDED_INVITER \
    INVITER_NEVER, [MSC_A_RX_ACCEPT] = BYE, [MSC_A_RX_CONTEXT] = BYE
#define ENDED_INVITEE \
    [MSC_A_RX_ACK] = BYE, [MSC_A_RX_CONTEXT] = BYE

static const struct cell table[MSC_ROLE_COUNT][MSC_STATE_COUNT][MSC_ACTION_COUNT] = {
    [MSC_ROLE_NONE] = {
        /* a new session: configure it, then invite */
        [MSC_SS_READY] = {
            [MSC_A_SET_APP] = STAY, [MSC_A_SET_ADDRESS] = STAY, [MSC_A_INVITE] = GO(MSC_SS_INVITATION),
        },
    },
    [MSC_ROLE_INVITER] = {
        [MSC_SS_INVITATION] = {
            INVITER_NEVER,
            [MSC_A_CANCEL] = GO(MSC_SS_CANCELLED),
            [MSC_A_RX_ACCEPT] = GO(MSC_SS_ACCEPTED),
            [MSC_A_RX_DECLINE] = GO(MSC_SS_DECLINED),
            [MSC_A_RX_NOT_INSTALLED] = GO(MSC_SS_DECLINED),
            [MSC_A_RX_CANCEL] = GO(MSC_SS_CANCELLED),
            [MSC_A_RX_TIMEOUT] = GO(MSC_SS_TERMINATED),
            [MSC_A_RX_BYE] = GO(MSC_SS_TERMINATED),
            [MSC_A_LIFETIME_EXPIRED] = GO(MSC_SS_TERMINATED),
            [MSC_A_FAILURE] = GO(MSC_SS_TERMINATED),
        },
        /* passed through while the ACK goes out */
        [MSC_SS_ACCEPTED] = {
            INVITER_NEVER,
            [MSC_A_CANCEL] = GO(MSC_SS_CANCELLED),
            [MSC_A_SEND_CONTEXT] = STAY,
            [MSC_A_RX_CANCEL] = GO(MSC_SS_CANCELLED),
            [MSC_A_RX_TIMEOUT] = GO(MSC_SS_TERMINATED),
            [MSC_A_RX_BYE] = GO(MSC_SS_TERMINATED),
            [MSC_A_RX_CONTEXT] = STAY,
            [MSC_A_ACK_SENT] = GO(MSC_SS_CONNECTED),
            [MSC_A_FAILURE] = GO(MSC_SS_TERMINATED),
        },
        [MSC_SS_CONNECTED] = {
            INVITER_NEVER,
            [MSC_A_CANCEL] = GO(MSC_SS_TERMINATED),
            [MSC_A_SEND_CONTEXT] = STAY,
            [MSC_A_RX_CANCEL] = GO(MSC_SS_TERMINATED),
            [MSC_A_RX_BYE] = GO(MSC_SS_TERMINATED),
            [MSC_A_RX_CONTEXT] = STAY,
            [MSC_A_FAILURE] = GO(MSC_SS_TERMINATED),
        },
        [MSC_SS_CANCELLED] = { ENDED_INVITER },
        [MSC_SS_DECLINED] = { ENDED_INVITER },
        [MSC_SS_TERMINATED] = { ENDED_INVITER },
    },
    [MSC_ROLE_INVITEE] = {
        [MSC_SS_INVITATION] = {
            [MSC_A_SET_ADDRESS] = STAY,
            [MSC_A_ACCEPT] = GO(MSC_SS_ACCEPTED),
            [MSC_A_DECLINE] = GO(MSC_SS_DECLINED),
            [MSC_A_CANCEL] = NO(SR_NOT_INVITER),
            [MSC_A_RX_CANCEL] = GO(MSC_SS_CANCELLED),
            [MSC_A_RX_TIMEOUT] = GO(MSC_SS_TERMINATED),
            [MSC_A_RX_BYE] = GO(MSC_SS_TERMINATED),
            [MSC_A_LIFETIME_EXPIRED] = GO(MSC_SS_TERMINATED),
            [MSC_A_FAILURE] = GO(MSC_SS_TERMINATED),
        },
        [MSC_SS_ACCEPTED] = {
            [MSC_A_CANCEL] = GO(MSC_SS_CANCELLED),
            [MSC_A_SEND_CONTEXT] = STAY,
            [MSC_A_RX_ACK] = GO(MSC_SS_CONNECTED),
            [MSC_A_RX_CANCEL] = GO(MSC_SS_CANCELLED),
            [MSC_A_RX_TIMEOUT] = GO(MSC_SS_TERMINATED),
            [MSC_A_RX_BYE] = GO(MSC_SS_TERMINATED),
            [MSC_A_RX_CONTEXT] = STAY,
            [MSC_A_ANSWER_EXPIRED] = GO(MSC_SS_TERMINATED),
            [MSC_A_FAILURE] = GO(MSC_SS_TERMINATED),
        },
        [MSC_SS_CONNECTED] = {
            [MSC_A_CANCEL] = GO(MSC_SS_TERMINATED),
            [MSC_A_SEND_CONTEXT] = STAY,
            [MSC_A_RX_CANCEL] = GO(MSC_SS_TERMINATED),
            [MSC_A_RX_BYE] = GO(MSC_SS_TERMINATED),
            [MSC_A_RX_CONTEXT] = STAY,
            [MSC_A_FAILURE] = GO(MSC_SS_TERMINATED),
        },
        [MSC_SS_CANCELLED] = { ENDED_INVITEE },
        [MSC_SS_DECLINED] = { ENDED_INVITEE },
        [MSC_SS_TERMINATED] = { ENDED_INVITEE },
    },
};

/* How a local call is refused where the table says nothing. */
static const msc_hr default_refusal[MSC_ACTION_COUNT] = {
    [MSC_A_SET_APP] = MSC_SR_SESSION_NOT_READY,
    [MSC_A_SET_ADDRESS] = MSC_SR_SESSION_STATE_INVALID,
    [MSC_A_INVITE] = MSC_SR_SESSION_NOT_READY,
    [MSC_A_ACCEPT] = MSC_SR_SESSION_STATE_INVALID,
    [MSC_A_DECLINE] = MSC_SR_SESSION_STATE_INVALID,
    [MSC_A_CANCEL] = MSC_SR_SESSION_STATE_INVALID,
    [MSC_A_SEND_CONTEXT] = MSC_SR_SESSION_STATE_INVALID,
};

msc_rule msc_table_lookup(msc_state state, msc_role role, msc_action action)
{
    msc_rule r = { MSC_IGNORE, MSC_SS_UNKNOWN, 0 };
    const struct cell *c;

    if ((unsigned)state >= MSC_STATE_COUNT || (unsigned)role >= MSC_ROLE_COUNT
        || (unsigned)action >= MSC_ACTION_COUNT)
        return r;
    c = &table[role][state][action];
    switch (c->kind) {
    case ALLOW:      r.verdict = MSC_ALLOW; r.next = (msc_state)c->next; break;
    case REFUSE:     r.verdict = MSC_REFUSE; r.hr = c->hr; break;
    case ANSWER_BYE: r.verdict = MSC_ANSWER_BYE; break;
    case IGNORE:     break;
    default:
        if (default_refusal[action]) {
            r.verdict = MSC_REFUSE;
            r.hr = default_refusal[action];
        }
        break;
    }
    return r;
}

const char *msc_action_name(msc_action a)
{
    static const char *const names[MSC_ACTION_COUNT] = {
        "SetApplication", "SetLocalAddress", "Invite", "Accept", "Decline", "Cancel",
        "SendContextData", "rx INVITE", "rx ACCEPT", "rx ACK", "rx CANCEL/REJECT",
        "rx CANCEL/REJECT_NOT_INSTALLED", "rx CANCEL", "rx CANCEL/TIMEOUT", "rx BYE",
        "rx CONTEXT", "ACK sent", "lifetime expired", "answer wait expired", "transport failure",
    };
    return (unsigned)a < MSC_ACTION_COUNT ? names[a] : "?";
}
