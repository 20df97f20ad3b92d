/* A connection point: the sinks of one event interface of one object.
 *
 * Sinks are kept as IDispatch: Advise asks for the event interface first and falls back to
 * IDispatch, because sinks made by script engines and by ConnectObject answer only IDispatch.
 * The cookie is the slot index + 1; a slot freed by Unadvise is reused.  Firing copies the sink
 * list and references each sink while calling it, so a sink may Unadvise itself, or release the
 * object, from inside an event (the caller holds a reference on the object meanwhile).
 */
#include <stdlib.h>
#include "private.h"

static inline struct connpt *impl_from_IConnectionPoint(IConnectionPoint *iface)
{
    return CONTAINING_RECORD(iface, struct connpt, IConnectionPoint_iface);
}

static HRESULT WINAPI connpt_QueryInterface(IConnectionPoint *iface, REFIID riid, void **ppv)
{
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IConnectionPoint)) {
        *ppv = iface;
        IConnectionPoint_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

/* Part of its object: one reference count, the container's. */
static ULONG WINAPI connpt_AddRef(IConnectionPoint *iface)
{
    return IConnectionPointContainer_AddRef(impl_from_IConnectionPoint(iface)->container);
}

static ULONG WINAPI connpt_Release(IConnectionPoint *iface)
{
    return IConnectionPointContainer_Release(impl_from_IConnectionPoint(iface)->container);
}

static HRESULT WINAPI connpt_GetConnectionInterface(IConnectionPoint *iface, IID *iid)
{
    if (!iid) return E_POINTER;
    *iid = *impl_from_IConnectionPoint(iface)->iid;
    return S_OK;
}

static HRESULT WINAPI connpt_GetConnectionPointContainer(IConnectionPoint *iface, IConnectionPointContainer **out)
{
    struct connpt *cp = impl_from_IConnectionPoint(iface);
    if (!out) return E_POINTER;
    *out = cp->container;
    IConnectionPointContainer_AddRef(*out);
    return S_OK;
}

static HRESULT WINAPI connpt_Advise(IConnectionPoint *iface, IUnknown *unk, DWORD *cookie)
{
    struct connpt *cp = impl_from_IConnectionPoint(iface);
    IDispatch *sink;
    DWORD i;

    if (!cookie) return E_POINTER;
    *cookie = 0;
    if (!unk) return E_POINTER;
    if (FAILED(IUnknown_QueryInterface(unk, cp->iid, (void **)&sink))
        && FAILED(IUnknown_QueryInterface(unk, &IID_IDispatch, (void **)&sink)))
        return CONNECT_E_CANNOTCONNECT;
    for (i = 0; i < cp->count && cp->sinks[i]; i++) {}
    if (i == cp->count) {
        IDispatch **grown = realloc(cp->sinks, (cp->count + 4) * sizeof(*grown));
        if (!grown) {
            IDispatch_Release(sink);
            return E_OUTOFMEMORY;
        }
        ZeroMemory(grown + cp->count, 4 * sizeof(*grown));
        cp->sinks = grown;
        cp->count += 4;
    }
    cp->sinks[i] = sink;
    *cookie = i + 1;
    return S_OK;
}

static HRESULT WINAPI connpt_Unadvise(IConnectionPoint *iface, DWORD cookie)
{
    struct connpt *cp = impl_from_IConnectionPoint(iface);
    IDispatch *sink;

    if (!cookie || cookie > cp->count || !cp->sinks[cookie - 1]) return CONNECT_E_NOCONNECTION;
    sink = cp->sinks[cookie - 1];
    cp->sinks[cookie - 1] = NULL;
    IDispatch_Release(sink);
    return S_OK;
}

static HRESULT WINAPI connpt_EnumConnections(IConnectionPoint *iface, IEnumConnections **out)
{
    if (out) *out = NULL;
    return E_NOTIMPL;
}

static const IConnectionPointVtbl connpt_vtbl = {
    connpt_QueryInterface, connpt_AddRef, connpt_Release, connpt_GetConnectionInterface,
    connpt_GetConnectionPointContainer, connpt_Advise, connpt_Unadvise, connpt_EnumConnections,
};

void connpt_init(struct connpt *cp, IConnectionPointContainer *container, const IID *iid)
{
    cp->IConnectionPoint_iface.lpVtbl = &connpt_vtbl;
    cp->container = container;
    cp->iid = iid;
    cp->sinks = NULL;
    cp->count = 0;
}

void connpt_destroy(struct connpt *cp)
{
    DWORD i;
    for (i = 0; i < cp->count; i++)
        if (cp->sinks[i]) IDispatch_Release(cp->sinks[i]);
    free(cp->sinks);
    cp->sinks = NULL;
    cp->count = 0;
}

HRESULT connpt_find(struct connpt *cp, REFIID riid, IConnectionPoint **point)
{
    if (!point) return E_POINTER;
    *point = NULL;
    if (!riid) return E_POINTER;
    if (!IsEqualIID(riid, cp->iid)) return CONNECT_E_NOCONNECTION;
    *point = &cp->IConnectionPoint_iface;
    IConnectionPoint_AddRef(*point);
    return S_OK;
}

BOOL connpt_has_sinks(const struct connpt *cp)
{
    DWORD i;
    for (i = 0; i < cp->count; i++)
        if (cp->sinks[i]) return TRUE;
    return FALSE;
}

/* args in declared order; Invoke wants them last-first. */
void connpt_fire(struct connpt *cp, DISPID dispid, VARIANT *args, UINT nargs)
{
    VARIANT rev[4];
    DISPPARAMS params = { rev, NULL, nargs, 0 };
    IDispatch **copy;
    DWORD n = cp->count, i;
    UINT a;

    if (!n || nargs > ARRAYSIZE(rev)) return;
    for (a = 0; a < nargs; a++) rev[a] = args[nargs - 1 - a];
    if (!(copy = malloc(n * sizeof(*copy)))) return;
    for (i = 0; i < n; i++)
        if ((copy[i] = cp->sinks[i])) IDispatch_AddRef(copy[i]);
    for (i = 0; i < n; i++) {
        if (!copy[i]) continue;
        /* a sink that an earlier one unadvised during this event is not called */
        if (i < cp->count && cp->sinks[i] == copy[i])
            IDispatch_Invoke(copy[i], dispid, &IID_NULL, LOCALE_SYSTEM_DEFAULT, DISPATCH_METHOD, &params,
                             NULL, NULL, NULL);
        IDispatch_Release(copy[i]);
    }
    free(copy);
}
