#include "suggest.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MIN3(a, b, c) ((a) < (b) ? ((a) < (c) ? (a) : (c)) \
    : ((b) < (c) ? (b) : (c)))

size_t
suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), w = lb + 1, d;
	size_t *m;

	/* Words on a command line are short: a whole matrix is fine. */
	m = xcalloc((la + 1) * w, sizeof(*m));
	for (size_t i = 0; i <= la; i++)
		m[i * w] = i;
	for (size_t j = 0; j <= lb; j++)
		m[j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];

			m[i * w + j] = MIN3(m[(i - 1) * w + j] + 1,
			    m[i * w + j - 1] + 1, m[(i - 1) * w + j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] &&
			    m[(i - 2) * w + j - 2] + 1 < m[i * w + j])
				m[i * w + j] = m[(i - 2) * w + j - 2] + 1;
		}
	d = m[la * w + lb];
	free(m);
	return d;
}

const char *
suggest_nearest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL, *prefix = NULL;
	size_t best_d = (size_t)-1, len = strlen(word), nprefix = 0, limit;

	for (size_t i = 0; i < n; i++) {
		size_t d = suggest_distance(word, candidates[i]);

		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
		if (len >= 3 && strncmp(candidates[i], word, len) == 0) {
			prefix = candidates[i];
			nprefix++;
		}
	}
	limit = len / 3 < 3 ? len / 3 : 3;
	if (limit < 1)
		limit = 1;
	if (best != NULL && best_d <= limit)
		return best;
	return nprefix == 1 ? prefix : NULL;
}
