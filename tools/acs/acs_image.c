/* tools/acs/acs_image.c — the image's representation, ranges and response headers (see acs_image.h). */
#include "tools/acs/acs_image.h"
#include "tools/acs/acs_http.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

gboolean hnb_acs_image_open(HnbAcsImage *img, const char *path, const char *version, GError **error)
{
    memset(img, 0, sizeof *img);
    img->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (img->fd < 0 || fstat(img->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = img->fd < 0 ? errno : EINVAL;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
                    img->fd < 0 ? g_strerror(e) : "not a regular file");
        if (img->fd >= 0)
            close(img->fd);
        img->fd = -1;
        return FALSE;
    }
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    guchar buf[65536];
    guint64 total = 0;
    ssize_t n;
    while ((n = pread(img->fd, buf, sizeof buf, (off_t)total)) > 0) {
        g_checksum_update(sum, buf, n);
        total += (guint64)n;
    }
    if (n < 0) {
        int e = errno;
        g_checksum_free(sum);
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path, g_strerror(e));
        close(img->fd);
        img->fd = -1;
        return FALSE;
    }
    gsize dlen = sizeof img->sha256;
    const char *hex = g_checksum_get_string(sum);
    g_checksum_get_digest(sum, img->sha256, &dlen);
    g_snprintf(img->etag, sizeof img->etag, "\"%s\"", hex);
    g_strlcpy(img->command_key, hex, sizeof img->command_key);
    g_checksum_free(sum);
    img->size = total;
    img->name = g_path_get_basename(path);
    img->version = g_strdup(version);
    return TRUE;
}

void hnb_acs_image_close(HnbAcsImage *img)
{
    if (img->fd >= 0)
        close(img->fd);
    g_free(img->name);
    g_free(img->version);
    g_free(img->manifest);
    memset(img, 0, sizeof *img);
    img->fd = -1;
}

void hnb_acs_image_set_manifest(HnbAcsImage *img, char *text)
{
    g_free(img->manifest);
    img->manifest = text;
}

/* Digits only, into *v; FALSE if empty, not digits or beyond 2^63. */
static gboolean parse_pos(const char *s, size_t len, guint64 *v)
{
    if (len == 0 || len > 18)
        return FALSE;
    *v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isdigit(s[i]))
            return FALSE;
        *v = *v * 10 + (guint64)(s[i] - '0');
    }
    return TRUE;
}

HnbAcsRange hnb_acs_range_parse(const char *header, guint64 size, guint64 *first, guint64 *last)
{
    if (!header)
        return HNB_ACS_RANGE_NONE;
    while (*header == ' ' || *header == '\t')
        header++;
    if (g_ascii_strncasecmp(header, "bytes=", 6) != 0)
        return HNB_ACS_RANGE_NONE; /* another unit: ignored */
    g_autofree char *spec = g_strstrip(g_strdup(header + 6));
    if (strchr(spec, ','))
        return HNB_ACS_RANGE_NONE; /* several ranges: the whole file instead of multipart/byteranges */
    const char *dash = strchr(spec, '-');
    if (!dash)
        return HNB_ACS_RANGE_NONE;
    size_t a_len = (size_t)(dash - spec), b_len = strlen(dash + 1);
    guint64 a = 0, b = 0;
    if (a_len == 0) { /* suffix: the last n bytes */
        if (!parse_pos(dash + 1, b_len, &b))
            return HNB_ACS_RANGE_NONE;
        if (b == 0 || size == 0)
            return HNB_ACS_RANGE_UNSATISFIABLE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return HNB_ACS_RANGE_OK;
    }
    if (!parse_pos(spec, a_len, &a))
        return HNB_ACS_RANGE_NONE;
    if (b_len == 0) {
        b = G_MAXUINT64;
    } else if (!parse_pos(dash + 1, b_len, &b) || b < a) {
        return HNB_ACS_RANGE_NONE; /* last < first: syntactically invalid, ignored (§2.1) */
    }
    if (a >= size)
        return HNB_ACS_RANGE_UNSATISFIABLE;
    *first = a;
    *last = b >= size ? size - 1 : b;
    return HNB_ACS_RANGE_OK;
}

gboolean hnb_acs_image_url(const char *url)
{
    return url && g_str_has_prefix(url, HNB_ACS_IMAGE_PREFIX);
}

/* The URL's name under /images/, percent-decoded (query dropped); NULL if it does not decode. */
static char *name_of(const char *url)
{
    const char *p = url + strlen(HNB_ACS_IMAGE_PREFIX);
    size_t n = strcspn(p, "?#");
    g_autofree char *raw = g_strndup(p, n);
    return g_uri_unescape_string(raw, "/");
}

static void text_answer(GString *out, int status, const char *text, const char *extra, gboolean close)
{
    hnb_acs_http_respond(out, status, "text/plain; charset=utf-8", text, strlen(text), extra, close);
}

int hnb_acs_image_answer(const HnbAcsImage *img, gboolean head, const char *url, const char *range,
                         const char *if_range, gboolean close, GString *out, guint64 *body_off, guint64 *body_len)
{
    *body_off = *body_len = 0;
    g_autofree char *name = name_of(url);
    if (img && img->manifest && name && g_str_has_prefix(name, img->name) &&
        strcmp(name + strlen(img->name), HNB_ACS_MANIFEST_SUFFIX) == 0) {
        size_t n = strlen(img->manifest);
        hnb_acs_http_respond(out, 200, "text/plain; charset=utf-8", img->manifest, n, NULL, close);
        if (head)
            g_string_truncate(out, out->len - n); /* the same header block, no body (RFC 7231 §4.3.2) */
        return 200;
    }
    if (!img || !name || strcmp(name, img->name) != 0) {
        text_answer(out, 404, "404 Not Found: no such image\n", NULL, close);
        return 404;
    }
    guint64 first = 0, last = 0;
    HnbAcsRange r = head ? HNB_ACS_RANGE_NONE : hnb_acs_range_parse(range, img->size, &first, &last);
    if (r != HNB_ACS_RANGE_NONE && if_range) {
        g_autofree char *v = g_strstrip(g_strdup(if_range));
        if (strcmp(v, img->etag) != 0) /* strong comparison; a date or a weak or other tag: the whole file */
            r = HNB_ACS_RANGE_NONE;
    }
    int status = 200;
    g_autofree char *extra = NULL;
    if (r == HNB_ACS_RANGE_UNSATISFIABLE) {
        g_autofree char *cr = g_strdup_printf("Content-Range: bytes */%" G_GUINT64_FORMAT "\r\nETag: %s\r\n"
                                              "Accept-Ranges: bytes\r\n", img->size, img->etag);
        text_answer(out, 416, "416 Range Not Satisfiable\n", cr, close);
        return 416;
    }
    if (r == HNB_ACS_RANGE_OK) {
        status = 206;
        *body_off = first;
        *body_len = last - first + 1;
        extra = g_strdup_printf("Content-Range: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                                "\r\n", first, last, img->size);
    } else {
        *body_len = img->size;
    }
    g_string_append_printf(out, "HTTP/1.1 %d %s\r\nServer: hnbsim/%s\r\nContent-Type: application/octet-stream\r\n"
                                "Content-Length: %" G_GUINT64_FORMAT "\r\nETag: %s\r\nAccept-Ranges: bytes\r\n%s%s\r\n",
                           status, hnb_acs_http_status_text(status), HNB_VERSION, *body_len, img->etag,
                           extra ? extra : "", close ? "Connection: close\r\n" : "");
    if (head)
        *body_len = 0;
    return status;
}
