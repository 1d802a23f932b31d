/* models/cwmp.c — TR-069 event codes, session round trips and the Session Retry Policy (pure functions).
 *
 * Retry windows are computed in integer ns, exactly whenever they can be: k/1000 is reduced to a/b (b divides 1000),
 * and m is multiplied by a/b one step at a time for as long as each step divides exactly and fits in 64 bits — always
 * for the default k = 2000 (a/b = 2), and for k = 1500 with m = 5 s up to the factor 1.5^9.  What is left is done in
 * double precision and rounded to the nearest ns: within 1 ns for windows below 2^52 ns (52 days), far past the
 * largest default window (5120 s).  Windows beyond HnbTime saturate at HNB_TIME_NEVER.
 */
#include "models/cwmp.h"

#include <math.h>
#include <string.h>

/* Table 7 of TR-069 lists the single-digit codes first, then the "M" codes in the order M Reboot, M ScheduleInform,
 * M Download; our bit numbering differs, so the formatting order comes from this table. */
static const struct {
    unsigned bit;
    const char *code;
} event_codes[] = {
    {HNB_CWMP_EV_BOOTSTRAP, "0 BOOTSTRAP"},
    {HNB_CWMP_EV_BOOT, "1 BOOT"},
    {HNB_CWMP_EV_PERIODIC, "2 PERIODIC"},
    {HNB_CWMP_EV_CONNECTION_REQUEST, "6 CONNECTION REQUEST"},
    {HNB_CWMP_EV_TRANSFER_COMPLETE, "7 TRANSFER COMPLETE"},
    {HNB_CWMP_EV_M_REBOOT, "M Reboot"},
    {HNB_CWMP_EV_M_DOWNLOAD, "M Download"},
};

size_t hnb_cwmp_event_codes(unsigned events, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(event_codes) && n < max; i++)
        if (events & event_codes[i].bit)
            out[n++] = event_codes[i].code;
    return n;
}

char *hnb_cwmp_events_format(unsigned events, char *buf, size_t n)
{
    g_return_val_if_fail(buf != NULL && n > 0, buf);
    const char *codes[G_N_ELEMENTS(event_codes)];
    size_t k = hnb_cwmp_event_codes(events, codes, G_N_ELEMENTS(codes));
    buf[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        if (i)
            g_strlcat(buf, ",", n);
        g_strlcat(buf, codes[i], n); /* truncates if n is short; the contract asks for >= 96 */
    }
    return buf;
}

unsigned hnb_cwmp_round_trips(unsigned events, HnbCwmpAcsAction action)
{
    unsigned trips = 1; /* Inform -> InformResponse */
    if (events & HNB_CWMP_EV_TRANSFER_COMPLETE)
        trips++; /* TransferComplete -> TransferCompleteResponse */
    trips++;     /* empty POST -> the first ACS RPC, or the empty response that ends the session */
    if (action != HNB_CWMP_ACS_NOTHING)
        trips++; /* the CPE POSTs the RPC's response -> empty response */
    return trips;
}

static unsigned gcd(unsigned a, unsigned b)
{
    while (b) {
        unsigned t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* m · (k/1000)^e in ns: exact integer steps while they divide, then one rounded double step (see the file comment). */
static HnbTime scale(HnbTime m, unsigned k, unsigned e)
{
    unsigned g = gcd(k, 1000);
    int64_t a = k / g, b = 1000 / g;
    int64_t x = m;
    unsigned done = 0;
    while (done < e) {
        int64_t p;
        if (__builtin_mul_overflow(x, a, &p) || p % b != 0)
            break;
        x = p / b;
        done++;
    }
    if (done == e)
        return x;
    double v = (double)x * pow((double)a / (double)b, (double)(e - done));
    if (!(v < 0x1p63)) /* beyond HnbTime */
        return HNB_TIME_NEVER;
    return (HnbTime)llround(v);
}

void hnb_cwmp_retry_window(const HnbCwmpRetry *p, unsigned n, HnbTime *lo, HnbTime *hi)
{
    g_return_if_fail(p != NULL && lo != NULL && hi != NULL);
    g_return_if_fail(p->min_wait >= 0 && p->multiplier >= 1000);
    if (n < 1)
        n = 1; /* no retry yet: treat as the first */
    if (n > 10)
        n = 10;
    *lo = scale(p->min_wait, p->multiplier, n - 1);
    *hi = scale(p->min_wait, p->multiplier, n);
}

HnbTime hnb_cwmp_retry_wait(const HnbCwmpRetry *p, unsigned n, double u)
{
    HnbTime lo = 0, hi = 0;
    g_return_val_if_fail(u >= 0 && u <= 1, 0);
    hnb_cwmp_retry_window(p, n, &lo, &hi);
    double span = u * (double)(hi - lo); /* hi >= lo >= 0: no overflow */
    if (!(span < (double)(hi - lo)))    /* u = 1, or rounding at the top of a window wider than 2^53 ns */
        return hi;
    HnbTime off = (HnbTime)llround(span);
    return off >= hi - lo ? hi : lo + off;
}
