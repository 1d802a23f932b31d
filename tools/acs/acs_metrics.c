/* tools/acs/acs_metrics.c — counters and their Prometheus text page (see acs_metrics.h). */
#include "tools/acs/acs_metrics.h"

#include <string.h>

const char *const hnb_acs_metrics_outcomes[] = {"ok", "informed", "refused", "rejected", "error", "closed",
                                                "timeout", "served", "other", NULL};
/* "ok" and crypto/tls.h's reason codes as the log writes them, and the loop's own (closed_*, handshake_timeout) */
const char *const hnb_acs_metrics_handshakes[] = {
    "ok", "expired", "not_yet_valid", "unknown_ca", "identity_mismatch", "hostname_mismatch", "no_client_cert",
    "protocol_version", "no_shared_cipher", "revoked", "bad_signature", "bad_identity", "closed_before_handshake",
    "closed_during_handshake", "handshake_timeout", "other", NULL};
const char *const hnb_acs_metrics_rpcs[] = {"Inform", "GetRPCMethods", "TransferComplete", "DownloadResponse",
                                            "Fault", "empty", "invalid", "unknown", "bad_cookie", "other", NULL};

const guint64 hnb_acs_metrics_cpu_bounds_us[HNB_ACS_CPU_BOUNDS] = {250, 500, 1000, 2000, 4000, 8000, 16000, 32000};
static const char *const cpu_kinds[HNB_ACS_CPU_KINDS] = {"handshake_full", "handshake_resumed", "session"};

/* The index of `name` (its first `len` bytes) in `table`, or of "other". */
static guint label_index(const char *const *table, const char *name, size_t len)
{
    guint i = 0;
    for (; table[i + 1]; i++)
        if (strlen(table[i]) == len && strncmp(table[i], name, len) == 0)
            return i;
    return i;
}

void hnb_acs_metrics_handshake(HnbAcsMetrics *m, const char *reason)
{
    if (!reason) {
        m->handshakes[0]++;
        return;
    }
    m->handshakes[label_index(hnb_acs_metrics_handshakes, reason, strcspn(reason, " "))]++;
}

void hnb_acs_metrics_session_end(HnbAcsMetrics *m, const char *outcome)
{
    m->sessions[label_index(hnb_acs_metrics_outcomes, outcome, strlen(outcome))]++;
}

void hnb_acs_metrics_rpc(HnbAcsMetrics *m, const char *rpc)
{
    m->rpcs[label_index(hnb_acs_metrics_rpcs, rpc, strlen(rpc))]++;
}

void hnb_acs_metrics_cpu(HnbAcsMetrics *m, guint64 hs_us, guint64 req_us)
{
    m->cpu_handshake_us += hs_us;
    m->cpu_request_us += req_us;
}

void hnb_acs_metrics_cpu_observe(HnbAcsMetrics *m, HnbAcsCpuKind kind, guint64 us)
{
    guint b = 0;
    while (b < HNB_ACS_CPU_BOUNDS && us > hnb_acs_metrics_cpu_bounds_us[b])
        b++;
    m->cpu_hist[kind][b]++;
    m->cpu_hist_sum_us[kind] += us;
}

/* µs as seconds, without trailing zeros ("0.00025"); integer arithmetic, so no locale can make it "0,00025". */
static void seconds_label(char *buf, size_t size, guint64 us)
{
    int n = g_snprintf(buf, size, "%" G_GUINT64_FORMAT ".%06u", us / 1000000, (unsigned)(us % 1000000));
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.')
        buf[--n] = '\0';
}

