/* Result codes: names and the text a script user reads (IErrorInfo). */
#include <stddef.h>
#include "msgsc/status.h"

static const struct {
    msc_hr hr;
    const char *name, *text;
} codes[] = {
#define MSC_STATUS_ROW(name, value, text) { MSC_##name, #name, text },
    MSC_STATUS_TABLE(MSC_STATUS_ROW)
#undef MSC_STATUS_ROW
};

static size_t find(msc_hr hr)
{
    size_t i;
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i].hr == hr) return i;
    return (size_t)-1;
}

const char *msc_status_text(msc_hr hr)
{
    size_t i = find(hr);
    return i == (size_t)-1 ? NULL : codes[i].text;
}

const char *msc_status_name(msc_hr hr)
{
    size_t i = find(hr);
    return i == (size_t)-1 ? NULL : codes[i].name;
}
