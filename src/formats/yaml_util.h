/*
 * yaml_util.h - what the YAML loaders (lexicons, the protocol and policy)
 * share: gathering errors at file:line:column and reporting them in file
 * order, placing a node in the file, reading scalars, mappings, lists and
 * keys with a message that names what is wrong, and turning bytes into
 * one libfyaml document.
 *
 * A loader gathers every error it finds (up to its own maximum) rather
 * than stopping at the first, so an agency editing a file sees all of its
 * mistakes at once; any error means the loader returns nothing.
 */
#ifndef HTD_FORMATS_YAML_UTIL_H
#define HTD_FORMATS_YAML_UTIL_H

#include <libfyaml.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* A place in the file; 1-based, 0 when unknown. */
struct yaml_pos {
	int line;
	int column;
};

/* The errors a loader has gathered; `list` (borrowed) holds `max`. */
struct yaml_errors {
	const char *file; /* for messages; borrowed */
	struct htd_error *list;
	size_t max;
	size_t n;
};

typedef void (*yaml_error_fn)(void *ctx, const struct htd_error *e);

/* Adds an error at `at` (an unknown place reads as 1:1); past `max`
 * errors, further ones are dropped. */
void yaml_report(struct yaml_errors *e, enum htd_err code, struct yaml_pos at,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Sorts the gathered errors into file order (stably: errors at one place
 * keep the order they were found in), passes each to `on_error` (may be
 * NULL) and copies the first into `err` (may be NULL). Returns its code;
 * call only when e->n > 0.
 */
enum htd_err yaml_errors_flush(struct yaml_errors *e, yaml_error_fn on_error,
                               void *ctx, struct htd_error *err);

/*
 * Where `fyn` starts. libfyaml keeps marks on tokens, not nodes, so a
 * collection is placed at its first scalar; an empty one (or a null
 * value, which has no token) at `fallback`, the key that introduced it.
 */
struct yaml_pos yaml_node_pos(struct fy_node *fyn, struct yaml_pos fallback);

/* "an alias", "a mapping", "a list" or "text", for messages. */
const char *yaml_node_kind(struct fy_node *fyn);

/* True for no node, and for a plain scalar YAML reads as null: `key:`,
 * `~`, `null`. */
bool yaml_is_null(struct fy_node *fyn);

/*
 * Returns the text of scalar `fyn` (borrowed from the document; *len set),
 * or NULL after reporting why there is none: no value, an alias, a list
 * or mapping, or a NUL inside. `what` names the value in messages.
 */
const char *yaml_scalar(struct yaml_errors *e, struct fy_node *fyn,
                        struct yaml_pos at, const char *what, size_t *len);

/* True when `fyn` is a mapping (a list); else reports and returns false. */
bool yaml_expect_mapping(struct yaml_errors *e, struct fy_node *fyn,
                         struct yaml_pos at, const char *what);
bool yaml_expect_sequence(struct yaml_errors *e, struct fy_node *fyn,
                          struct yaml_pos at, const char *what);

/*
 * The key of a mapping pair as NUL-terminated text in `out` (cut to fit
 * `size`), with its place in *at; false after reporting a key that is not
 * plain text.
 */
bool yaml_pair_key(struct yaml_errors *e, struct fy_node_pair *p,
                   struct yaml_pos parent, char *out, size_t size,
                   struct yaml_pos *at);

/*
 * Checks the bytes of a file before parsing: at most `max`, valid UTF-8,
 * no NUL. False after reporting the first problem at its place; `what`
 * ("a lexicon") names the file in messages.
 */
bool yaml_check_bytes(struct yaml_errors *e, const char *data, size_t len,
                      size_t max, const char *what);

/* One parsed document and the parser that owns it. */
struct yaml_doc {
	struct fy_diag *diag;
	struct fy_parser *fyp;
	struct fy_document *fyd;
};

/*
 * Parses `data` as exactly one YAML 1.2 document into `d` and returns its
 * root, or NULL after reporting: the parser's syntax errors at their
 * place, a second document (`what`, "a lexicon", names the file in that
 * message), or an empty file (`empty`, the whole message). Free `d` with
 * yaml_doc_free() either way.
 */
struct fy_node *yaml_doc_parse(struct yaml_doc *d, struct yaml_errors *e,
                               const char *data, size_t len, const char *what,
                               const char *empty);

/* Frees what yaml_doc_parse() made; accepts an empty `d`. */
void yaml_doc_free(struct yaml_doc *d);

#endif
