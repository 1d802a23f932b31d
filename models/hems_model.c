/* models/hems_model.c — the model's H(e)MS behind the HnbHems seam (models/hems.h): each operation forwards to the
 * part that models it, so the population calls exactly what it called before the seam existed (the results are
 * byte-identical: tools/check-identical.sh).
 */
#include "models/hems.h"

typedef struct {
    HnbAcs *acs;
    HnbAcsTls *tls;
    HnbImageServer *images;
} HemsModel;

static void m_connect(void *impl, uint32_t hnb) { hnb_acs_connect(((HemsModel *)impl)->acs, hnb); }
static gboolean m_image_request(void *impl, uint32_t hnb)
{
    return hnb_image_server_request(((HemsModel *)impl)->images, hnb);
}
static void m_image_start(void *impl, uint32_t hnb, double cap_bps)
{
    hnb_image_server_start(((HemsModel *)impl)->images, hnb, cap_bps);
}
static void m_image_cancel(void *impl, uint32_t hnb) { hnb_image_server_cancel(((HemsModel *)impl)->images, hnb); }
static gboolean m_image_restart(void *impl, uint32_t hnb)
{
    return hnb_image_server_restart(((HemsModel *)impl)->images, hnb);
}
static void m_tls_forget(void *impl, uint32_t hnb) { hnb_acs_tls_forget(((HemsModel *)impl)->tls, hnb); }
static gboolean m_tls_runs_ahead(void *impl) { return hnb_acs_tls_runs_ahead(((HemsModel *)impl)->tls); }
static void m_tls_prefetch(void *impl, uint32_t hnb, HnbTime at, HnbTime hnb_clock, gboolean has_session,
                           gboolean recovery)
{
    hnb_acs_tls_prefetch(((HemsModel *)impl)->tls, hnb, at, hnb_clock, has_session, recovery);
}
static const HnbAcsStats *m_acs_stats(void *impl) { return hnb_acs_stats(((HemsModel *)impl)->acs); }
static const HnbImageServerStats *m_image_stats(void *impl)
{
    return hnb_image_server_stats(((HemsModel *)impl)->images);
}
static size_t m_images_active(void *impl) { return hnb_image_server_active(((HemsModel *)impl)->images); }
static double m_bytes_delivered(void *impl, HnbTime now)
{
    return hnb_image_server_bytes_delivered(((HemsModel *)impl)->images, now);
}
static void m_row_latency(void *impl, HnbTime now, HnbAcsRowLatency *out, double *lag_ms)
{
    hnb_acs_row_latency(((HemsModel *)impl)->acs, now, out);
    *lag_ms = 0; /* scenario time is the only time */
}

static const HnbHemsOps model_ops = {
    .connect = m_connect,
    .lost = NULL, /* the ACS and the image server compare power generations themselves */
    .image_request = m_image_request,
    .image_start = m_image_start,
    .image_cancel = m_image_cancel,
    .image_restart = m_image_restart,
    .tls_forget = m_tls_forget,
    .tls_runs_ahead = m_tls_runs_ahead,
    .tls_prefetch = m_tls_prefetch,
    .acs_stats = m_acs_stats,
    .image_stats = m_image_stats,
    .images_active = m_images_active,
    .bytes_delivered = m_bytes_delivered,
    .row_latency = m_row_latency,
    .free = g_free,
};

HnbHems hnb_hems_model_new(HnbAcs *acs, HnbAcsTls *tls, HnbImageServer *images)
{
    HemsModel *m = g_new(HemsModel, 1);
    *m = (HemsModel){.acs = acs, .tls = tls, .images = images};
    return (HnbHems){.ops = &model_ops, .impl = m};
}
