/* The per-user agent process: one SIP identity for every application of the user.
 *
 *   rundll32 msgsc.dll,AgentMain          run the agent for the configured identity
 *   rundll32 msgsc.dll,AgentMain stop     ask the running one to stop
 *   rundll32 msgsc.dll,AgentMain invite <contact> <{app GUID}> [app data]
 *                                         invite contact to a registered application, which the
 *                                         agent launches as the inviter (Messenger's own menu did)
 *
 * The first msgsc.dll that needs the network starts it (msgsc_agent_connect).  It owns the SIP
 * stack and runs the router (src/transport/agent/router.c) on one thread; applications reach it
 * over a loopback TCP link.  How they find it: a named mutex makes it one per identity, and a
 * file in the user's local application data (%LOCALAPPDATA%\msgsc\agent-<key>.txt) says its port
 * and a random token that every HELLO must carry, so only the user's own processes (who can read
 * the file) get in.  The platform services the router asks for live here: the application
 * registry, starting a registered application, the accept/decline prompt.  docs/agent.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "private.h"
#include "msgsc/agent.h"
#include "msgsc/sip_stack.h"
#include <ntsecapi.h>

#define WM_PROMPT_ANSWER (WM_APP + 20)
#define MAX_PROCS (MAXIMUM_WAIT_OBJECTS - 1)
#define MAX_PROMPTS 8

void msgsc_random(void *buf, size_t len)
{
    if (!RtlGenRandom(buf, (ULONG)len)) {        /* never expected; fall back to the clock */
        size_t i;
        ULONGLONG t = GetTickCount64() ^ (ULONGLONG)(ULONG_PTR)buf;
        for (i = 0; i < len; i++) ((unsigned char *)buf)[i] = (unsigned char)(t >> (8 * (i % 8)));
    }
}

static uint64_t now_ms(void *ctx) { return GetTickCount64(); }
static void random_bytes(void *ctx, void *buf, size_t len) { msgsc_random(buf, len); }

int msgsc_apps_lookup_utf8(msc_str guid, struct msgsc_app_utf8 *buf, msc_app_info *info)
{
    WCHAR wguid[MSC_GUID_CHARS + 1], name[MSC_MAX_NAME_CHARS + 1], url[MSC_MAX_URL_CHARS + 1];
    WCHAR path[MSC_MAX_PATH_CHARS + 1];

    if (guid.n != MSC_GUID_CHARS || !MultiByteToWideChar(CP_UTF8, 0, guid.p, (int)guid.n, wguid, MSC_GUID_CHARS))
        return 0;
    wguid[MSC_GUID_CHARS] = 0;
    if (!msgsc_apps_lookup(wguid, name, url, path)) return 0;
    msgsc_utf8_copy(name, buf->name, sizeof(buf->name));
    msgsc_utf8_copy(url, buf->url, sizeof(buf->url));
    msgsc_utf8_copy(path, buf->path, sizeof(buf->path));
    info->name = msc_cstr(buf->name);
    info->url = msc_cstr(buf->url);
    info->path = msc_cstr(buf->path);
    return 1;
}

