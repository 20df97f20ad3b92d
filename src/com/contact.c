/* Contacts: what Invite takes and what get_User gives.
 *
 * Invite reads the sign-in name of whatever it is given: an IMessengerContact (from a Messenger
 * API still around, or from get_User), or any IDispatch with a SigninName property, such as a
 * script's own object (VBScript: a Class with Public SigninName; JScript: { SigninName: "..." }).
 * docs/usage.md says how to make one.
 *
 * get_User returns a small contact object: IMessengerContact's vtable (msgrua's layout and
 * DISPIDs, msgr-api.md §9), and IDispatch by name or DISPID for scripts.  It knows the sign-in
 * name only, so FriendlyName is the sign-in name too.
 */
#include <stdlib.h>
#include "private.h"
#include <dispex.h>

/* {A6EF9860-C720-11D0-9337-00A0C90DCAA9}: not in mingw's libuuid. */
static const IID IID_IDispatchEx_ =
    { 0xa6ef9860, 0xc720, 0x11d0, { 0x93, 0x37, 0x00, 0xa0, 0xc9, 0x0d, 0xca, 0xa9 } };

/* IMessengerContact {E7479A0F-BB19-44A5-968F-6F41D93EE0BC}: dual, vtable slots 7-18. */
static const IID IID_IMessengerContact =
    { 0xe7479a0f, 0xbb19, 0x44a5, { 0x96, 0x8f, 0x6f, 0x41, 0xd9, 0x3e, 0xe0, 0xbc } };

typedef struct IMessengerContact IMessengerContact;
typedef struct IMessengerContactVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IMessengerContact *, REFIID, void **);
    ULONG (STDMETHODCALLTYPE *AddRef)(IMessengerContact *);
    ULONG (STDMETHODCALLTYPE *Release)(IMessengerContact *);
    HRESULT (STDMETHODCALLTYPE *GetTypeInfoCount)(IMessengerContact *, UINT *);
    HRESULT (STDMETHODCALLTYPE *GetTypeInfo)(IMessengerContact *, UINT, LCID, ITypeInfo **);
    HRESULT (STDMETHODCALLTYPE *GetIDsOfNames)(IMessengerContact *, REFIID, LPOLESTR *, UINT, LCID, DISPID *);
    HRESULT (STDMETHODCALLTYPE *Invoke)(IMessengerContact *, DISPID, REFIID, LCID, WORD, DISPPARAMS *,
                                        VARIANT *, EXCEPINFO *, UINT *);
    HRESULT (STDMETHODCALLTYPE *get_FriendlyName)(IMessengerContact *, BSTR *);
    HRESULT (STDMETHODCALLTYPE *get_Status)(IMessengerContact *, LONG *);
    HRESULT (STDMETHODCALLTYPE *get_SigninName)(IMessengerContact *, BSTR *);
    HRESULT (STDMETHODCALLTYPE *get_ServiceName)(IMessengerContact *, BSTR *);
    HRESULT (STDMETHODCALLTYPE *get_Blocked)(IMessengerContact *, VARIANT_BOOL *);
    HRESULT (STDMETHODCALLTYPE *put_Blocked)(IMessengerContact *, VARIANT_BOOL);
    HRESULT (STDMETHODCALLTYPE *get_CanPage)(IMessengerContact *, VARIANT_BOOL *);
    HRESULT (STDMETHODCALLTYPE *get_PhoneNumber)(IMessengerContact *, LONG, BSTR *);
    HRESULT (STDMETHODCALLTYPE *get_IsSelf)(IMessengerContact *, VARIANT_BOOL *);
    HRESULT (STDMETHODCALLTYPE *get_Property)(IMessengerContact *, LONG, VARIANT *);
    HRESULT (STDMETHODCALLTYPE *put_Property)(IMessengerContact *, LONG, VARIANT);
    HRESULT (STDMETHODCALLTYPE *get_ServiceId)(IMessengerContact *, BSTR *);
} IMessengerContactVtbl;
struct IMessengerContact { const IMessengerContactVtbl *lpVtbl; };

enum {
    DISPID_FriendlyName = 1536, DISPID_Status, DISPID_SigninName, DISPID_ServiceName, DISPID_Blocked,
    DISPID_IsSelf, DISPID_Property, DISPID_CanPage, DISPID_PhoneNumber, DISPID_ServiceId,
};
#define MISTATUS_UNKNOWN 0

static const struct { const WCHAR *name; DISPID id; } members[] = {
    { L"FriendlyName", DISPID_FriendlyName }, { L"Status", DISPID_Status }, { L"SigninName", DISPID_SigninName },
    { L"ServiceName", DISPID_ServiceName }, { L"Blocked", DISPID_Blocked }, { L"IsSelf", DISPID_IsSelf },
    { L"Property", DISPID_Property }, { L"CanPage", DISPID_CanPage }, { L"PhoneNumber", DISPID_PhoneNumber },
    { L"ServiceId", DISPID_ServiceId },
};

struct contact {
    IMessengerContact IMessengerContact_iface;
    LONG ref;
    BSTR signin;
    BOOL is_self;
};

