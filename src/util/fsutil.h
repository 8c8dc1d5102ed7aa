/*
 * fsutil: whole-file reads, atomic writes, directories.
 *
 * ll_write_file_atomic writes to a temporary file beside the target, fsyncs
 * it, renames it over the target and fsyncs the directory, so a crash leaves
 * either the old file or the new one, never half of one.
 */
#ifndef LL_FSUTIL_H
#define LL_FSUTIL_H

#include <stddef.h>
#include "util/err.h"

/* Read a whole file; *data (caller frees) is NUL-terminated. */
int ll_read_file(const char *path, char **data, size_t *len, ll_err *err);
/* A symbolic link is followed: the file it points to is replaced, the link
 * kept.  The temporary file is PATH.tmp.PID.XXXXXX. */
int ll_write_file_atomic(const char *path, const void *data, size_t len,
                         ll_err *err);
/* Remove the temporary file of a write in progress (async-signal-safe: for
 * handlers of fatal signals). */
void ll_write_abort(void);
/* Remove PATH.tmp.PID.* files left by writers that no longer run. */
void ll_remove_stale_tmp(const char *path);
/* Write all n bytes to fd, retrying short writes and EINTR: 0, or -1 with
 * errno set (async-signal-safe). */
int ll_write_fd(int fd, const void *p, size_t n);
/* mkdir -p; existing directories are fine. */
int ll_mkdir_p(const char *path, ll_err *err);
int ll_file_exists(const char *path);
/* The extension after the last dot of the last path part ("" if none). */
const char *ll_path_ext(const char *path);
/* Remove a file or a whole directory tree; a missing path is fine. */
int ll_remove_tree(const char *path, ll_err *err);

#endif
