/*
 * "Did you mean": the nearest of a list of words to a mistyped one, by
 * edit distance (Damerau-Levenshtein with adjacent swaps, as git does for
 * commands).
 */
#ifndef SUGGEST_H
#define SUGGEST_H

#include <stddef.h>

/*
 * The candidate nearest to word, or NULL when none is near enough to be
 * a likely typo (at most a third of the word's length, and at most 3
 * edits). An exact prefix of exactly one candidate also counts.
 */
const char *suggest_nearest(const char *word, const char *const *candidates,
    size_t n);

/* The edit distance between a and b (exposed for tests). */
size_t suggest_distance(const char *a, const char *b);

#endif
