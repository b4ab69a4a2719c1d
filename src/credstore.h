/*
 * The encrypted credential store written by `connect`, and its key file.
 * The only place a key is read. AES-256-GCM, a fresh random 96-bit nonce
 * per write, the versioned header as associated data.
 *
 * File layout: "BTCS" | version (1 byte, 1) | nonce (12) | ciphertext | tag
 * (16). The plaintext is JSON: {"access_key_id","secret_access_key",
 * "session_token" (optional),"regions":[...],"role_arn" and "external_id"
 * (optional: a role to assume with the keys; older stores have none)}.
 *
 * Functions return 0 on success or a sysexits(3) code after reporting:
 * EX_CONFIG for a key file or store that group or others can read (the
 * message names the file and its mode), EX_DATAERR for a tampered,
 * truncated or wrong-key store, EX_IOERR / EX_CANTCREAT for I/O.
 */
#ifndef CREDSTORE_H
#define CREDSTORE_H

#include <stdbool.h>

#include "credentials.h"

/* Loads the store into out (source CRED_STORE). *found false: no store. */
int credstore_load(const char *store_path, const char *key_path,
    struct credentials *out, bool *found);

/*
 * Writes creds (key id, secret, token, regions, role) atomically with mode 0600,
 * creating the key file (32 random bytes, 0600, O_EXCL) if it is missing.
 * Refuses a key directory that others can write.
 */
int credstore_save(const char *store_path, const char *key_path,
    const struct credentials *creds);

/* Deletes the store; *existed says whether there was one. */
int credstore_remove(const char *store_path, bool *existed);

#endif
