/* tools/acs/acs_campaign.c — the download campaign's state behind one mutex (see acs_campaign.h).
 *
 * The slots are kept in integer microseconds so that ceil() of the delay is exact: with a float clock a start 2 s
 * away could come out as 2.0000001 s and be rounded up to 3.
 */
#include "tools/acs/acs_campaign.h"

#include <math.h>
#include <string.h>

typedef struct {
    guint attempts;      /* Downloads sent */
    gboolean gave_up;    /* counted once in the stats */
    gboolean done;       /* informed with the published version after a Download */
} Device;

struct HnbAcsCampaign {
    GMutex lock;
    char *published, *golden;
    gboolean golden_prefix; /* golden ended in '*' */
    gint64 gap_us;          /* 1/rate in µs; 0: no staggering */
    guint max_attempts;
    gboolean started;       /* a Download was sent: next_start is meaningful */
    gint64 next_start;      /* the earliest start of the next Download, µs */
    GHashTable *devices;    /* identity → Device */
    HnbAcsCampaignStats st;
};

const char *hnb_acs_runs_name(HnbAcsRuns r)
{
    static const char *const names[] = {"unknown", "published", "golden", "other"};
    return (unsigned)r < G_N_ELEMENTS(names) ? names[r] : "unknown";
}

HnbAcsCampaign *hnb_acs_campaign_new(const HnbAcsCampaignParams *p)
{
    g_return_val_if_fail(p && p->published_version && p->rate >= 0 && isfinite(p->rate), NULL);
    HnbAcsCampaign *c = g_new0(HnbAcsCampaign, 1);
    g_mutex_init(&c->lock);
    c->published = g_strdup(p->published_version);
    if (p->golden_version && p->golden_version[0]) {
        size_t n = strlen(p->golden_version);
        c->golden_prefix = p->golden_version[n - 1] == '*';
        c->golden = g_strndup(p->golden_version, c->golden_prefix ? n - 1 : n);
    }
    /* at least 1 µs apart: a rate above 1e6/s is unlimited in all but name (as the model's 1 ns) */
    c->gap_us = p->rate > 0 ? MAX((gint64)llround(1e6 / p->rate), 1) : 0;
    c->max_attempts = p->max_attempts;
    c->devices = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return c;
}

void hnb_acs_campaign_free(HnbAcsCampaign *c)
{
    if (!c)
        return;
    g_hash_table_destroy(c->devices);
    g_free(c->published);
    g_free(c->golden);
    g_mutex_clear(&c->lock);
    g_free(c);
}

HnbAcsRuns hnb_acs_campaign_classify(const HnbAcsCampaign *c, const char *v)
{
    if (!v)
        return HNB_ACS_RUNS_UNKNOWN;
    if (strcmp(v, c->published) == 0)
        return HNB_ACS_RUNS_PUBLISHED;
    if (c->golden && (c->golden_prefix ? g_str_has_prefix(v, c->golden) : strcmp(v, c->golden) == 0))
        return HNB_ACS_RUNS_GOLDEN;
    return HNB_ACS_RUNS_OTHER;
}

/* The device's record, made on first sight (lock held). */
static Device *device_get(HnbAcsCampaign *c, const char *id)
{
    Device *d = g_hash_table_lookup(c->devices, id);
    if (!d) {
        d = g_new0(Device, 1);
        g_hash_table_insert(c->devices, g_strdup(id), d);
        c->st.devices++;
    }
    return d;
}

static gboolean used_up(const HnbAcsCampaign *c, const Device *d)
{
    return c->max_attempts > 0 && d->attempts >= c->max_attempts;
}

HnbAcsOffer hnb_acs_campaign_inform(HnbAcsCampaign *c, const char *device, const char *software_version,
                                    HnbAcsRuns *runs_out)
{
    HnbAcsRuns runs = hnb_acs_campaign_classify(c, software_version);
    if (runs_out)
        *runs_out = runs;
    if (runs == HNB_ACS_RUNS_UNKNOWN)
        return HNB_ACS_OFFER_NONE;
    HnbAcsOffer offer = HNB_ACS_OFFER_DUE;
    g_mutex_lock(&c->lock);
    Device *d = device_get(c, device);
    if (runs == HNB_ACS_RUNS_PUBLISHED) {
        if (d->attempts && !d->done) {
            d->done = TRUE;
            c->st.done++;
        }
        offer = HNB_ACS_OFFER_NONE;
    } else if (used_up(c, d)) {
        if (!d->gave_up) {
            d->gave_up = TRUE;
            c->st.gave_up++;
        }
        offer = HNB_ACS_OFFER_GAVE_UP;
    } else {
        d->done = FALSE; /* back on an old image (a rollback): the campaign applies again */
    }
    g_mutex_unlock(&c->lock);
    return offer;
}

gboolean hnb_acs_campaign_download(HnbAcsCampaign *c, const char *device, gint64 now_us, guint *delay_s,
                                   guint *attempt)
{
    g_mutex_lock(&c->lock);
    Device *d = device_get(c, device);
    gboolean ok = !used_up(c, d);
    if (ok) {
        gint64 start = now_us;
        if (c->gap_us && c->started && c->next_start > now_us)
            start = c->next_start;
        c->started = TRUE;
        c->next_start = start + c->gap_us;
        gint64 wait = start - now_us; /* >= 0 */
        *delay_s = (guint)MIN((wait + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC, (gint64)G_MAXUINT);
        *attempt = ++d->attempts;
        c->st.downloads++;
    }
    g_mutex_unlock(&c->lock);
    return ok;
}

void hnb_acs_campaign_transfer(HnbAcsCampaign *c, const char *device, int fault_code)
{
    g_mutex_lock(&c->lock);
    device_get(c, device);
    if (fault_code == 0)
        c->st.transfers_ok++;
    else
        c->st.transfers_failed++;
    g_mutex_unlock(&c->lock);
}

void hnb_acs_campaign_stats(HnbAcsCampaign *c, HnbAcsCampaignStats *out)
{
    g_mutex_lock(&c->lock);
    *out = c->st;
    g_mutex_unlock(&c->lock);
}

guint hnb_acs_campaign_attempts(HnbAcsCampaign *c, const char *device)
{
    g_mutex_lock(&c->lock);
    Device *d = g_hash_table_lookup(c->devices, device);
    guint n = d ? d->attempts : 0;
    g_mutex_unlock(&c->lock);
    return n;
}

guint hnb_acs_campaign_max_attempts(const HnbAcsCampaign *c)
{
    return c->max_attempts; /* set once at creation: no lock */
}