static inline struct contact *impl_from(IMessengerContact *iface)
{
    return CONTAINING_RECORD(iface, struct contact, IMessengerContact_iface);
}

static HRESULT WINAPI contact_QueryInterface(IMessengerContact *iface, REFIID riid, void **ppv)
{
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IMessengerContact)) {
        *ppv = iface;
        iface->lpVtbl->AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI contact_AddRef(IMessengerContact *iface) { return InterlockedIncrement(&impl_from(iface)->ref); }

static ULONG WINAPI contact_Release(IMessengerContact *iface)
{
    struct contact *c = impl_from(iface);
    LONG ref = InterlockedDecrement(&c->ref);
    if (!ref) {
        SysFreeString(c->signin);
        free(c);
        msgsc_module_unlock();
    }
    return ref;
}

/* No type information: the members are few and fixed, GetIDsOfNames and Invoke know them. */
static HRESULT WINAPI contact_GetTypeInfoCount(IMessengerContact *iface, UINT *count)
{
    if (!count) return E_POINTER;
    *count = 0;
    return S_OK;
}

static HRESULT WINAPI contact_GetTypeInfo(IMessengerContact *iface, UINT index, LCID lcid, ITypeInfo **ti)
{
    if (ti) *ti = NULL;
    return DISP_E_BADINDEX;
}

static HRESULT WINAPI contact_GetIDsOfNames(IMessengerContact *iface, REFIID riid, LPOLESTR *names, UINT count,
                                            LCID lcid, DISPID *ids)
{
    HRESULT hr = S_OK;
    UINT i, m;

    if (!IsEqualIID(riid, &IID_NULL)) return DISP_E_UNKNOWNINTERFACE;
    if (!names || !ids) return E_POINTER;
    for (i = 0; i < count; i++) {
        ids[i] = DISPID_UNKNOWN;
        if (i) { hr = DISP_E_UNKNOWNNAME; continue; }      /* no named arguments */
        for (m = 0; m < ARRAYSIZE(members); m++)
            if (!lstrcmpiW(names[i], members[m].name)) ids[i] = members[m].id;
        if (ids[i] == DISPID_UNKNOWN) hr = DISP_E_UNKNOWNNAME;
    }
    return hr;
}

static HRESULT WINAPI contact_get_FriendlyName(IMessengerContact *iface, BSTR *out)
{
    if (!out) return E_INVALIDARG;
    return (*out = SysAllocString(impl_from(iface)->signin)) ? S_OK : E_OUTOFMEMORY;
}

static HRESULT WINAPI contact_get_Status(IMessengerContact *iface, LONG *out)
{
    if (!out) return E_INVALIDARG;
    *out = MISTATUS_UNKNOWN;
    return S_OK;
}

static HRESULT WINAPI contact_get_ServiceName(IMessengerContact *iface, BSTR *out)
{
    if (!out) return E_INVALIDARG;
    return (*out = SysAllocString(L"msgsc")) ? S_OK : E_OUTOFMEMORY;
}

static HRESULT WINAPI contact_get_false(IMessengerContact *iface, VARIANT_BOOL *out)
{
    if (!out) return E_INVALIDARG;
    *out = VARIANT_FALSE;
    return S_OK;
}

static HRESULT WINAPI contact_put_Blocked(IMessengerContact *iface, VARIANT_BOOL v) { return E_NOTIMPL; }

static HRESULT WINAPI contact_get_PhoneNumber(IMessengerContact *iface, LONG type, BSTR *out)
{
    if (!out) return E_INVALIDARG;
    return (*out = SysAllocString(L"")) ? S_OK : E_OUTOFMEMORY;
}

static HRESULT WINAPI contact_get_IsSelf(IMessengerContact *iface, VARIANT_BOOL *out)
{
    if (!out) return E_INVALIDARG;
    *out = impl_from(iface)->is_self ? VARIANT_TRUE : VARIANT_FALSE;
    return S_OK;
}

static HRESULT WINAPI contact_get_Property(IMessengerContact *iface, LONG prop, VARIANT *out)
{
    if (!out) return E_INVALIDARG;
    VariantInit(out);
    return E_NOTIMPL;
}

static HRESULT WINAPI contact_put_Property(IMessengerContact *iface, LONG prop, VARIANT v) { return E_NOTIMPL; }

/* The one service msgsc speaks for has no Messenger service GUID: the empty string says so. */
static HRESULT WINAPI contact_get_ServiceId(IMessengerContact *iface, BSTR *out)
{
    if (!out) return E_INVALIDARG;
    return (*out = SysAllocString(L"")) ? S_OK : E_OUTOFMEMORY;
}

static HRESULT WINAPI contact_Invoke(IMessengerContact *iface, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                     DISPPARAMS *params, VARIANT *res, EXCEPINFO *ei, UINT *argerr)
{
    VARIANT dummy;
    HRESULT hr;

    if (!IsEqualIID(riid, &IID_NULL)) return DISP_E_UNKNOWNINTERFACE;
    if (!(flags & DISPATCH_PROPERTYGET)) return DISP_E_MEMBERNOTFOUND;
    if (params && params->cArgs) return DISP_E_BADPARAMCOUNT;
    if (!res) res = &dummy;
    VariantInit(res);
    switch (id) {
    case DISPID_FriendlyName: V_VT(res) = VT_BSTR; hr = contact_get_FriendlyName(iface, &V_BSTR(res)); break;
    case DISPID_SigninName:   V_VT(res) = VT_BSTR; hr = contact_get_FriendlyName(iface, &V_BSTR(res)); break;
    case DISPID_ServiceName:  V_VT(res) = VT_BSTR; hr = contact_get_ServiceName(iface, &V_BSTR(res)); break;
    case DISPID_ServiceId:    V_VT(res) = VT_BSTR; hr = contact_get_ServiceId(iface, &V_BSTR(res)); break;
    case DISPID_Status:       V_VT(res) = VT_I4; hr = contact_get_Status(iface, &V_I4(res)); break;
    case DISPID_IsSelf:       V_VT(res) = VT_BOOL; hr = contact_get_IsSelf(iface, &V_BOOL(res)); break;
    case DISPID_Blocked:
    case DISPID_CanPage:      V_VT(res) = VT_BOOL; hr = contact_get_false(iface, &V_BOOL(res)); break;
    default: return DISP_E_MEMBERNOTFOUND;
    }
    if (FAILED(hr)) V_VT(res) = VT_EMPTY;
    if (res == &dummy) VariantClear(&dummy);
    return hr;
}

static const IMessengerContactVtbl contact_vtbl = {
    contact_QueryInterface, contact_AddRef, contact_Release, contact_GetTypeInfoCount, contact_GetTypeInfo,
    contact_GetIDsOfNames, contact_Invoke, contact_get_FriendlyName, contact_get_Status,
    contact_get_FriendlyName /* SigninName */, contact_get_ServiceName, contact_get_false, contact_put_Blocked,
    contact_get_false, contact_get_PhoneNumber, contact_get_IsSelf, contact_get_Property, contact_put_Property,
    contact_get_ServiceId,
};

HRESULT contact_create(msc_str signin, BOOL is_self, IDispatch **out)
{
    struct contact *c = calloc(1, sizeof(*c));
    if (!c) return E_OUTOFMEMORY;
    if (!(c->signin = msgsc_bstr_from_str(signin))) {
        free(c);
        return E_OUTOFMEMORY;
    }
    c->IMessengerContact_iface.lpVtbl = &contact_vtbl;
    c->ref = 1;
    c->is_self = is_self;
    msgsc_module_lock();
    *out = (IDispatch *)&c->IMessengerContact_iface;
    return S_OK;
}

/* ---- the sign-in name of Invite's pUser --------------------------------------------------------- */
static HRESULT dispex_id(IDispatch *user, LPOLESTR name, DISPID *id)
{
    IDispatchEx *ex;
    BSTR b;
    HRESULT hr;

    if (FAILED(hr = IDispatch_QueryInterface(user, &IID_IDispatchEx_, (void **)&ex))) return hr;
    if ((b = SysAllocString(name))) {
        hr = IDispatchEx_GetDispID(ex, b, fdexNameCaseInsensitive, id);
        SysFreeString(b);
    } else {
        hr = E_OUTOFMEMORY;
    }
    IDispatchEx_Release(ex);
    return hr;
}

HRESULT contact_signin_name(IDispatch *user, BSTR *name)
{
    IMessengerContact *contact;
    DISPPARAMS none = { NULL, NULL, 0, 0 };
    LPOLESTR member = (LPOLESTR)L"SigninName";
    DISPID id;
    VARIANT v;
    HRESULT hr;

    *name = NULL;
    if (SUCCEEDED(IDispatch_QueryInterface(user, &IID_IMessengerContact, (void **)&contact))) {
        hr = contact->lpVtbl->get_SigninName(contact, name);
        contact->lpVtbl->Release(contact);
    } else {
        /* late bound: by name (IDispatchEx::GetDispID too: Wine's VBScript classes answer only
         * that), else by msgrua's DISPID (a proxy without type information) */
        if (FAILED(IDispatch_GetIDsOfNames(user, &IID_NULL, &member, 1, LOCALE_USER_DEFAULT, &id))
            && FAILED(dispex_id(user, member, &id)))
            id = DISPID_SigninName;
        VariantInit(&v);
        hr = IDispatch_Invoke(user, id, &IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_PROPERTYGET, &none, &v, NULL, NULL);
        if (SUCCEEDED(hr)) hr = VariantChangeType(&v, &v, 0, VT_BSTR);
        if (SUCCEEDED(hr)) {
            *name = V_BSTR(&v);
            V_VT(&v) = VT_EMPTY;
        }
        VariantClear(&v);
    }
    if (FAILED(hr) || !*name || !SysStringLen(*name)) {
        SysFreeString(*name);
        *name = NULL;
        return E_INVALIDARG;
    }
    return S_OK;
}
