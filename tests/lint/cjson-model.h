/*
 * Included ahead of every file by make lint, for clang-tidy's static
 * analyzer only: cJSON's type predicates live in the shared library, where
 * the analyzer cannot see that they return false for NULL, so it reports
 * a NULL dereference after every `if (cJSON_IsString(item)) item->...`.
 * These macros say what cJSON.c does (cJSON 1.7: NULL is false, then
 * the low byte of type). The include guard makes the files' own
 * #include <cJSON.h> a no-op after this one.
 */
#ifndef LINT_CJSON_MODEL_H
#define LINT_CJSON_MODEL_H

#include <cJSON.h>

#define LINT_CJSON_IS(item, t) ((item) != NULL && ((item)->type & 0xFF) == (t))
#define cJSON_IsInvalid(item)	LINT_CJSON_IS(item, cJSON_Invalid)
#define cJSON_IsFalse(item)	LINT_CJSON_IS(item, cJSON_False)
#define cJSON_IsTrue(item)	LINT_CJSON_IS(item, cJSON_True)
#define cJSON_IsBool(item) \
	((item) != NULL && ((item)->type & (cJSON_True | cJSON_False)) != 0)
#define cJSON_IsNull(item)	LINT_CJSON_IS(item, cJSON_NULL)
#define cJSON_IsNumber(item)	LINT_CJSON_IS(item, cJSON_Number)
#define cJSON_IsString(item)	LINT_CJSON_IS(item, cJSON_String)
#define cJSON_IsArray(item)	LINT_CJSON_IS(item, cJSON_Array)
#define cJSON_IsObject(item)	LINT_CJSON_IS(item, cJSON_Object)
#define cJSON_IsRaw(item)	LINT_CJSON_IS(item, cJSON_Raw)

#endif