/* ---- the SIP stack (the agent's, or an application's own with Agent=0) ------------------------ */
HRESULT msgsc_sip_start(struct msgsc_config *cfg, void (*notify)(void *), void (*wake)(void *), void *ctx,
                        msc_sip_stack **out)
{
    msc_sip_stack_config sc;
    msc_addr adv;
    uint16_t port = cfg->listen_port;
    char base[sizeof(cfg->identity)];
    int tries = cfg->port_given ? 1 : 20;
    msc_hr hr = MSC_SR_CONNECTION_FAILURE;

    memcpy(base, cfg->identity, sizeof(base));
    ZeroMemory(&sc, sizeof(sc));
    ZeroMemory(&adv, sizeof(adv));
    if (cfg->advertise[0] && msc_net_resolve(msc_cstr(cfg->advertise), 0, &adv) != MSC_S_OK)
        return E_INVALIDARG;
    sc.ua.local = adv;
    sc.ua.display_name = msc_cstr(cfg->display_name);
    sc.ua.transport = cfg->transport == MSGSC_TRANSPORT_TCP ? MSC_NET_TCP : MSC_NET_UDP;
    sc.ua.proxy = msc_cstr(cfg->proxy);
    sc.ua.auth_user = msc_cstr(cfg->auth_user);
    sc.ua.auth_password = msc_cstr(cfg->password);
    sc.bind_host = cfg->listen_host;
    sc.now_ms = now_ms;
    sc.random = random_bytes;
    sc.wake = wake;
    sc.notify = notify;
    sc.ctx = ctx;
    /* without a configured port: 5060, else the next free one (the default identity says which) */
    for (; tries-- > 0 && hr == MSC_SR_CONNECTION_FAILURE; port++) {
        if (cfg->identity_default && port != 5060)
            wsprintfA(cfg->identity, "%s:%u", base, port);
        sc.ua.identity = msc_cstr(cfg->identity);
        sc.port = port;
        hr = msc_sip_stack_start(&sc, out);
    }
    return hr;
}

/* ---- finding the agent ------------------------------------------------------------------------- */
/* The agent of an identity, named by a hash of it as configured (case does not matter). */
static void agent_key(const struct msgsc_config *cfg, WCHAR key[9])
{
    uint32_t h = 2166136261u;
    const char *p;
    for (p = cfg->identity; *p; p++) h = (h ^ (unsigned char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p)) * 16777619u;
    wsprintfW(key, L"%08x", h);
}

static BOOL rendezvous_path(const struct msgsc_config *cfg, WCHAR *path, DWORD cap, BOOL create_dir)
{
    WCHAR dir[MAX_PATH], key[9];
    DWORD n = GetEnvironmentVariableW(L"LOCALAPPDATA", dir, MAX_PATH);

    if (!n || n >= MAX_PATH - 40) {
        if (!(n = GetTempPathW(MAX_PATH, dir)) || n >= MAX_PATH - 40) return FALSE;
    }
    lstrcatW(dir, L"\\msgsc");
    if (create_dir) CreateDirectoryW(dir, NULL);
    agent_key(cfg, key);
    if ((DWORD)lstrlenW(dir) + 20 >= cap) return FALSE;
    wsprintfW(path, L"%s\\agent-%s.txt", dir, key);
    return TRUE;
}

/* The port and token from the agent's file ("port token pid"; the pid is for people). */
static BOOL rendezvous_read(const struct msgsc_config *cfg, unsigned *port, char token[40])
{
    WCHAR path[MAX_PATH];
    char buf[128];
    DWORD got = 0;
    HANDLE f;

    if (!rendezvous_path(cfg, path, MAX_PATH, FALSE)) return FALSE;
    f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                    OPEN_EXISTING, 0, NULL);
    if (f == INVALID_HANDLE_VALUE) return FALSE;
    ReadFile(f, buf, sizeof(buf) - 1, &got, NULL);
    CloseHandle(f);
    buf[got] = 0;
    return sscanf(buf, "%u %39s", port, token) == 2 && *port && *port < 65536;
}

static HANDLE start_agent(void)
{
    WCHAR cmd[2 * MAX_PATH + 64], sys[MAX_PATH], dll[MAX_PATH];
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;

    if (FAILED(msgsc_module_path(dll, MAX_PATH)) || !GetSystemDirectoryW(sys, MAX_PATH)) return NULL;
    /* the rundll32 of this DLL's bitness: a 32-bit process's system32 is the 32-bit one */
    wsprintfW(cmd, L"\"%s\\rundll32.exe\" \"%s\",AgentMain", sys, dll);
    ZeroMemory(&si, sizeof(si));
    si.cb = sizeof(si);
    if (!CreateProcessW(NULL, cmd, NULL, NULL, FALSE, DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP, NULL, NULL,
                        &si, &pi))
        return NULL;
    CloseHandle(pi.hThread);
    return pi.hProcess;
}

