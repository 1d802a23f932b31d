/* tools/acs/acs_image.h — the published image over HTTPS: `GET /images/NAME` and HEAD, with byte ranges.
 *
 *   - the file is opened once (hnb_acs_image_open) and hashed: its SHA-256 in hex, quoted, is the strong ETag
 *     (RFC 7232 §2.3), and its first 16 hex digits the Download's CommandKey; the file must not change while served;
 *   - `Accept-Ranges: bytes`; one range of `Range: bytes=a-b`, `a-` or `-n` (RFC 7233 §2.1) gets 206 with
 *     Content-Range; a range that starts past the end (or `-0`) gets 416 with a Content-Range of `bytes *` then `/SIZE`
 *     (§4.4); a Range that does not parse, or asks for several ranges, is ignored: 200 with the whole file (§3.1
 *     allows it); Range on HEAD is ignored (§3.1: GET only);
 *   - `If-Range` (§3.2): the range is served only if it names the current ETag (strong comparison); a date or another
 *     ETag gets the whole file;
 *   - `GET /images/NAME.manifest` (and HEAD) is the image's signed manifest when one is set (text/plain, the form of
 *     crypto/image.h's hnb_image_signed_to_text: what the HNB's TrE verifies against the SHA-256 of the bytes it
 *     downloaded with the verification certificate, TS 33.320 §6.1); no ranges, it is small;
 *   - a name other than these is 404.
 * Nothing here touches a socket: the caller sends the header block built here, then the file's bytes
 * [body_off, body_off + body_len) read from img->fd as the socket accepts them.
 */
#ifndef HNB_ACS_IMAGE_H
#define HNB_ACS_IMAGE_H

#include <glib.h>

#define HNB_ACS_IMAGE_PREFIX "/images/"

typedef struct {
    char *name;           /* the file's base name: served at /images/NAME */
    char *version;        /* the SoftwareVersion it carries */
    int fd;               /* open read-only, for pread */
    guint64 size;
    char etag[67];        /* "\"" 64 hex "\"" */
    char command_key[17]; /* first 16 hex digits of the SHA-256 */
    guint8 sha256[32];    /* the file's digest, for its manifest */
    char *manifest;       /* the signed manifest served at /images/NAME.manifest, or NULL */
} HnbAcsImage;

#define HNB_ACS_MANIFEST_SUFFIX ".manifest"

/* Open and hash `path`.  FALSE with *error (G_FILE_ERROR) if it cannot be read or is not a regular file. */
gboolean hnb_acs_image_open(HnbAcsImage *img, const char *path, const char *version, GError **error);
void hnb_acs_image_close(HnbAcsImage *img);
/* Serve `text` (taken) as the image's signed manifest. */
void hnb_acs_image_set_manifest(HnbAcsImage *img, char *text);

typedef enum {
    HNB_ACS_RANGE_NONE,          /* no Range, or one to ignore: the whole file */
    HNB_ACS_RANGE_OK,            /* bytes [*first, *last] */
    HNB_ACS_RANGE_UNSATISFIABLE, /* 416 */
} HnbAcsRange;

/* A Range header's one byte range against a representation of `size` bytes. */
HnbAcsRange hnb_acs_range_parse(const char *header, guint64 size, guint64 *first, guint64 *last);

/* TRUE if `url`'s path is under /images/ (the caller then answers it with hnb_acs_image_answer). */
gboolean hnb_acs_image_url(const char *url);

/* Answer GET (head FALSE) or HEAD of `url` (under /images/; img NULL: none published, 404): the status; the header
 * block (and the short text body of a 404/416) appended to `out`; the file's bytes to send after it in
 * *body_off and *body_len (0 for HEAD and errors). */
int hnb_acs_image_answer(const HnbAcsImage *img, gboolean head, const char *url, const char *range,
                         const char *if_range, gboolean close, GString *out, guint64 *body_off, guint64 *body_len);

#endif
