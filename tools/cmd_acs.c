/* tools/cmd_acs.c — `hnbsim acs`: the command line of the embedded ACS's endpoint on a real TCP socket, so real
 * clients (openssl s_client, curl, a CPE simulator, a real HNB, `hnbsim probe`) can talk to it.
 *
 * The server is in tools/acs/, one layer a file: acs_loop.c (sockets, TLS, libev; its parts are listed in
 * acs_loop_private.h), acs_http.c (HTTP/1.1 requests),
 * acs_soap.c (the SOAP envelope, libxml2), acs_cwmp.c (the CWMP answers), acs_campaign.c (the download campaign),
 * acs_image.c (the image and its manifest).  Here: options, the PKI directory, the manifest's signature, exit statuses.
 */
#include "tools/cli.h"
#include "tools/acs/acs_loop.h"
#include "crypto/image.h"
#include "crypto/pki.h"
#include "sim/scenario.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The image's manifest (name, version, size, the SHA-256 of the file's bytes) signed with the PKI's software-signing
 * key, in the text form the HNB fetches beside the image (TS 33.320 §6.1: the TrE verifies the image with the
 * verification certificate before it is installed). */
static gboolean sign_image(HnbAcsImage *image, const HnbPki *pki, GError **error)
{
    const HnbPkiCred *signing = hnb_pki_signing(pki);
    HnbImageManifest m;
    hnb_image_manifest_init_digest(&m, image->name, image->version, image->size, image->sha256);
    if (strlen(image->name) >= sizeof m.name || strlen(image->version) >= sizeof m.version) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "the image's name or version is too long for its manifest "
                    "(at most %zu and %zu characters)", sizeof m.name - 1, sizeof m.version - 1);
        return FALSE;
    }
    HnbSignedImage signed_image;
    if (!signing || !signing->key || !hnb_image_sign(&signed_image, &m, signing->key, error))
        return FALSE;
    hnb_acs_image_set_manifest(image, hnb_image_signed_to_text(&signed_image));
    hnb_image_signed_clear(&signed_image);
    return TRUE;
}

/* A capacity the scenario may give: its key, the option's variable, the option's range.  NOT_GIVEN marks an option
 * the command line left alone (the scenario's value, else the default, applies). */
#define NOT_GIVEN G_MININT64 /* an integer option: no value a user could mean (so -1 is refused as -1) */
#define NUM_NOT_GIVEN NAN    /* a number option: likewise ("nan" on the command line counts as not given) */
typedef struct {
    const char *group, *key, *option;
    gint64 *int_value;   /* or */
    double *num_value;
    gint64 max;          /* the option's upper bound */
} ScenarioKey;

/* --scenario FILE: the project's loader (the same validation and messages: file, key, problem); each key of
 * `keys` the scenario's model has and the command line did not give is taken, and so are [tls] resumption (into
 * *resumption when it is NULL: the option not given) and session_lifetime (*lifetime_s, whole seconds, at least 1).
 * FALSE after printing why. */
static gboolean capacity_from_scenario(const char *path, const ScenarioKey *keys, size_t n, char **resumption,
                                       long *lifetime_s)
{
    GError *error = NULL;
    g_autoptr(HnbScenario) sc = hnb_cli_load(path, NULL, &error);
    if (!sc) {
        hnb_cli_fail(error);
        return FALSE;
    }
    for (size_t i = 0; i < n; i++) {
        const ScenarioKey *k = &keys[i];
        if (!hnb_scenario_spec(sc, k->group, k->key))
            continue; /* this model has no such key: the option's default */
        if (k->int_value && *k->int_value == NOT_GIVEN) {
            gint64 v = hnb_scenario_int(sc, k->group, k->key);
            if (v > k->max) {
                fprintf(stderr, "hnbsim acs: %s: [%s] %s = %" G_GINT64_FORMAT ": more than --%s allows (%" G_GINT64_FORMAT
                        ")\n", path, k->group, k->key, v, k->option, k->max);
                return FALSE;
            }
            *k->int_value = v;
        } else if (k->num_value && isnan(*k->num_value)) {
            *k->num_value = hnb_scenario_number(sc, k->group, k->key);
        }
    }
    if (!*resumption && hnb_scenario_spec(sc, "tls", "resumption"))
        *resumption = g_strdup(hnb_scenario_string(sc, "tls", "resumption"));
    if (hnb_scenario_spec(sc, "tls", "session_lifetime"))
        *lifetime_s = (long)MAX(1, hnb_scenario_time(sc, "tls", "session_lifetime") / HNB_SEC);
    return TRUE;
}