static void header(GString *out, const char *name, const char *type, const char *help)
{
    g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void labelled(GString *out, const char *name, const char *label, const char *const *table,
                     const guint64 *values)
{
    for (guint i = 0; table[i]; i++)
        g_string_append_printf(out, "%s{%s=\"%s\"} %" G_GUINT64_FORMAT "\n", name, label, table[i], values[i]);
}

void hnb_acs_metrics_render(const HnbAcsMetrics *m, GString *out)
{
    header(out, "hnbsim_acs_connections_total", "counter", "TCP connections accepted.");
    g_string_append_printf(out, "hnbsim_acs_connections_total %" G_GUINT64_FORMAT "\n", m->connections);
    header(out, "hnbsim_acs_connections_open", "gauge", "TCP connections open now.");
    g_string_append_printf(out, "hnbsim_acs_connections_open %" G_GINT64_FORMAT "\n", m->connections_open);
    header(out, "hnbsim_acs_handshakes_total", "counter", "TLS handshakes by outcome: ok or the log's reason code.");
    labelled(out, "hnbsim_acs_handshakes_total", "outcome", hnb_acs_metrics_handshakes, m->handshakes);
    header(out, "hnbsim_acs_handshakes_resumed_total", "counter", "TLS handshakes that succeeded by resuming a session.");
    g_string_append_printf(out, "hnbsim_acs_handshakes_resumed_total %" G_GUINT64_FORMAT "\n", m->handshakes_resumed);
    header(out, "hnbsim_acs_sessions_total", "counter", "CWMP sessions ended, by the log's outcome.");
    labelled(out, "hnbsim_acs_sessions_total", "outcome", hnb_acs_metrics_outcomes, m->sessions);
    header(out, "hnbsim_acs_sessions_open", "gauge", "CWMP sessions open now.");
    g_string_append_printf(out, "hnbsim_acs_sessions_open %" G_GINT64_FORMAT "\n", m->sessions_open);
    header(out, "hnbsim_acs_rpcs_total", "counter", "The CPE's requests answered in sessions, by RPC.");
    labelled(out, "hnbsim_acs_rpcs_total", "rpc", hnb_acs_metrics_rpcs, m->rpcs);
    header(out, "hnbsim_acs_refused_total", "counter", "Sessions or connections refused by a limit, by reason.");
    g_string_append_printf(out, "hnbsim_acs_refused_total{reason=\"overload\"} %" G_GUINT64_FORMAT "\n",
                           m->refused_overload);
    g_string_append_printf(out, "hnbsim_acs_refused_total{reason=\"max_connections\"} %" G_GUINT64_FORMAT "\n",
                           m->refused_max_connections);
    g_string_append_printf(out, "hnbsim_acs_refused_total{reason=\"max_downloads\"} %" G_GUINT64_FORMAT "\n",
                           m->refused_max_downloads);
    g_string_append_printf(out, "hnbsim_acs_refused_total{reason=\"foreign_cookie\"} %" G_GUINT64_FORMAT "\n",
                           m->refused_foreign_cookie);
    header(out, "hnbsim_acs_downloads_open", "gauge", "Image GETs sending now.");
    g_string_append_printf(out, "hnbsim_acs_downloads_open %" G_GUINT64_FORMAT "\n", m->downloads_open);
    header(out, "hnbsim_acs_timeouts_total", "counter", "Connections closed by a deadline, by reason.");
    static const char *const timeouts[] = {"idle", "slow_header", "handshake", "slow_body", NULL};
    labelled(out, "hnbsim_acs_timeouts_total", "reason", timeouts, m->timeouts);
    header(out, "hnbsim_acs_downloads_total", "counter", "Download RPCs sent.");
    g_string_append_printf(out, "hnbsim_acs_downloads_total %" G_GUINT64_FORMAT "\n", m->downloads);
    header(out, "hnbsim_acs_image_bytes_total", "counter", "Image bytes sent.");
    g_string_append_printf(out, "hnbsim_acs_image_bytes_total %" G_GUINT64_FORMAT "\n", m->image_bytes);
    header(out, "hnbsim_acs_sessions_parked", "gauge",
           "CWMP sessions whose connection was cut, kept for their cookie.");
    g_string_append_printf(out, "hnbsim_acs_sessions_parked %" G_GINT64_FORMAT "\n", m->sessions_parked);
    header(out, "hnbsim_acs_sessions_resumed_total", "counter", "Parked sessions taken up by a new connection.");
    g_string_append_printf(out, "hnbsim_acs_sessions_resumed_total %" G_GUINT64_FORMAT "\n", m->sessions_resumed);
    header(out, "hnbsim_acs_sessions_expired_total", "counter",
           "Parked sessions ended by --session-linger or eviction.");
    g_string_append_printf(out, "hnbsim_acs_sessions_expired_total %" G_GUINT64_FORMAT "\n", m->sessions_expired);
    /* seconds, as the format's base unit; µs kept exactly (six decimals) so that the log's sums can be compared */
    header(out, "hnbsim_acs_cpu_seconds_total", "counter",
           "Worker thread CPU time spent on connections, by phase: the TLS handshake or the rest.");
    g_string_append_printf(out, "hnbsim_acs_cpu_seconds_total{phase=\"handshake\"} %" G_GUINT64_FORMAT ".%06u\n",
                           m->cpu_handshake_us / 1000000, (unsigned)(m->cpu_handshake_us % 1000000));
    g_string_append_printf(out, "hnbsim_acs_cpu_seconds_total{phase=\"request\"} %" G_GUINT64_FORMAT ".%06u\n",
                           m->cpu_request_us / 1000000, (unsigned)(m->cpu_request_us % 1000000));
    header(out, "hnbsim_acs_cpu_per_connection_seconds", "histogram",
           "CPU time of one connection: its handshake, full or resumed, or the whole of a CWMP session's.");
    for (guint k = 0; k < HNB_ACS_CPU_KINDS; k++) {
        guint64 cum = 0;
        for (guint b = 0; b <= HNB_ACS_CPU_BOUNDS; b++) {
            cum += m->cpu_hist[k][b];
            char le[32] = "+Inf";
            if (b < HNB_ACS_CPU_BOUNDS)
                seconds_label(le, sizeof le, hnb_acs_metrics_cpu_bounds_us[b]);
            g_string_append_printf(out, "hnbsim_acs_cpu_per_connection_seconds_bucket{kind=\"%s\",le=\"%s\"} %"
                                   G_GUINT64_FORMAT "\n", cpu_kinds[k], le, cum);
        }
        guint64 sum = m->cpu_hist_sum_us[k];
        g_string_append_printf(out, "hnbsim_acs_cpu_per_connection_seconds_sum{kind=\"%s\"} %" G_GUINT64_FORMAT
                               ".%06u\n", cpu_kinds[k], sum / 1000000, (unsigned)(sum % 1000000));
        g_string_append_printf(out, "hnbsim_acs_cpu_per_connection_seconds_count{kind=\"%s\"} %" G_GUINT64_FORMAT
                               "\n", cpu_kinds[k], cum);
    }
}

void hnb_acs_metrics_render_limits(guint workers, gint64 max_sessions, gint64 max_connections, GString *out)
{
    header(out, "hnbsim_acs_limit", "gauge", "The server's configured limits, by name.");
    g_string_append_printf(out, "hnbsim_acs_limit{name=\"workers\"} %u\n", workers);
    g_string_append_printf(out, "hnbsim_acs_limit{name=\"max_connections\"} %" G_GINT64_FORMAT "\n", max_connections);
    if (max_sessions > 0)
        g_string_append_printf(out, "hnbsim_acs_limit{name=\"max_sessions\"} %" G_GINT64_FORMAT "\n", max_sessions);
}

void hnb_acs_metrics_render_campaign(const HnbAcsCampaignStats *st, GString *out)
{
    header(out, "hnbsim_acs_campaign_devices", "gauge", "Devices the campaign has seen inform with a SoftwareVersion.");
    g_string_append_printf(out, "hnbsim_acs_campaign_devices %u\n", st->devices);
    header(out, "hnbsim_acs_campaign_done", "gauge", "Devices that informed with the published version after a Download.");
    g_string_append_printf(out, "hnbsim_acs_campaign_done %u\n", st->done);
    header(out, "hnbsim_acs_campaign_gave_up", "gauge", "Devices refused another Download after --max-attempts.");
    g_string_append_printf(out, "hnbsim_acs_campaign_gave_up %u\n", st->gave_up);
    header(out, "hnbsim_acs_campaign_transfers_total", "counter", "TransferComplete RPCs, by FaultCode 0 or not.");
    g_string_append_printf(out, "hnbsim_acs_campaign_transfers_total{result=\"ok\"} %" G_GUINT64_FORMAT "\n",
                           st->transfers_ok);
    g_string_append_printf(out, "hnbsim_acs_campaign_transfers_total{result=\"failed\"} %" G_GUINT64_FORMAT "\n",
                           st->transfers_failed);
}
