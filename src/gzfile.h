/*
 * Reading a file that may be gzip-compressed, as zcat -f does: gzip data
 * is inflated, anything else is read as it is. Rotated record files
 * (records.jsonl.2.gz) read like the live one.
 */
#ifndef GZFILE_H
#define GZFILE_H

#include <stdio.h>

/*
 * Opens path for reading through zlib and returns a stdio stream, or NULL
 * with errno set (EISDIR for a directory). A corrupt or truncated gzip
 * stream is a read error (ferror) after a message naming the file.
 * fclose closes it.
 */
FILE *gzfile_open(const char *path);

struct strlist;

/*
 * path and what logrotate made of it, oldest first: path.N[.gz] down to
 * path.1[.gz], then path. Only files that exist; numbering stops at the
 * first gap. Returns how many were added to out.
 */
size_t gzfile_rotations(const char *path, struct strlist *out);

#endif