int hnb_cmd_acs(int argc, char **argv)
{
    g_autofree char *listen_spec = NULL, *pki_dir = NULL, *image_path = NULL, *image_version = NULL;
    g_autofree char *metrics = NULL, *scenario = NULL, *golden_version = NULL, *resumption = NULL;
    long session_lifetime = HNB_ACS_SESSION_LIFETIME;
    gboolean tls11 = FALSE;
    gint64 exit_after = 0, max_sessions = NOT_GIVEN, retry_after = 30, max_attempts = 3;
    double grace = 5, campaign_rate = NUM_NOT_GIVEN, idle_timeout = HNB_ACS_IDLE_TIMEOUT;
    double header_timeout = HNB_ACS_HEADER_TIMEOUT;
    double handshake_timeout = HNB_ACS_HANDSHAKE_TIMEOUT, body_timeout = HNB_ACS_BODY_TIMEOUT;
    double session_linger = 30;
    gint64 max_connections = HNB_ACS_MAX_CONNECTIONS, workers = NOT_GIVEN, queue_limit = NOT_GIVEN;
    gint64 max_downloads = NOT_GIVEN;
    double bandwidth = NUM_NOT_GIVEN;
    GOptionEntry entries[] = {
        {"listen", 0, 0, G_OPTION_ARG_STRING, &listen_spec, "Address to serve on (port 0: pick a free port)",
         "HOST:PORT"},
        {"pki", 0, 0, G_OPTION_ARG_FILENAME, &pki_dir, "PKI directory written by `hnbsim pki --out`", "DIR"},
        {"tls11", 0, 0, G_OPTION_ARG_NONE, &tls11, "Also accept TLS 1.1 (the profile's floor; default TLS 1.2 only)",
         NULL},
        {"resumption", 0, 0, G_OPTION_ARG_STRING, &resumption,
         "TLS session resumption, as the scenario's [tls] resumption: none, ids (session IDs, one cache for all "
         "workers) or tickets (RFC 5077) (default ids)", "none|ids|tickets"},
        {"exit-after", 0, 0, G_OPTION_ARG_INT64, &exit_after,
         "Exit after this many connections have ended (default 0: until SIGTERM/SIGINT)", "N"},
        {"max-sessions", 0, 0, G_OPTION_ARG_INT64, &max_sessions,
         "CWMP sessions open at once, as the scenario's [acs] max_sessions; more get fault 8005 with HTTP 503 "
         "(default 0: no limit)", "N"},
        {"retry-after", 0, 0, G_OPTION_ARG_INT64, &retry_after,
         "The Retry-After (seconds) of an overload refusal (default 30)", "S"},
        {"metrics", 0, 0, G_OPTION_ARG_STRING, &metrics,
         "Serve GET /metrics (Prometheus text format) over plain HTTP on this loopback address", "127.0.0.1:PORT"},
        {"grace", 0, 0, G_OPTION_ARG_DOUBLE, &grace,
         "After SIGTERM/SIGINT, seconds the open sessions get to finish (default 5)", "S"},
        {"session-linger", 0, 0, G_OPTION_ARG_DOUBLE, &session_linger,
         "Seconds an informed session whose connection the HNB cut waits for a new connection bringing its cookie "
         "and the same certificate identity (TR-069 §3.4.1); it keeps its --max-sessions slot meanwhile "
         "(default 30, 0: a session ends with its connection)", "S"},
        {"idle-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &idle_timeout,
         "Close a connection that makes no progress for this long (default 30)", "S"},
        {"header-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &header_timeout,
         "A request's header block must be complete this long after its first byte (default 10)", "S"},
        {"body-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &body_timeout,
         "A request's body must be complete this long after its header (default 60)", "S"},
        {"handshake-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &handshake_timeout,
         "The TLS handshake must be done this long after the accept (default 10)", "S"},
        {"max-connections", 0, 0, G_OPTION_ARG_INT64, &max_connections,
         "Connections open at once; the next closes the oldest idle one, or is refused (default 4096, or what "
         "RLIMIT_NOFILE allows)", "N"},
        {"workers", 0, 0, G_OPTION_ARG_INT64, &workers,
         "Threads serving, each its own event loop and listening socket on the same address (SO_REUSEPORT); the "
         "limits and counters are server-wide (default 1)", "N"},
        {"queue-limit", 0, 0, G_OPTION_ARG_INT64, &queue_limit,
         "Connections waiting while their worker is busy, as the scenario's [acs] queue_limit: the kernel's accept "
         "queue; beyond it SYNs are dropped ([acs] overload = drop_syn) (default 0: a backlog of 128)", "N"},
        {"bandwidth", 0, 0, G_OPTION_ARG_DOUBLE, &bandwidth,
         "Image bytes of the whole server, bit/s, as the scenario's [download] bandwidth (default 0: no cap)", "BPS"},
        {"max-downloads", 0, 0, G_OPTION_ARG_INT64, &max_downloads,
         "Image GETs sending at once, as [download] max_concurrent; more get 503 with Retry-After (default 0: no "
         "limit)", "N"},
        {"scenario", 0, 0, G_OPTION_ARG_FILENAME, &scenario,
         "Take --workers, --max-sessions, --queue-limit ([acs] workers, max_sessions, queue_limit) and --bandwidth, "
         "--max-downloads, --campaign-rate ([download] bandwidth, max_concurrent, campaign_rate), --resumption "
         "([tls] resumption, and its session_lifetime) from this scenario file; options given override",
         "FILE"},
        {"image", 0, 0, G_OPTION_ARG_FILENAME, &image_path,
         "Publish this firmware image: served at /images/<its base name>, offered by Download", "FILE"},
        {"image-version", 0, 0, G_OPTION_ARG_STRING, &image_version,
         "The SoftwareVersion the --image carries: an Inform showing another one gets a Download", "STR"},
        {"golden-version", 0, 0, G_OPTION_ARG_STRING, &golden_version,
         "The golden (recovery) module's SoftwareVersion, or PREFIX* (logged runs=golden; it gets the Download)",
         "STR"},
        {"campaign-rate", 0, 0, G_OPTION_ARG_DOUBLE, &campaign_rate,
         "Downloads per second, as the scenario's [download] campaign_rate: the k-th Download of a burst gets "
         "DelaySeconds ceil(k / R) (default 0: no staggering)", "R"},
        {"max-attempts", 0, 0, G_OPTION_ARG_INT64, &max_attempts,
         "Downloads per device before the ACS gives up on it (download=gave_up; default 3, 0: no limit)", "N"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("— serve the ACS's TLS endpoint (TS 33.320 §8.3.4) on TCP");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "A TR-069 CWMP endpoint (Amendment 6, SOAP 1.1) over TLS with mutual certificate authentication, using "
             "the same profile as the simulation: Inform gets InformResponse, GetRPCMethods the ACS's methods, "
             "TransferComplete its response, an empty POST 204 (the session ends); other RPCs get CWMP fault 8000.  "
             "The HNB is identified by its certificate; an Inform whose DeviceId names another device is denied "
             "(CWMP fault 8001), one without a DeviceId refused (8003); faults travel with HTTP 500.  HTTP/1.1 "
             "requests may be pipelined, chunked or sent with Expect: 100-continue.  The InformResponse sets a session "
             "cookie (TR-069 §3.4.1).\n"
             "With --image and --image-version: an HNB whose Inform shows another SoftwareVersion gets a Download "
             "(A.3.2.8) naming https://HOST/images/NAME on this listener in answer to its empty POST; GET and HEAD of "
             "that URL serve the file with a strong ETag (its SHA-256) and byte ranges (RFC 7233); TransferComplete "
             "is answered and its fault code logged.  The image's manifest (name, version, size, SHA-256), signed with "
             "the PKI's software-signing key (signing.key; --image is refused without it), is served at "
             "/images/NAME.manifest for the HNB's TrE to verify with signing.pem (TS 33.320 §6.1).  The campaign "
             "keeps per-device state: at most --max-attempts Downloads per device (retries after a TransferComplete "
             "fault such as 9010 or 9017), DelaySeconds staggered by --campaign-rate; the Download carries "
             "cwmp:HoldRequests true.\n"
             "With --max-sessions N: a connection's first POST beyond N open sessions gets CWMP fault 8005 (Retry "
             "request) with HTTP 503 and Retry-After, then the connection closes (TR-069 Amendment 6, A.5); image "
             "GETs are not sessions.\n"
             "Bad peers: a TLS handshake not done within --handshake-timeout, a request header not complete within "
             "--header-timeout of its first byte (a slow client, slowloris), or a body not complete within "
             "--body-timeout of its header, is closed however steadily its bytes come; no progress at all for "
             "--idle-timeout closes any connection; beyond --max-connections the oldest connection that holds nothing "
             "is closed for the new one (or the new one is refused).\n"
             "Sessions across connections (TR-069 §3.4.1, §3.7.1): an informed session whose connection the HNB cut "
             "is kept --session-linger seconds (at most --max-connections of them, the oldest evicted); a new "
             "connection whose first POST brings its hnbsim-session cookie with the same certificate identity goes on "
             "with it (its log line says cwmp_resumed=1, the cut one's parked=1); the cookie from another identity is "
             "denied (8001); an unknown or expired one opens a new session, which must start with an Inform.\n"
             "--metrics serves counters in the Prometheus text format on a loopback port.\n"
             "Prints `listening on HOST:PORT` on stdout once ready; logs one line per connection on stderr.  "
             "SIGTERM or SIGINT stops accepting, lets open sessions finish for --grace seconds, closes the rest, logs "
             "a summary line and exits 0.");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return hnb_cli_fail(error);
    if (argc > 1) {
        fprintf(stderr, "hnbsim acs: unexpected argument \"%s\"\n", argv[1]);
        return HNB_EXIT_INPUT;
    }
    if (!listen_spec || !pki_dir) {
        fprintf(stderr, "hnbsim acs: --listen HOST:PORT and --pki DIR are required\n");
        return HNB_EXIT_INPUT;
    }
    const ScenarioKey keys[] = {
        {"acs", "workers", "workers", &workers, NULL, 256},
        {"acs", "max_sessions", "max-sessions", &max_sessions, NULL, G_MAXINT64},
        {"acs", "queue_limit", "queue-limit", &queue_limit, NULL, 65536},
        {"download", "bandwidth", "bandwidth", NULL, &bandwidth, 0},
        {"download", "max_concurrent", "max-downloads", &max_downloads, NULL, G_MAXINT64},
        {"download", "campaign_rate", "campaign-rate", NULL, &campaign_rate, 0},
    };
    if (scenario && !capacity_from_scenario(scenario, keys, G_N_ELEMENTS(keys), &resumption, &session_lifetime))
        return HNB_EXIT_INPUT;
    /* what neither gave: ids, hnb_tls_config_init's default, as a simulation's H(e)MS offers */
    HnbTlsResumption resume = HNB_TLS_RESUME_IDS;
    if (g_strcmp0(resumption, "none") == 0)
        resume = HNB_TLS_RESUME_NONE;
    else if (g_strcmp0(resumption, "tickets") == 0)
        resume = HNB_TLS_RESUME_TICKETS;
    else if (resumption && strcmp(resumption, "ids") != 0) {
        fprintf(stderr, "hnbsim acs: --resumption must be none, ids or tickets\n");
        return HNB_EXIT_INPUT;
    }
    /* what neither gave: the defaults (no limit, one worker) */
    workers = workers == NOT_GIVEN ? 1 : workers;
    max_sessions = max_sessions == NOT_GIVEN ? 0 : max_sessions;
    queue_limit = queue_limit == NOT_GIVEN ? 0 : queue_limit;
    max_downloads = max_downloads == NOT_GIVEN ? 0 : max_downloads;
    bandwidth = isnan(bandwidth) ? 0 : bandwidth;
    campaign_rate = isnan(campaign_rate) ? 0 : campaign_rate;
    if (scenario) /* what the scenario and the options made of it, for whoever reads the log */
        fprintf(stderr, "acs: capacity workers=%" G_GINT64_FORMAT " max_sessions=%" G_GINT64_FORMAT " queue_limit=%"
                G_GINT64_FORMAT " bandwidth=%g max_downloads=%" G_GINT64_FORMAT " campaign_rate=%g\n", workers,
                max_sessions, queue_limit, bandwidth, max_downloads, campaign_rate);
    if (scenario)
        fprintf(stderr, "acs: tls resumption=%s session_lifetime=%lds\n",
                resume == HNB_TLS_RESUME_NONE ? "none" : resume == HNB_TLS_RESUME_IDS ? "ids" : "tickets",
                session_lifetime);
    if (exit_after < 0 || max_sessions < 0) {
        fprintf(stderr, "hnbsim acs: --exit-after and --max-sessions must be >= 0\n");
        return HNB_EXIT_INPUT;
    }
    if (retry_after < 1 || retry_after > 86400) {
        fprintf(stderr, "hnbsim acs: --retry-after must be 1..86400 seconds\n");
        return HNB_EXIT_INPUT;
    }
    if (!(idle_timeout > 0 && idle_timeout <= 3600) || !(header_timeout > 0 && header_timeout <= 3600) ||
        !(body_timeout > 0 && body_timeout <= 3600) ||
        !(handshake_timeout > 0 && handshake_timeout <= 3600)) {
        fprintf(stderr, "hnbsim acs: --idle-timeout, --header-timeout, --body-timeout and --handshake-timeout must "
                        "be in (0, 3600] seconds\n");
        return HNB_EXIT_INPUT;
    }
    if (max_connections < 1 || max_connections > 1000000) {
        fprintf(stderr, "hnbsim acs: --max-connections must be 1..1000000\n");
        return HNB_EXIT_INPUT;
    }
    if (!(bandwidth == 0 || (bandwidth >= 1000 && bandwidth <= 1e14)) || max_downloads < 0) {
        fprintf(stderr, "hnbsim acs: --bandwidth must be 0 or 1000..1e14 bit/s, --max-downloads >= 0\n");
        return HNB_EXIT_INPUT;
    }
    if (queue_limit < 0 || queue_limit > 65536) {
        fprintf(stderr, "hnbsim acs: --queue-limit must be 0..65536\n");
        return HNB_EXIT_INPUT;
    }
    if (workers < 1 || workers > 256) {
        fprintf(stderr, "hnbsim acs: --workers must be 1..256\n");
        return HNB_EXIT_INPUT;
    }
    if (!(grace >= 0 && grace <= 3600)) {
        fprintf(stderr, "hnbsim acs: --grace must be 0..3600 seconds\n");
        return HNB_EXIT_INPUT;
    }
    if (!(session_linger >= 0 && session_linger <= 3600)) {
        fprintf(stderr, "hnbsim acs: --session-linger must be 0..3600 seconds\n");
        return HNB_EXIT_INPUT;
    }

    if ((image_path == NULL) != (image_version == NULL) || (image_version && !image_version[0])) {
        fprintf(stderr, "hnbsim acs: --image FILE and --image-version STR go together\n");
        return HNB_EXIT_INPUT;
    }
    if (!(campaign_rate >= 0 && campaign_rate <= 1e6) || max_attempts < 0 || max_attempts > 1000000) {
        fprintf(stderr, "hnbsim acs: --campaign-rate must be 0..1000000 per second, --max-attempts 0..1000000\n");
        return HNB_EXIT_INPUT;
    }
    if (!image_path && golden_version) {
        fprintf(stderr, "hnbsim acs: --golden-version needs --image (the golden module is recovered to it)\n");
        return HNB_EXIT_INPUT;
    }
    if (golden_version && (!golden_version[0] || strcmp(golden_version, "*") == 0 ||
                           strcmp(golden_version, image_version ? image_version : "") == 0)) {
        fprintf(stderr, "hnbsim acs: --golden-version must name the golden module, not every version or the "
                        "published one\n");
        return HNB_EXIT_INPUT;
    }
    g_autofree char *signing_key = g_build_filename(pki_dir, "signing.key", NULL);
    if (image_path && !g_file_test(signing_key, G_FILE_TEST_IS_REGULAR)) {
        fprintf(stderr, "hnbsim acs: --image needs the PKI's software-signing key to sign the image's manifest, and "
                        "%s is missing (export the PKI with `hnbsim pki --out DIR`)\n", signing_key);
        return HNB_EXIT_INPUT;
    }
    HnbAcsImage image = {.fd = -1};
    if (image_path && !hnb_acs_image_open(&image, image_path, image_version, &error)) {
        fprintf(stderr, "hnbsim acs: --image %s\n", error->message);
        g_error_free(error);
        return HNB_EXIT_INPUT;
    }

    g_autoptr(HnbPki) pki = hnb_pki_open_export(pki_dir, &error);
    if (!pki) {
        hnb_acs_image_close(&image);
        return hnb_cli_fail(error);
    }
    g_autoptr(HnbAcsCampaign) campaign = NULL;
    if (image_path) {
        if (!sign_image(&image, pki, &error)) {
            g_prefix_error(&error, "--image %s: ", image_path);
            hnb_acs_image_close(&image);
            return hnb_cli_fail(error);
        }
        HnbAcsCampaignParams cp = {.published_version = image_version, .golden_version = golden_version,
                                   .rate = campaign_rate, .max_attempts = (guint)max_attempts};
        campaign = hnb_acs_campaign_new(&cp);
    }
    HnbAcsServeOptions opts = {.listen = listen_spec, .pki = pki, .tls11 = tls11, .exit_after = exit_after,
                               .max_sessions = max_sessions, .retry_after = (guint)retry_after, .metrics = metrics,
                               .grace = grace, .image = image_path ? &image : NULL, .idle_timeout = idle_timeout,
                               .header_timeout = header_timeout, .body_timeout = body_timeout, .handshake_timeout = handshake_timeout,
                               .max_connections = max_connections, .workers = (guint)workers,
                               .queue_limit = queue_limit, .bandwidth = bandwidth,
                               .max_downloads = max_downloads, .campaign = campaign,
                               .session_linger = session_linger, .resumption = resume,
                               .session_lifetime = session_lifetime};
    gboolean ok = hnb_acs_serve(&opts, &error);
    hnb_acs_image_close(&image);
    if (!ok) {
        if (!g_str_has_prefix(error->message, "--listen") && !g_str_has_prefix(error->message, "--metrics"))
            g_prefix_error(&error, "--pki %s: ", pki_dir);
        return hnb_cli_fail(error);
    }
    return HNB_EXIT_OK;
}