static DWORD parent_pid(void)
{
    typedef LONG (WINAPI *query_fn)(HANDLE, int, void *, ULONG, ULONG *);
    struct { ULONG_PTR reserved1[5], parent; } info;    /* PROCESS_BASIC_INFORMATION */
    query_fn query = (query_fn)(void *)GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQueryInformationProcess");
    ULONG len;
    if (query && !query(GetCurrentProcess(), 0, &info, sizeof(info), &len)) return (DWORD)info.parent;
    return 0;
}

HRESULT msgsc_agent_connect(const struct msgsc_config *cfg, BOOL start, void (*notify)(void *), void *ctx,
                            msc_link_client **out, msc_link_frame *welcome)
{
    unsigned port;
    char token[40];
    DWORD waited, code;
    HANDLE agent = NULL;
    msc_hr hr = MSC_SR_CONNECTION_FAILURE;

    /* a running agent first; else start one and wait for its file (a second one started at the
     * same time by another process finds the first one's mutex and leaves) */
    for (waited = 0; waited <= 15000; waited += 100) {
        if (rendezvous_read(cfg, &port, token)) {
            hr = msc_link_client_connect((uint16_t)port, msc_cstr(token), GetCurrentProcessId(), parent_pid(),
                                         notify, ctx, 5000, out, welcome);
            if (hr == MSC_S_OK) break;
        }
        if (!start) break;
        if (!agent && !(agent = start_agent())) break;
        if (WaitForSingleObject(agent, 100) == WAIT_OBJECT_0) {
            /* it stopped: another agent runs (try its file once more) or it could not start */
            GetExitCodeProcess(agent, &code);
            if (code != 0) {
                hr = (HRESULT)code;
                break;
            }
            Sleep(100);
        }
    }
    if (agent) CloseHandle(agent);
    return hr;
}

/* ---- the agent process ------------------------------------------------------------------------- */
struct prompt {
    uint32_t ticket;             /* 0: free */
    DWORD tid;                   /* the box's thread */
    DWORD owner;                 /* the agent's thread, which hears the answer */
    WCHAR text[700];
};

struct agentproc {
    struct msgsc_config conf;
    msc_sip_stack *sip;
    msc_netio *link;
    msc_router *router;
    HANDLE event;                /* set by both I/O threads */
    DWORD tid;
    HANDLE procs[MAX_PROCS];     /* applications started for invitations, until they end */
    DWORD pids[MAX_PROCS];
    DWORD nprocs;
    struct prompt prompts[MAX_PROMPTS];
    HANDLE log;
    char wire[MSC_LINK_MAX];
};

static void io_notify(void *ctx) { SetEvent(((struct agentproc *)ctx)->event); }

static void trace_line(void *ctx, const char *line)
{
    struct agentproc *ap = ctx;
    char buf[600];
    DWORD n;
    if (!ap->log) return;
    n = (DWORD)wsprintfA(buf, "[agent %lu] %.560s\r\n", GetCurrentProcessId(), line);
    WriteFile(ap->log, buf, n, &n, NULL);
}

static msc_addr conn_addr(msc_conn c)
{
    msc_addr a;
    msc_net_resolve(msc_cstr("127.0.0.1"), (uint16_t)c, &a);
    return a;
}

/* Applications connect from 127.0.0.1: the connection is named by its port. */
static msc_hr link_send(void *ctx, msc_conn conn, const msc_link_frame *f)
{
    struct agentproc *ap = ctx;
    msc_addr to = conn_addr(conn);
    size_t n = msc_link_encode(f, ap->wire, sizeof(ap->wire));
    return n ? msc_netio_send(ap->link, MSC_NET_TCP, &to, ap->wire, n) : MSC_E_INVALIDARG;
}

static int app_lookup(void *ctx, msc_str guid, msc_app_info *info)
{
    static struct msgsc_app_utf8 buf;
    return msgsc_apps_lookup_utf8(guid, &buf, info);
}

