/* results/rundir.c — run directories that appear whole or not at all.
 *
 * Everything is written under DIR.tmp; commit renames it to DIR.  With --force an existing DIR is first renamed aside
 * to DIR.old-N, the new tree renamed into place, and only then the old one removed, so a failure at any step leaves
 * either the old DIR or the new one, never neither.  A failed commit also removes DIR.tmp: the caller has lost rd and
 * could not clean it up itself (and the next begin would remove it anyway).
 *
 * Removal never follows symbolic links: a link inside a run directory is unlinked, not descended into.
 */
#include "results/results.h"
#include "sim/time.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct HnbRunDir {
    char *dir; /* as given, without trailing separators; NULL for a sub-directory view */
    char *tmp; /* dir + ".tmp" (a view: the parent's tmp + "/" + name) */
    gboolean force;
};

static void rundir_free(HnbRunDir *rd)
{
    g_free(rd->dir);
    g_free(rd->tmp);
    g_free(rd);
}

/* TRUE if something (file, directory, dangling link) exists at path. */
static gboolean exists(const char *path)
{
    GStatBuf st;
    return g_lstat(path, &st) == 0;
}

/* Remove path and, if it is a directory, everything under it (rm -r without following links).  A missing path is
 * not an error. */
static gboolean remove_tree(const char *path, GError **error)
{
    GStatBuf st;
    if (g_lstat(path, &st) != 0) {
        int e = errno;
        if (e == ENOENT)
            return TRUE;
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", path, g_strerror(e));
        return FALSE;
    }
    if (S_ISDIR(st.st_mode)) {
        GError *local = NULL;
        GDir *d = g_dir_open(path, 0, &local);
        if (d == NULL) {
            g_set_error_literal(error, HNB_ERROR, HNB_ERROR_RUN, local->message); /* names the path */
            g_error_free(local);
            return FALSE;
        }
        const char *name;
        while ((name = g_dir_read_name(d)) != NULL) { /* never returns "." or ".." */
            g_autofree char *child = g_build_filename(path, name, NULL);
            if (!remove_tree(child, error)) {
                g_dir_close(d);
                return FALSE;
            }
        }
        g_dir_close(d);
        if (g_rmdir(path) != 0) {
            int e = errno;
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: cannot remove: %s", path, g_strerror(e));
            return FALSE;
        }
        return TRUE;
    }
    if (g_unlink(path) != 0) {
        int e = errno;
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: cannot remove: %s", path, g_strerror(e));
        return FALSE;
    }
    return TRUE;
}

HnbRunDir *hnb_rundir_begin(const char *dir, gboolean force, GError **error)
{
    g_return_val_if_fail(dir != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    /* "out/" must mean out and out.tmp, not out/.tmp */
    g_autofree char *clean = g_strdup(dir);
    size_t n = strlen(clean);
    while (n > 1 && G_IS_DIR_SEPARATOR(clean[n - 1]))
        clean[--n] = '\0';
    if (n == 0 || G_IS_DIR_SEPARATOR(clean[n - 1]) || strcmp(clean, ".") == 0 || strcmp(clean, "..") == 0 ||
        g_str_has_suffix(clean, G_DIR_SEPARATOR_S ".") || g_str_has_suffix(clean, G_DIR_SEPARATOR_S "..")) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "\"%s\": not usable as a run directory", dir);
        return NULL;
    }
    if (!force && exists(clean)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: exists; use --force to replace it", clean);
        return NULL;
    }

    HnbRunDir *rd = g_new0(HnbRunDir, 1);
    rd->dir = g_steal_pointer(&clean);
    rd->tmp = g_strconcat(rd->dir, ".tmp", NULL);
    rd->force = force;

    /* a DIR.tmp is always left over from a crashed or killed run: ours to remove */
    if (!remove_tree(rd->tmp, error)) {
        g_prefix_error(error, "removing a stale temporary directory: ");
        rundir_free(rd);
        return NULL;
    }
    if (g_mkdir_with_parents(rd->tmp, 0777) != 0) {
        int e = errno;
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: cannot create: %s", rd->tmp, g_strerror(e));
        rundir_free(rd);
        return NULL;
    }
    return rd;
}

const char *hnb_rundir_tmp_path(const HnbRunDir *rd)
{
    g_return_val_if_fail(rd != NULL, NULL);
    return rd->tmp;
}

