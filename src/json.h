/*
 * Reading the cJSON trees a module has parsed (the trees themselves stay
 * in that module). Functions return a pointer into the tree, or NULL.
 */
#ifndef JSON_H
#define JSON_H

#include <cJSON.h>

/*
 * obj[key] when it is a string, else NULL: a missing member and one of
 * another type read the same. The string belongs to the tree.
 */
char *json_string(const cJSON *obj, const char *key);

#endif