/* The registered Path, exactly: it may hold quotes and its own arguments, never ours. */
static msc_hr launch(void *ctx, msc_str path, uint32_t *pid)
{
    struct agentproc *ap = ctx;
    WCHAR cmd[MSC_MAX_PATH_CHARS + 1];
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    int n;

    if (ap->nprocs == MAX_PROCS) return MSC_E_OUTOFMEMORY;
    n = MultiByteToWideChar(CP_UTF8, 0, path.p, (int)path.n, cmd, MSC_MAX_PATH_CHARS);
    if (n <= 0) return MSC_E_INVALIDARG;
    cmd[n] = 0;
    ZeroMemory(&si, sizeof(si));
    si.cb = sizeof(si);
    if (!CreateProcessW(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) return MSC_E_FAIL;
    CloseHandle(pi.hThread);
    ap->procs[ap->nprocs] = pi.hProcess;
    ap->pids[ap->nprocs++] = pi.dwProcessId;
    *pid = pi.dwProcessId;
    return MSC_S_OK;
}

/* The prompt: a message box on a thread of its own, answered by a posted message. */
static DWORD WINAPI prompt_thread(void *arg)
{
    struct prompt *p = arg;
    int r = MessageBoxW(NULL, p->text, L"msgsc: invitation", MB_YESNO | MB_ICONQUESTION | MB_SETFOREGROUND
                        | MB_TOPMOST);
    PostThreadMessageW(p->owner, WM_PROMPT_ANSWER, p->ticket, r == IDYES);
    return 0;
}

static void ask(void *ctx, uint32_t ticket, msc_str peer, msc_str app)
{
    struct agentproc *ap = ctx;
    struct prompt *p = NULL;
    WCHAR who[MSC_MAX_USER_CHARS + 1], what[MSC_MAX_NAME_CHARS + 1];
    int i, n;
    HANDLE t;

    for (i = 0; i < MAX_PROMPTS && !p; i++)
        if (!ap->prompts[i].ticket) p = &ap->prompts[i];
    if (!p) {
        msc_router_answer(ap->router, ticket, 0);    /* too many questions at once: no */
        return;
    }
    n = MultiByteToWideChar(CP_UTF8, 0, peer.p, (int)peer.n, who, MSC_MAX_USER_CHARS);
    who[n > 0 ? n : 0] = 0;
    n = MultiByteToWideChar(CP_UTF8, 0, app.p, (int)app.n, what, MSC_MAX_NAME_CHARS);
    what[n > 0 ? n : 0] = 0;
    wsprintfW(p->text, L"%s invites you to start \"%s\".\n\nAccept the invitation?", who, what[0] ? what : L"an application");
    p->ticket = ticket;
    p->owner = ap->tid;
    if (!(t = CreateThread(NULL, 0, prompt_thread, p, CREATE_SUSPENDED, &p->tid))) {
        p->ticket = 0;
        msc_router_answer(ap->router, ticket, 0);
        return;
    }
    ResumeThread(t);
    CloseHandle(t);
}

static BOOL CALLBACK dismiss(HWND hwnd, LPARAM lp)
{
    PostMessageW(hwnd, WM_COMMAND, IDNO, 0);
    return TRUE;
}

static void unask(void *ctx, uint32_t ticket)
{
    struct agentproc *ap = ctx;
    int i;
    for (i = 0; i < MAX_PROMPTS; i++)
        if (ap->prompts[i].ticket == ticket) EnumThreadWindows(ap->prompts[i].tid, dismiss, 0);
}

static void prompt_done(struct agentproc *ap, uint32_t ticket, int yes)
{
    int i;
    for (i = 0; i < MAX_PROMPTS; i++)
        if (ap->prompts[i].ticket == ticket) ap->prompts[i].ticket = 0;
    msc_router_answer(ap->router, ticket, yes);
}

static void drain_link(struct agentproc *ap)
{
    msc_net_item *it;
    msc_link_frame f;

    while ((it = msc_netio_take(ap->link))) {
        msc_conn c = it->peer.port;
        if (it->proto == MSC_NET_TCP && it->kind == MSC_NET_RECEIVED) {
            if (msc_link_decode(it->data, it->len, &f) == MSC_S_OK) msc_router_link_frame(ap->router, c, &f);
            else trace_line(ap, "link: a frame that does not decode");
        } else if (it->proto == MSC_NET_TCP) {
            msc_router_link_closed(ap->router, c);      /* closed, or cannot be written to */
        }
        msc_net_item_free(it);
    }
}

static void process_ended(struct agentproc *ap, DWORD i)
{
    DWORD pid = ap->pids[i];
    CloseHandle(ap->procs[i]);
    ap->procs[i] = ap->procs[--ap->nprocs];
    ap->pids[i] = ap->pids[ap->nprocs];
    msc_router_process_exited(ap->router, pid);
}

static DWORD run(struct agentproc *ap)
{
    HANDLE waits[MAXIMUM_WAIT_OBJECTS];
    uint64_t at, t;
    DWORD r, timeout, i;
    MSG msg;

    while (!msc_router_stop_requested(ap->router)) {
        t = GetTickCount64();
        timeout = INFINITE;
        if (msc_router_next_deadline(ap->router, &at)) timeout = at <= t ? 0 : (DWORD)min(at - t, 0x7ffffffful);
        if (msc_sip_stack_next_deadline(ap->sip, &at) && (at <= t ? 0 : at - t) < timeout)
            timeout = at <= t ? 0 : (DWORD)(at - t);
        waits[0] = ap->event;
        for (i = 0; i < ap->nprocs; i++) waits[1 + i] = ap->procs[i];
        r = MsgWaitForMultipleObjects(1 + ap->nprocs, waits, FALSE, timeout, QS_ALLINPUT);
        if (r > WAIT_OBJECT_0 && r <= WAIT_OBJECT_0 + ap->nprocs) process_ended(ap, r - WAIT_OBJECT_0 - 1);
        while (PeekMessageW(&msg, NULL, 0, 0, PM_REMOVE)) {
            if (msg.message == WM_PROMPT_ANSWER && !msg.hwnd) prompt_done(ap, (uint32_t)msg.wParam, (int)msg.lParam);
            else DispatchMessageW(&msg);
        }
        msc_sip_stack_drain(ap->sip);
        drain_link(ap);
        msc_sip_stack_tick(ap->sip);
        msc_router_tick(ap->router);
    }
    return 0;
}

static HRESULT agent_run(void)
{
    struct agentproc *ap = calloc(1, sizeof(*ap));
    msc_router_host host;
    msc_router_config rc;
    msc_netio_config nc;
    msc_sink sink;
    WCHAR key[9], name[64], path[MAX_PATH], tmp[MAX_PATH + 8], logname[MAX_PATH];
    unsigned char raw[16];
    char token[33], line[128];
    HANDLE mutex, f;
    DWORD n, i;
    HRESULT hr;

    if (!ap) return E_OUTOFMEMORY;
    msgsc_config_read(&ap->conf);
    ap->tid = GetCurrentThreadId();
    if (GetEnvironmentVariableW(L"MSGSC_AGENT_LOG", logname, MAX_PATH)) {
        ap->log = CreateFileW(logname, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS, 0, NULL);
        if (ap->log == INVALID_HANDLE_VALUE) ap->log = NULL;
    }
    /* one agent per identity */
    agent_key(&ap->conf, key);
    wsprintfW(name, L"Local\\msgsc-agent-%s", key);
    mutex = CreateMutexW(NULL, TRUE, name);
    if (!mutex || GetLastError() == ERROR_ALREADY_EXISTS) {
        trace_line(ap, "another agent runs for this identity");
        if (mutex) CloseHandle(mutex);
        free(ap);
        return S_OK;
    }
    ap->event = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (FAILED(hr = msgsc_sip_start(&ap->conf, io_notify, NULL, ap, &ap->sip))) goto done;
    ZeroMemory(&nc, sizeof(nc));
    nc.bind_host = "127.0.0.1";
    nc.notify = io_notify;
    nc.ctx = ap;
    nc.idle_close_ms = UINT32_MAX;
    nc.max_connections = 1000;
    if ((hr = msc_netio_start(&nc, &ap->link)) != S_OK) goto done;

    msgsc_random(raw, sizeof(raw));
    for (i = 0; i < 16; i++) wsprintfA(token + 2 * i, "%02x", raw[i]);
    ZeroMemory(&host, sizeof(host));
    host.ctx = ap;
    host.now_ms = now_ms;
    host.link_send = link_send;
    host.app_lookup = app_lookup;
    host.launch = launch;
    host.ask = ask;
    host.unask = unask;
    host.trace = trace_line;
    ZeroMemory(&rc, sizeof(rc));
    rc.policy = (msc_invite_policy)ap->conf.policy;
    rc.contacts = msc_cstr(ap->conf.contacts);
    rc.prompt = (msc_prompt_mode)ap->conf.prompt;
    rc.token = msc_cstr(token);
    hr = E_OUTOFMEMORY;
    if (!(ap->router = msc_router_create(&host, msc_sip_stack_transport(ap->sip), &rc))) goto done;
    sink = msc_router_sink(ap->router);
    msc_sip_ua_set_sink(msc_sip_stack_ua(ap->sip), &sink);
    msc_sip_ua_register(msc_sip_stack_ua(ap->sip));     /* S_FALSE without a proxy */

    /* tell the applications where: written whole under another name, then put in place */
    hr = E_FAIL;
    if (!rendezvous_path(&ap->conf, path, MAX_PATH, TRUE)) goto done;
    wsprintfW(tmp, L"%s.new", path);
    n = (DWORD)wsprintfA(line, "%u %s %lu\n", msc_netio_port(ap->link), token, GetCurrentProcessId());
    f = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    if (f == INVALID_HANDLE_VALUE) goto done;
    WriteFile(f, line, n, &n, NULL);
    CloseHandle(f);
    if (!MoveFileExW(tmp, path, MOVEFILE_REPLACE_EXISTING)) goto done;
    wsprintfA(line, "running as %s, link port %u", ap->conf.identity, msc_netio_port(ap->link));
    trace_line(ap, line);

    hr = run(ap);
    DeleteFileW(path);
    trace_line(ap, "stopping");

done:
    if (FAILED(hr)) {
        wsprintfA(line, "cannot start: 0x%08lx", (unsigned long)hr);
        trace_line(ap, line);
    }
    msc_router_destroy(ap->router);        /* SHUTDOWN to the applications, BYE to the peers */
    msc_netio_stop(ap->link);              /* what was queued leaves first */
    msc_sip_stack_stop(ap->sip);           /* the BYEs and the un-REGISTER leave, then it closes */
    for (i = 0; i < ap->nprocs; i++) CloseHandle(ap->procs[i]);
    if (ap->event) CloseHandle(ap->event);
    if (ap->log) CloseHandle(ap->log);
    ReleaseMutex(mutex);
    CloseHandle(mutex);
    free(ap);
    return hr;
}

static HRESULT agent_stop(void)
{
    struct msgsc_config conf;
    msc_link_client *c;
    msc_link_frame f;
    int k;

    msgsc_config_read(&conf);
    if (msgsc_agent_connect(&conf, FALSE, NULL, NULL, &c, &f) != S_OK) return S_FALSE;   /* none runs */
    msc_link_init(&f, MSC_LINK_STOP);
    msc_link_client_send(c, &f);
    /* wait until it has gone (it closes the link), at most 10 s */
    for (k = 0; k < 200 && msc_link_client_take(c, &f) >= 0; k++) Sleep(50);
    msc_link_client_close(c);
    return S_OK;
}

/* The next word of s (up to a space) into out as UTF-8; s moves past it and the spaces after. */
static BOOL next_word(const WCHAR **s, char *out, size_t cap)
{
    const WCHAR *p = *s, *e = p;
    int n;
    while (*e && *e != ' ') e++;
    if (e == p || (n = WideCharToMultiByte(CP_UTF8, 0, p, (int)(e - p), out, (int)cap - 1, NULL, NULL)) <= 0)
        return FALSE;
    out[n] = 0;
    while (*e == ' ') e++;
    *s = e;
    return TRUE;
}

/* "invite <contact> <{GUID}> [data]": the agent launches the registered application, which sends
 * the invitation as its inviter.  S_OK once that process took it; SR_APP_NOT_REGISTERED,
 * SR_INVITED_SELF, SR_APPLICATION_LAUNCH_FAILED, E_INVALIDARG for a bad command line. */
static HRESULT agent_invite(const WCHAR *args)
{
    struct msgsc_config conf;
    msc_link_client *c;
    msc_link_frame f, w;
    char id[MSC_GUID_CHARS + 1], data[MSC_MAX_APP_DATA_BYTES + 1];
    WCHAR wid[MSC_GUID_CHARS + 1];
    GUID g;
    int k, n = 0;
    HRESULT hr;

    msc_link_init(&f, MSC_LINK_START);
    f.has_msg = 1;
    if (FAILED(CoCreateGuid(&g)) || !StringFromGUID2(&g, wid, MSC_GUID_CHARS + 1)) return E_FAIL;
    WideCharToMultiByte(CP_UTF8, 0, wid, -1, id, sizeof(id), NULL, NULL);
    msc_msg_init(&f.msg, MSC_VERB_INVITE, msc_cstr(id));
    if (!next_word(&args, f.msg.to, sizeof(f.msg.to)) || !next_word(&args, f.msg.app_guid, sizeof(f.msg.app_guid))
        || !msc_guid_valid(msc_cstr(f.msg.app_guid))
        || (*args && (n = WideCharToMultiByte(CP_UTF8, 0, args, -1, data, sizeof(data), NULL, NULL)) <= 0)
        || !msc_msg_set_data(&f.msg, msc_str_make(data, n ? (size_t)n - 1 : 0)))
        return E_INVALIDARG;
    msgsc_config_read(&conf);
    if ((hr = msgsc_agent_connect(&conf, TRUE, NULL, NULL, &c, &w)) != S_OK) return hr;
    hr = msc_link_client_send(c, &f);
    /* the answer comes once the launched process took it, or the launch failed (at most 60 s) */
    for (k = 0; hr == S_OK && k < 1400; k++) {
        int got = msc_link_client_take(c, &w);
        if (got < 0) hr = MSC_SR_CONNECTION_FAILURE;
        else if (got && w.kind == MSC_LINK_RESULT && !strcmp(w.session, id)) break;
        else if (!got) Sleep(50);
    }
    if (hr == S_OK) hr = k < 1400 ? (HRESULT)w.value : MSC_SR_APPLICATION_LAUNCH_FAILED;
    msc_link_client_close(c);
    return hr;
}

/* rundll32 entry point (rundll32 prefers the W form: the command line arrives as Unicode).  The
 * process's exit code is the HRESULT when the agent cannot start or a command fails, E_INVALIDARG
 * for a command it does not know. */
void CALLBACK AgentMainW(HWND hwnd, HINSTANCE inst, LPWSTR cmdline, int show);
void CALLBACK AgentMainW(HWND hwnd, HINSTANCE inst, LPWSTR cmdline, int show)
{
    HRESULT hr;
    while (cmdline && *cmdline == ' ') cmdline++;
    if (!cmdline || !*cmdline) hr = agent_run();
    else if (!lstrcmpiW(cmdline, L"stop")) hr = agent_stop();
    else if (!wcsncmp(cmdline, L"invite ", 7)) hr = agent_invite(cmdline + 7);
    else hr = E_INVALIDARG;                /* the process's exit code says so */
    ExitProcess(FAILED(hr) ? (UINT)hr : 0);
}