/* A relative path that stays inside the run directory: no leading separator, no ".." component. */
static gboolean relpath_ok(const char *relpath)
{
    if (relpath[0] == '\0' || g_path_is_absolute(relpath))
        return FALSE;
    g_auto(GStrv) parts = g_strsplit_set(relpath, "/\\", -1);
    for (char **p = parts; *p != NULL; p++)
        if (strcmp(*p, "..") == 0)
            return FALSE;
    return TRUE;
}

HnbRunDir *hnb_rundir_sub(HnbRunDir *rd, const char *name)
{
    g_return_val_if_fail(rd != NULL && name != NULL && relpath_ok(name), NULL);
    HnbRunDir *sub = g_new0(HnbRunDir, 1);
    sub->tmp = g_build_filename(rd->tmp, name, NULL);
    return sub;
}

void hnb_rundir_sub_free(HnbRunDir *sub)
{
    if (!sub)
        return;
    g_return_if_fail(sub->dir == NULL); /* a real run directory ends with commit or abort */
    rundir_free(sub);
}

gboolean hnb_rundir_write(HnbRunDir *rd, const char *relpath, const char *data, gssize len, GError **error)
{
    g_return_val_if_fail(rd != NULL, FALSE);
    g_return_val_if_fail(relpath != NULL && relpath_ok(relpath), FALSE);
    g_return_val_if_fail(data != NULL || len == 0, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    size_t size = len < 0 ? strlen(data) : (size_t)len;
    g_autofree char *path = g_build_filename(rd->tmp, relpath, NULL);
    g_autofree char *parent = g_path_get_dirname(path);
    if (g_mkdir_with_parents(parent, 0777) != 0) {
        int e = errno;
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: cannot create: %s", parent, g_strerror(e));
        return FALSE;
    }

    /* Plain stdio rather than g_file_set_contents: the whole tree is already temporary, so the extra
     * write-to-temp-and-rename per file buys nothing, and this way the message is ours ("path: reason"). */
    FILE *f = g_fopen(path, "wb");
    if (f == NULL) {
        int e = errno;
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", path, g_strerror(e));
        return FALSE;
    }
    gboolean ok = size == 0 || fwrite(data, 1, size, f) == size;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = FALSE;
        e = errno;
    }
    if (!ok) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", path, g_strerror(e));
        return FALSE;
    }
    return TRUE;
}

/* A name beside dir that nothing occupies yet, for moving an old DIR out of the way. */
static char *aside_name(const char *dir)
{
    for (unsigned i = 0;; i++) {
        char *name = g_strdup_printf("%s.old-%u", dir, i);
        if (!exists(name))
            return name;
        g_free(name);
    }
}

gboolean hnb_rundir_commit(HnbRunDir *rd, GError **error)
{
    g_return_val_if_fail(rd != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    g_autofree char *old = NULL;
    if (exists(rd->dir)) {
        if (!rd->force) { /* appeared since begin */
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: exists; use --force to replace it", rd->dir);
            goto fail;
        }
        old = aside_name(rd->dir);
        if (g_rename(rd->dir, old) != 0) {
            int e = errno;
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: cannot move aside to %s: %s", rd->dir, old,
                        g_strerror(e));
            goto fail;
        }
    }
    if (g_rename(rd->tmp, rd->dir) != 0) {
        int e = errno;
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: cannot rename to %s: %s", rd->tmp, rd->dir, g_strerror(e));
        if (old != NULL && g_rename(old, rd->dir) != 0) {
            int e2 = errno;
            g_prefix_error(error, "previous contents left in %s (%s): ", old, g_strerror(e2));
        }
        goto fail;
    }
    if (old != NULL) {
        /* The new DIR is in place; a leftover old tree is litter, not a failed run. */
        GError *local = NULL;
        if (!remove_tree(old, &local)) {
            g_warning("%s: replaced, but the previous contents could not be removed: %s", rd->dir, local->message);
            g_error_free(local);
        }
    }
    rundir_free(rd);
    return TRUE;

fail:
    hnb_rundir_abort(rd);
    return FALSE;
}

void hnb_rundir_abort(HnbRunDir *rd)
{
    if (rd == NULL)
        return;
    GError *local = NULL;
    if (!remove_tree(rd->tmp, &local)) {
        g_warning("%s", local->message);
        g_error_free(local);
    }
    rundir_free(rd);
}
