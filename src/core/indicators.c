/*
 * indicators.c - compile lexicons into one Hyperscan database, scan notes
 * in one pass, and qualify every hit with its context (NegEx/ConText).
 *
 * Every pattern, trigger, industry word and stop word of every loaded
 * language is one expression of a single block-mode database with
 * start-of-match on. A scan normalises the note (core/normalise), collects
 * the matches, keeps those on word boundaries, then decides for each
 * indicator hit its scope in the sentence and which triggers fall in it.
 */
#include "core/indicators.h"

#include <hs/hs.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/normalise.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

/* ---- ids and names ---------------------------------------------------- */

static const char *const indicator_names[] = {
#define X(e, n) n,
	INDICATORS(X)
#undef X
};

/* domain.md section 4, column AMP. */
static const unsigned indicator_amps[INDICATOR__COUNT] = {
	[INDICATOR_MOVEMENT_RESTRICTED] = AMP_MEANS,
	[INDICATOR_VIOLENCE] = AMP_MEANS,
	[INDICATOR_WEAPONS] = AMP_MEANS,
	[INDICATOR_THREATS] = AMP_MEANS,
	[INDICATOR_THREAT_FAMILY] = AMP_MEANS,
	[INDICATOR_THREAT_IMMIGRATION] = AMP_MEANS,
	[INDICATOR_DOCUMENTS_WITHHELD] = AMP_MEANS,
	[INDICATOR_DEBT_BONDAGE] = AMP_MEANS | AMP_PURPOSE,
	[INDICATOR_ISOLATION] = AMP_MEANS,
	[INDICATOR_COMMUNICATION_CONTROLLED] = AMP_MEANS,
	[INDICATOR_SECURITY_MEASURES] = AMP_MEANS,
	[INDICATOR_RECRUITMENT_FRAUD] = AMP_MEANS,
	[INDICATOR_WAGES_WITHHELD] = AMP_PURPOSE,
	[INDICATOR_EXCESSIVE_HOURS] = AMP_PURPOSE,
	[INDICATOR_HOUSING_CONTROLLED] = AMP_PURPOSE,
	[INDICATOR_TRANSPORT_CONTROLLED] = AMP_ACTION,
	[INDICATOR_UNSAFE_CONDITIONS] = AMP_PURPOSE,
	[INDICATOR_COMMERCIAL_SEX] = AMP_PURPOSE,
	[INDICATOR_MINOR] = AMP_MINOR,
	[INDICATOR_VULNERABLE_PERSON] = AMP_VULNERABILITY,
	[INDICATOR_FEAR_SIGNS] = AMP_CONTEXT,
};

static const char *const amp_names[] = { "action",        "means",   "purpose",
	                                 "vulnerability", "context", "minor" };

static const char *const trigger_names[] = {
#define X(e, n) n,
	TRIGGER_KINDS(X)
#undef X
};

static const char *const subject_names[] = { "unknown", "caller", "other" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *indicator_name(enum indicator_id id)
{
	return (unsigned)id < INDICATOR__COUNT ? indicator_names[id] : "?";
}

bool indicator_parse(const char *s, enum indicator_id *out)
{
	for (size_t i = 0; s && i < COUNT(indicator_names); i++) {
		if (strcmp(s, indicator_names[i]) == 0) {
			*out = (enum indicator_id)i;
			return true;
		}
	}
	return false;
}

unsigned indicator_amp(enum indicator_id id)
{
	return (unsigned)id < INDICATOR__COUNT ? indicator_amps[id] : 0;
}

bool amp_element_parse(const char *s, enum amp_element *out)
{
	for (size_t i = 0; s && i < COUNT(amp_names); i++) {
		if (strcmp(s, amp_names[i]) == 0) {
			*out = (enum amp_element)(1u << i);
			return true;
		}
	}
	return false;
}

const char *amp_format(unsigned amp, char *out, size_t size)
{
	size_t used = 0;
	if (size == 0)
		return out;
	out[0] = '\0';
	for (size_t i = 0; i < COUNT(amp_names); i++) {
		if (!(amp & (1u << i)))
			continue;
		int n = snprintf(out + used, size - used, "%s%s",
		                 used ? "," : "", amp_names[i]);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	return out;
}

const char *trigger_kind_name(enum trigger_kind k)
{
	return (unsigned)k < TRIGGER__COUNT ? trigger_names[k] : "?";
}

bool trigger_kind_parse(const char *s, enum trigger_kind *out)
{
	for (size_t i = 0; s && i < COUNT(trigger_names); i++) {
		if (strcmp(s, trigger_names[i]) == 0) {
			*out = (enum trigger_kind)i;
			return true;
		}
	}
	return false;
}

const char *indicator_subject_name(enum indicator_subject s)
{
	return (unsigned)s < COUNT(subject_names) ? subject_names[s] : "?";
}

bool indicator_hit_counts(const struct indicator_hit *h)
{
	return !h->negated && !h->hypothetical;
}

/* ---- lexicon model ---------------------------------------------------- */

static void patterns_free(struct lexicon_pattern *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].regex);
	free(p);
}

static void strings_free(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

void lexicon_free(struct lexicon *lx)
{
	if (!lx)
		return;
	free(lx->file);
	free(lx->language);
	free(lx->name);
	free(lx->version);
	for (size_t i = 0; i < lx->n_indicators; i++) {
		patterns_free(lx->indicators[i].patterns,
		              lx->indicators[i].n_patterns);
		strings_free(lx->indicators[i].sources,
		             lx->indicators[i].n_sources);
	}
	free(lx->indicators);
	for (size_t i = 0; i < lx->n_triggers; i++)
		free(lx->triggers[i].regex);
	free(lx->triggers);
	for (size_t i = 0; i < lx->n_industries; i++) {
		free(lx->industries[i].id);
		patterns_free(lx->industries[i].patterns,
		              lx->industries[i].n_patterns);
	}
	free(lx->industries);
	strings_free(lx->stopwords, lx->n_stopwords);
	memset(lx, 0, sizeof(*lx));
}

/* ---- the compiled matcher --------------------------------------------- */

enum expr_kind {
	EXPR_INDICATOR,
	EXPR_INVERTED, /* an indicator phrase whose negation is the sign */
	EXPR_TRIGGER,
	EXPR_INDUSTRY,
	EXPR_STOPWORD,
};

/* What an expression id stands for; fixed size, serialised as is. */
struct expr_info {
	uint8_t kind;  /* enum expr_kind */
	uint8_t lang;  /* index into languages */
	uint16_t what; /* indicator id, trigger kind or industry index */
};

#define LANG_MAX 32
#define LANG_TEXT 8
#define INDUSTRY_TEXT 32
#define INDUSTRY_MAX 256

/*
 * Phrases are found by a database without start of match, which compiles
 * several times faster and scans faster; the start of each match (rare) is
 * then found by that phrase alone, compiled with start of match, run over
 * a window ending at the match. Those small databases are compiled per
 * scratch on first use (a few ms each, only for phrases that occur), so
 * the cache stays small, start-up fast, and the matcher is never written
 * to while scanning. Here are the phrases' expressions for that.
 */
struct indicators {
	hs_database_t *db;     /* indicator phrases and industry words */
	hs_database_t *ctx_db; /* context triggers and stop words */
	char *som_blob;        /* per phrase: its expression, NUL-terminated */
	size_t som_size;
	/* Per phrase: its start-of-match database, serialised (Hyperscan
	 * checks its CRC when it is deserialised, on first use); compiled
	 * from the expression instead if that fails. */
	const char *somdb_blob;
	size_t somdb_size;
	uint32_t *somdb_off, *somdb_len;
	char *owned; /* somdb_blob's copy, unless used in place */
	uint32_t *som_off, *som_len; /* per expression; len 0: none */
	struct expr_info *exprs;
	uint32_t n_exprs;
	char (*langs)[LANG_TEXT];
	uint32_t n_langs;
	char (*industries)[INDUSTRY_TEXT];
	uint32_t n_industries;
};

void indicators_free(struct indicators *m)
{
	if (!m)
		return;
	hs_free_database(m->db);
	hs_free_database(m->ctx_db);
	free(m->som_blob);
	free(m->som_off);
	free(m->som_len);
	free(m->somdb_off);
	free(m->somdb_len);
	free(m->owned);
	free(m->exprs);
	free(m->langs);
	free(m->industries);
	free(m);
}

/*
 * Turns a lexicon regex into the expression we compile. The normaliser has
 * made every run of spaces and tabs one space, so a space in a pattern is
 * one space (runs collapse, as in the text). Owned result.
 */
static char *expression_of(const char *regex)
{
	struct buf b;
	buf_init(&b, 0);
	bool in_class = false, escaped = false;
	(void)buf_puts(&b, "(?:");
	for (const char *p = regex; *p; p++) {
		if (escaped) {
			escaped = false;
			(void)buf_append(&b, p, 1);
			continue;
		}
		if (*p == '\\')
			escaped = true;
		else if (*p == '[')
			in_class = true;
		else if (*p == ']')
			in_class = false;
		if (*p == ' ' && !in_class) {
			while (p[1] == ' ')
				p++;
			(void)buf_puts(&b, " ");
			continue;
		}
		(void)buf_append(&b, p, 1);
	}
	(void)buf_puts(&b, ")");
	return buf_steal(&b);
}

struct builder {
	char **exprs;
	unsigned *flags;
	unsigned *ids;
	struct expr_info *info;
	const struct lexicon_origin **origin;
	const char **source; /* the regex as written, for messages */
	size_t n, cap;
};

static void builder_add(struct builder *b, const char *regex,
                        struct expr_info info,
                        const struct lexicon_origin *origin)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->exprs = xrealloc(b->exprs, b->cap * sizeof(*b->exprs));
		b->flags = xrealloc(b->flags, b->cap * sizeof(*b->flags));
		b->ids = xrealloc(b->ids, b->cap * sizeof(*b->ids));
		b->info = xrealloc(b->info, b->cap * sizeof(*b->info));
		b->origin = xrealloc(b->origin, b->cap * sizeof(*b->origin));
		b->source = xrealloc(b->source, b->cap * sizeof(*b->source));
	}
	/* Not HS_FLAG_UTF8: normalised text is valid UTF-8 and patterns
	 * match its bytes; UTF-8 mode halved the scanning speed. Our own
	 * word-boundary check treats every non-ASCII byte as a letter. */
	b->exprs[b->n] = expression_of(regex);
	b->flags[b->n] = HS_FLAG_SOM_LEFTMOST | HS_FLAG_ALLOWEMPTY;
	b->ids[b->n] = (unsigned)b->n;
	b->info[b->n] = info;
	b->origin[b->n] = origin;
	b->source[b->n] = regex;
	b->n++;
}

static void builder_free(struct builder *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->exprs[i]);
	free(b->exprs);
	free(b->flags);
	free(b->ids);
	free(b->info);
	free(b->origin);
	free(b->source);
}

static const struct lexicon_origin no_origin = { "", 0, 0 };

static bool is_context_kind(uint8_t kind)
{
	return kind == EXPR_TRIGGER || kind == EXPR_STOPWORD;
}

/* Reports a compile error of expression `i` with its origin. */
static enum htd_err compile_error(const struct builder *b, size_t i,
                                  const char *why, struct htd_error *err)
{
	const struct lexicon_origin *o = b->origin[i];
	if (o && o->file && o->file[0])
		return htd_error_at(err, HTD_ERR_INVALID, o->file, o->line,
		                    o->column,
		                    "pattern \"%.200s\" does not compile: %s",
		                    b->source[i], why);
	return htd_error_set(err, HTD_ERR_INVALID,
	                     "pattern \"%.200s\" does not compile: %s",
	                     b->source[i], why);
}

/*
 * Keeps each phrase's expression for its start-of-match database (compiled
 * when first needed), after checking that it compiles with start of match.
 */
static enum htd_err compile_starts(const struct builder *b,
                                   struct indicators *m, struct htd_error *err)
{
	struct buf blob, dbs;
	buf_init(&blob, (size_t)UINT32_MAX);
	buf_init(&dbs, (size_t)UINT32_MAX);
	m->som_off = xcalloc(b->n, sizeof(*m->som_off));
	m->som_len = xcalloc(b->n, sizeof(*m->som_len));
	m->somdb_off = xcalloc(b->n, sizeof(*m->somdb_off));
	m->somdb_len = xcalloc(b->n, sizeof(*m->somdb_len));
	for (size_t i = 0; i < b->n; i++) {
		if (is_context_kind(b->info[i].kind))
			continue;
		hs_expr_info_t *info = NULL;
		hs_compile_error_t *cerr = NULL;
		if (hs_expression_info(b->exprs[i], b->flags[i], &info,
		                       &cerr) != HS_SUCCESS) {
			enum htd_err rc = compile_error(
			    b, i, cerr && cerr->message ? cerr->message : "?",
			    err);
			hs_free_compile_error(cerr);
			buf_free(&blob);
			buf_free(&dbs);
			return rc;
		}
		free(info);
		cerr = NULL;
		size_t len = strlen(b->exprs[i]) + 1;
		m->som_off[i] = (uint32_t)blob.len;
		m->som_len[i] = (uint32_t)len;
		hs_database_t *db = NULL;
		char *bytes = NULL;
		size_t size = 0;
		enum htd_err rc = HTD_OK;
		if (hs_compile(b->exprs[i], b->flags[i], HS_MODE_BLOCK, NULL,
		               &db, &cerr) != HS_SUCCESS) {
			rc = compile_error(
			    b, i, cerr && cerr->message ? cerr->message : "?",
			    err);
			hs_free_compile_error(cerr);
		} else if (hs_serialize_database(db, &bytes, &size) !=
		               HS_SUCCESS ||
		           buf_append(&blob, b->exprs[i], len) != HTD_OK ||
		           buf_append(&dbs, bytes, size) != HTD_OK) {
			rc = htd_error_set(err, HTD_ERR_TOO_LARGE,
			                   "the lexicons are too large");
		}
		hs_free_database(db);
		free(bytes);
		if (rc != HTD_OK) {
			buf_free(&blob);
			buf_free(&dbs);
			return rc;
		}
		m->somdb_off[i] = (uint32_t)(dbs.len - size);
		m->somdb_len[i] = (uint32_t)size;
	}
	m->som_size = blob.len;
	m->som_blob = buf_steal(&blob);
	m->somdb_size = dbs.len;
	m->owned = buf_steal(&dbs);
	m->somdb_blob = m->owned;
	return HTD_OK;
}

/*
 * Compiles the expressions of one database: the phrases (context false)
 * or the context triggers and stop words (context true). Expression ids
 * stay global, so one table describes both databases.
 */
static enum htd_err compile_part(const struct builder *b, bool context,
                                 hs_database_t **db, struct htd_error *err)
{
	size_t n = 0;
	const char **exprs = xcalloc(b->n, sizeof(*exprs));
	unsigned *flags = xcalloc(b->n, sizeof(*flags));
	unsigned *ids = xcalloc(b->n, sizeof(*ids));
	size_t *index = xcalloc(b->n, sizeof(*index));
	enum htd_err rc = HTD_OK;
	for (size_t i = 0; i < b->n; i++) {
		if (is_context_kind(b->info[i].kind) != context)
			continue;
		exprs[n] = b->exprs[i];
		flags[n] = context
		               ? b->flags[i]
		               : b->flags[i] & ~(unsigned)HS_FLAG_SOM_LEFTMOST;
		ids[n] = b->ids[i];
		index[n] = i;
		n++;
	}
	*db = NULL;
	if (n == 0) {
		rc = htd_error_set(err, HTD_ERR_INVALID,
		                   context ? "the lexicons have no context "
		                             "triggers or stop words"
		                           : "the lexicons have no indicator "
		                             "patterns");
		goto out;
	}
	hs_compile_error_t *cerr = NULL;
	if (hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK,
	                     NULL, db, &cerr) != HS_SUCCESS) {
		const char *why =
		    cerr && cerr->message ? cerr->message : "compile error";
		if (cerr && cerr->expression >= 0 &&
		    (size_t)cerr->expression < n)
			rc =
			    compile_error(b, index[cerr->expression], why, err);
		else
			rc = htd_error_set(err, HTD_ERR_INVALID,
			                   "the lexicons do not compile: %s",
			                   why);
		hs_free_compile_error(cerr);
		*db = NULL;
	}
out:
	free(exprs);
	free(flags);
	free(ids);
	free(index);
	return rc;
}

enum htd_err indicators_compile(const struct lexicon *lexicons, size_t n,
                                struct indicators **out, struct htd_error *err)
{
	struct builder b;
	struct indicators *m = xcalloc(1, sizeof(*m));
	enum htd_err rc = HTD_OK;
	memset(&b, 0, sizeof(b));
	*out = NULL;

	if (n == 0 || n > LANG_MAX) {
		rc = htd_error_set(err, HTD_ERR_INVALID,
		                   "between 1 and %d lexicons can be compiled "
		                   "together, not %zu",
		                   LANG_MAX, n);
		goto fail;
	}
	m->langs = xcalloc(n, sizeof(*m->langs));
	m->n_langs = (uint32_t)n;
	for (size_t li = 0; li < n; li++) {
		const struct lexicon *lx = &lexicons[li];
		str_copy(m->langs[li], LANG_TEXT, lx->language);
		for (size_t i = 0; i < lx->n_indicators; i++) {
			const struct lexicon_indicator *ind =
			    &lx->indicators[i];
			for (size_t k = 0; k < ind->n_patterns; k++) {
				const struct lexicon_pattern *p =
				    &ind->patterns[k];
				struct expr_info info = { p->inverted
					                      ? EXPR_INVERTED
					                      : EXPR_INDICATOR,
					                  (uint8_t)li,
					                  (uint16_t)ind->id };
				builder_add(&b, p->regex, info, &p->origin);
			}
		}
		for (size_t i = 0; i < lx->n_triggers; i++) {
			const struct lexicon_trigger *t = &lx->triggers[i];
			struct expr_info info = { EXPR_TRIGGER, (uint8_t)li,
				                  (uint16_t)t->kind };
			builder_add(&b, t->regex, info, &t->origin);
		}
		for (size_t i = 0; i < lx->n_industries; i++) {
			const struct lexicon_industry *ind = &lx->industries[i];
			uint32_t idx = 0;
			while (idx < m->n_industries &&
			       strcmp(m->industries[idx], ind->id) != 0)
				idx++;
			if (idx == m->n_industries) {
				if (m->n_industries >= INDUSTRY_MAX) {
					rc = htd_error_set(
					    err, HTD_ERR_TOO_LARGE,
					    "%s: more than %d industries",
					    lx->file ? lx->file : "",
					    INDUSTRY_MAX);
					goto fail;
				}
				m->industries = xrealloc(
				    m->industries,
				    (m->n_industries + 1) *
				        sizeof(
				            *m->industries)); /* Zeroed: the
				                                 whole entry is
				                                 serialised. */
				memset(m->industries[idx], 0, INDUSTRY_TEXT);
				str_copy(m->industries[idx], INDUSTRY_TEXT,
				         ind->id);
				m->n_industries++;
			}
			for (size_t k = 0; k < ind->n_patterns; k++) {
				struct expr_info info = { EXPR_INDUSTRY,
					                  (uint8_t)li,
					                  (uint16_t)idx };
				builder_add(&b, ind->patterns[k].regex, info,
				            &ind->patterns[k].origin);
			}
		}
		for (size_t i = 0; i < lx->n_stopwords; i++) {
			struct expr_info info = { EXPR_STOPWORD, (uint8_t)li,
				                  0 };
			builder_add(&b, lx->stopwords[i], info, &no_origin);
		}
	}
	if (b.n == 0) {
		rc = htd_error_set(err, HTD_ERR_INVALID,
		                   "the lexicons hold no patterns");
		goto fail;
	}

	rc = compile_part(&b, false, &m->db, err);
	if (rc == HTD_OK)
		rc = compile_part(&b, true, &m->ctx_db, err);
	if (rc == HTD_OK)
		rc = compile_starts(&b, m, err);
	if (rc != HTD_OK)
		goto fail;
	m->exprs = b.info;
	m->n_exprs = (uint32_t)b.n;
	b.info = NULL;
	builder_free(&b);
	*out = m;
	return HTD_OK;
fail:
	builder_free(&b);
	indicators_free(m);
	return rc;
}

/* ---- hashing and (de)serialisation ------------------------------------ */

/* Bumped whenever the serialised layout or the expression wrapping
 * changes, so a cached database of an older engine is never reused. */
#define ENGINE_FORMAT 8
#define SERIAL_MAGIC "HTDIND\x01\x00"

static void hash_str(EVP_MD_CTX *ctx, const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) : 0;
	EVP_DigestUpdate(ctx, &n, sizeof(n));
	if (n)
		EVP_DigestUpdate(ctx, s, n);
}

static void hash_u32(EVP_MD_CTX *ctx, uint32_t v)
{
	EVP_DigestUpdate(ctx, &v, sizeof(v));
}

void indicators_lexicon_hash(const struct lexicon *lexicons, size_t n,
                             char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		mem_oom(0);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	hash_u32(ctx, ENGINE_FORMAT);
	hash_str(ctx, hs_version());
	hash_u32(ctx, (uint32_t)n);
	for (size_t li = 0; li < n; li++) {
		const struct lexicon *lx = &lexicons[li];
		hash_str(ctx, lx->language);
		hash_u32(ctx, (uint32_t)lx->n_indicators);
		for (size_t i = 0; i < lx->n_indicators; i++) {
			hash_u32(ctx, lx->indicators[i].id);
			hash_u32(ctx, (uint32_t)lx->indicators[i].n_patterns);
			for (size_t k = 0; k < lx->indicators[i].n_patterns;
			     k++) {
				hash_str(ctx,
				         lx->indicators[i].patterns[k].regex);
				hash_u32(
				    ctx,
				    lx->indicators[i].patterns[k].inverted);
			}
		}
		hash_u32(ctx, (uint32_t)lx->n_triggers);
		for (size_t i = 0; i < lx->n_triggers; i++) {
			hash_u32(ctx, lx->triggers[i].kind);
			hash_str(ctx, lx->triggers[i].regex);
		}
		hash_u32(ctx, (uint32_t)lx->n_industries);
		for (size_t i = 0; i < lx->n_industries; i++) {
			hash_str(ctx, lx->industries[i].id);
			hash_u32(ctx, (uint32_t)lx->industries[i].n_patterns);
			for (size_t k = 0; k < lx->industries[i].n_patterns;
			     k++)
				hash_str(ctx,
				         lx->industries[i].patterns[k].regex);
		}
		hash_u32(ctx, (uint32_t)lx->n_stopwords);
		for (size_t i = 0; i < lx->n_stopwords; i++)
			hash_str(ctx, lx->stopwords[i]);
	}
	EVP_DigestFinal_ex(ctx, md, &md_len);
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < md_len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

/*
 * Layout: magic[8], u32 n_exprs, u32 n_langs, u32 n_industries,
 * u32 db_size, sha256[32] of everything after it, then exprs
 * (4 bytes each), langs (8 bytes each), industries (32 bytes each), db.
 */
#define HEADER_SIZE (8 + 7 * 4 + 32)
#define DIGEST_AT (8 + 7 * 4)
#define EXPR_ENTRY 12

/* * The checksum covers our own tables and the phrases' expressions; the
 * Hyperscan databases carry their own CRC, checked by
 * hs_deserialize_database(), so start-up does not hash megabytes.
 */
static size_t tables_size(const uint32_t v[7])
{
	return (size_t)v[0] * EXPR_ENTRY + (size_t)v[1] * LANG_TEXT +
	       (size_t)v[2] * INDUSTRY_TEXT;
}

static void sha256_parts(const void *a, size_t a_len, const void *b,
                         size_t b_len, unsigned char out[32])
{
	unsigned len_out = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		mem_oom(0);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, a, a_len);
	EVP_DigestUpdate(ctx, b, b_len);
	EVP_DigestFinal_ex(ctx, out, &len_out);
	EVP_MD_CTX_free(ctx);
}

enum htd_err indicators_serialize(const struct indicators *m, char **data,
                                  size_t *size, struct htd_error *err)
{
	char *db = NULL, *ctx = NULL;
	size_t db_size = 0, ctx_size = 0;
	if (hs_serialize_database(m->db, &db, &db_size) != HS_SUCCESS ||
	    hs_serialize_database(m->ctx_db, &ctx, &ctx_size) != HS_SUCCESS) {
		free(db);
		return htd_error_set(err, HTD_ERR_INTERNAL,
		                     "cannot serialise the indicator database");
	}
	uint32_t v[7] = { m->n_exprs,
		          m->n_langs,
		          m->n_industries,
		          (uint32_t)db_size,
		          (uint32_t)ctx_size,
		          (uint32_t)m->som_size,
		          (uint32_t)m->somdb_size };
	size_t body =
	    tables_size(v) + db_size + ctx_size + m->som_size + m->somdb_size;
	char *p = xmalloc(HEADER_SIZE + body);
	memcpy(p, SERIAL_MAGIC, 8);
	memcpy(p + 8, v, sizeof(v));
	char *q = p + HEADER_SIZE;
	for (uint32_t i = 0; i < m->n_exprs; i++) {
		q[0] = (char)m->exprs[i].kind;
		q[1] = (char)m->exprs[i].lang;
		memcpy(q + 2, &m->exprs[i].what, 2);
		memcpy(q + 4, &m->som_len[i], 4);
		memcpy(q + 8, &m->somdb_len[i], 4);
		q += EXPR_ENTRY;
	}
	memcpy(q, m->langs, (size_t)m->n_langs * LANG_TEXT);
	q += (size_t)m->n_langs * LANG_TEXT;
	if (m->n_industries)
		memcpy(q, m->industries,
		       (size_t)m->n_industries * INDUSTRY_TEXT);
	q += (size_t)m->n_industries * INDUSTRY_TEXT;
	memcpy(q, db, db_size);
	memcpy(q + db_size, ctx, ctx_size);
	if (m->som_size)
		memcpy(q + db_size + ctx_size, m->som_blob, m->som_size);
	if (m->somdb_size)
		memcpy(q + db_size + ctx_size + m->som_size, m->somdb_blob,
		       m->somdb_size);
	free(db);
	free(ctx);
	sha256_parts(p + HEADER_SIZE, tables_size(v), m->som_blob, m->som_size,
	             (unsigned char *)p + DIGEST_AT);
	*data = p;
	*size = HEADER_SIZE + body;
	return HTD_OK;
}

static enum htd_err deserialize(const char *data, size_t size, bool in_place,
                                struct indicators **out, struct htd_error *err)
{
	uint32_t v[7];
	unsigned char digest[32];
	*out = NULL;
	if (size < HEADER_SIZE || memcmp(data, SERIAL_MAGIC, 8) != 0)
		return htd_error_set(err, HTD_ERR_PARSE,
		                     "not an htdispatch indicator database");
	memcpy(v, data + 8, sizeof(v));
	uint64_t body =
	    (uint64_t)v[0] * EXPR_ENTRY + (uint64_t)v[1] * LANG_TEXT +
	    (uint64_t)v[2] * INDUSTRY_TEXT + v[3] + v[4] + v[5] + v[6];
	if (body != size - HEADER_SIZE || v[1] == 0 || v[1] > LANG_MAX ||
	    v[2] > INDUSTRY_MAX || v[0] == 0)
		return htd_error_set(err, HTD_ERR_PARSE,
		                     "indicator database has a bad size");
	sha256_parts(data + HEADER_SIZE, tables_size(v),
	             data + HEADER_SIZE + body - v[5] - v[6], v[5], digest);
	if (memcmp(digest, data + DIGEST_AT, 32) != 0)
		return htd_error_set(err, HTD_ERR_PARSE,
		                     "indicator database is damaged "
		                     "(checksum)");
	struct indicators *m = xcalloc(1, sizeof(*m));
	const char *q = data + HEADER_SIZE;
	m->n_exprs = v[0];
	m->exprs = xcalloc(v[0], sizeof(*m->exprs));
	m->som_off = xcalloc(v[0], sizeof(*m->som_off));
	m->som_len = xcalloc(v[0], sizeof(*m->som_len));
	m->somdb_off = xcalloc(v[0], sizeof(*m->somdb_off));
	m->somdb_len = xcalloc(v[0], sizeof(*m->somdb_len));
	uint64_t som_total = 0, somdb_total = 0;
	for (uint32_t i = 0; i < v[0]; i++) {
		m->exprs[i].kind = (uint8_t)q[0];
		m->exprs[i].lang = (uint8_t)q[1];
		memcpy(&m->exprs[i].what, q + 2, 2);
		memcpy(&m->som_len[i], q + 4, 4);
		memcpy(&m->somdb_len[i], q + 8, 4);
		m->som_off[i] = (uint32_t)som_total;
		som_total += m->som_len[i];
		m->somdb_off[i] = (uint32_t)somdb_total;
		somdb_total += m->somdb_len[i];
		q += EXPR_ENTRY;
		const struct expr_info *e = &m->exprs[i];
		bool ok = e->lang < v[1] && e->kind <= EXPR_STOPWORD;
		if (e->kind == EXPR_INDICATOR || e->kind == EXPR_INVERTED)
			ok = ok && e->what < INDICATOR__COUNT;
		else if (e->kind == EXPR_TRIGGER)
			ok = ok && e->what < TRIGGER__COUNT;
		else if (e->kind == EXPR_INDUSTRY)
			ok = ok &&
			     e->what < v[2]; /* Every phrase has its start
			                        database; no trigger has. */
		ok = ok && is_context_kind(e->kind) == (m->som_len[i] == 0) &&
		     is_context_kind(e->kind) == (m->somdb_len[i] == 0) &&
		     som_total <= v[5] && somdb_total <= v[6];
		if (!ok) {
			indicators_free(m);
			return htd_error_set(err, HTD_ERR_PARSE,
			                     "indicator database has a bad "
			                     "expression table");
		}
	}
	if (som_total != v[5] || somdb_total != v[6]) {
		indicators_free(m);
		return htd_error_set(err, HTD_ERR_PARSE,
		                     "indicator database has a bad size");
	}
	m->n_langs = v[1];
	m->langs = xcalloc(v[1], sizeof(*m->langs));
	memcpy(m->langs, q, (size_t)v[1] * LANG_TEXT);
	q += (size_t)v[1] * LANG_TEXT;
	m->n_industries = v[2];
	if (v[2]) {
		m->industries = xcalloc(v[2], sizeof(*m->industries));
		memcpy(m->industries, q, (size_t)v[2] * INDUSTRY_TEXT);
	}
	q += (size_t)v[2] * INDUSTRY_TEXT;
	for (uint32_t i = 0; i < v[1]; i++)
		m->langs[i][LANG_TEXT - 1] = '\0';
	for (uint32_t i = 0; i < v[2]; i++)
		m->industries[i][INDUSTRY_TEXT - 1] = '\0';
	m->som_size = v[5];
	m->som_blob = xmalloc(v[5] ? v[5] : 1);
	memcpy(m->som_blob, q + v[3] + v[4], v[5]);
	for (uint32_t i = 0; i < v[0]; i++) {
		if (m->som_len[i] &&
		    m->som_blob[m->som_off[i] + m->som_len[i] - 1] != '\0') {
			indicators_free(m);
			return htd_error_set(err, HTD_ERR_PARSE,
			                     "indicator database has a bad "
			                     "phrase table");
		}
	} /* In place, the start databases are used where they lie. */
	const char *somdb = q + v[3] + v[4] + v[5];
	m->somdb_size = v[6];
	if (in_place) {
		m->somdb_blob = somdb;
	} else {
		m->owned = xmalloc(v[6] ? v[6] : 1);
		memcpy(m->owned, somdb, v[6]);
		m->somdb_blob = m->owned;
	}
	if (hs_deserialize_database(q, v[3], &m->db) != HS_SUCCESS ||
	    hs_deserialize_database(q + v[3], v[4], &m->ctx_db) != HS_SUCCESS) {
		indicators_free(m);
		return htd_error_set(err, HTD_ERR_PARSE,
		                     "indicator database is from another "
		                     "Hyperscan or damaged");
	}
	*out = m;
	return HTD_OK;
}

/* ---- scanning --------------------------------------------------------- */

/* Stop words are counted in this much of a note to tell its language. */
#define LANGUAGE_SAMPLE 4096
/* How far back a hit's sentence is searched for its subject. */
#define SENTENCE_BACK 1024
/* Bytes after a hit's sentence searched for an answer ("? no"). */
#define ANSWER_WINDOW 48

struct match {
	uint32_t expr;
	uint32_t from, to; /* normalised offsets */
	bool in_phrase;    /* a trigger inside an indicator phrase */
};

struct indicators_scratch {
	hs_scratch_t *hs;
	hs_database_t **som; /* per expression, deserialised on first use */
	bool *som_ready;     /* scratch space made for som[i] */
	uint32_t n_som;
	struct normalised norm;
	struct match *matches;
	size_t n_matches, cap_matches;
	struct match *triggers; /* sorted by from */
	size_t n_triggers, cap_triggers;
	size_t stop[LANG_MAX];
};

struct indicators_scratch *indicators_scratch_new(const struct indicators *m)
{
	struct indicators_scratch *s = xcalloc(1, sizeof(*s));
	s->som = xcalloc(m->n_exprs, sizeof(*s->som));
	s->som_ready = xcalloc(m->n_exprs, sizeof(*s->som_ready));
	s->n_som = m->n_exprs;
	if (hs_alloc_scratch(m->db, &s->hs) != HS_SUCCESS ||
	    hs_alloc_scratch(m->ctx_db, &s->hs) != HS_SUCCESS)
		mem_oom(0);
	return s;
}

void indicators_scratch_free(struct indicators_scratch *s)
{
	if (!s)
		return;
	hs_free_scratch(s->hs);
	for (uint32_t i = 0; i < s->n_som; i++)
		hs_free_database(s->som[i]);
	free(s->som);
	free(s->som_ready);
	normalise_free(&s->norm);
	free(s->matches);
	free(s->triggers);
	free(s);
}

void indicator_result_reset(struct indicator_result *r)
{
	r->n_hits = 0;
	r->n_industries = 0;
	r->amp = 0;
	r->language[0] = '\0';
	r->invalid_bytes = 0;
}

void indicator_result_free(struct indicator_result *r)
{
	if (!r)
		return;
	free(r->hits);
	free(r->industries);
	memset(r, 0, sizeof(*r));
}

/* Letters, digits and every byte of a non-ASCII character are word bytes. */
static bool is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 ||
	       c == '_' || (c >= 'A' && c <= 'Z');
}

/* A sentence ends at . ! ? ; or a line break ("4.5" is no end). */
static bool is_boundary(const char *t, size_t len, size_t i)
{
	char c = t[i];
	if (c == '.')
		return !(i > 0 && i + 1 < len && t[i - 1] >= '0' &&
		         t[i - 1] <= '9' && t[i + 1] >= '0' && t[i + 1] <= '9');
	return c == '!' || c == '?' || c == ';' || c == '\n' || c == '\r';
}

struct scan_ctx {
	const struct indicators *m;
	struct indicators_scratch *s;
	const char *text; /* the whole normalised note */
	size_t len;
	size_t base;   /* offset of the scanned region in text */
	bool phrases;  /* the phrase database: no start of match */
	bool triggers; /* collect triggers (else count stop words only) */
};

static void push(struct match **v, size_t *n, size_t *cap, struct match x)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = x;
}

static int on_match(unsigned int id, unsigned long long from,
                    unsigned long long to, unsigned int flags, void *ctx)
{
	struct scan_ctx *c = ctx;
	const unsigned char *t = (const unsigned char *)c->text;
	(void)flags;
	from += c->base;
	to += c->base;
	if (c->phrases)
		from = to > 0 ? to - 1 : 0; /* the start is found later */
	if (id >= c->m->n_exprs || from >= to || to > c->len)
		return 0; /* Whole words only: a match edge inside a word does
		             not count. */
	if (!c->phrases && from > 0 && is_word(t[from]) && is_word(t[from - 1]))
		return 0;
	if (to < c->len && is_word(t[to - 1]) && is_word(t[to]))
		return 0;
	const struct expr_info *e = &c->m->exprs[id];
	struct match x = { id, (uint32_t)from, (uint32_t)to, false };
	if (e->kind == EXPR_STOPWORD) {
		if (!c->triggers)
			c->s->stop[e->lang]++;
	} else if (e->kind == EXPR_TRIGGER) {
		if (c->triggers)
			push(&c->s->triggers, &c->s->n_triggers,
			     &c->s->cap_triggers, x);
	} else
		push(&c->s->matches, &c->s->n_matches, &c->s->cap_matches, x);
	return 0;
}

static int match_cmp(const void *a, const void *b)
{
	const struct match *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to > y->to ? -1 : 1; /* longest first */
	return x->expr < y->expr ? -1 : x->expr > y->expr;
}

/* The context of one hit, decided on normalised text. */
struct hit_ctx {
	const struct indicators *m;
	const struct indicators_scratch *s;
	const char *t;
	size_t len;
	int lang, note_lang;
};

/* Does trigger `x` apply to a hit of language `lang`? */
static bool trigger_applies(const struct hit_ctx *h, const struct match *x)
{
	int l = h->m->exprs[x->expr].lang;
	return l == h->lang || l == h->note_lang;
}

static enum trigger_kind kind_of(const struct hit_ctx *h, const struct match *x)
{
	return (enum trigger_kind)h->m->exprs[x->expr].what;
}

/* First trigger whose start is at or after `pos`. */
static size_t first_trigger_from(const struct indicators_scratch *s, size_t pos)
{
	size_t lo = 0, hi = s->n_triggers;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->triggers[mid].from < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Counting words, "can't" is one: an apostrophe between letters joins. */
static bool joins(const unsigned char *t, size_t len, size_t i)
{
	return t[i] == '\'' && i > 0 && i + 1 < len && is_word(t[i - 1]) &&
	       is_word(t[i + 1]);
}

static bool word_start(const unsigned char *t, size_t i)
{
	if (!is_word(t[i]))
		return false;
	if (i == 0)
		return true;
	return !is_word(t[i - 1]) &&
	       !(i >= 2 && t[i - 1] == '\'' && is_word(t[i - 2]));
}

static bool word_end(const unsigned char *t, size_t len, size_t i)
{
	return is_word(t[i]) &&
	       (i + 1 == len || (!is_word(t[i + 1]) && !joins(t, len, i + 1)));
}

/* Start of the scope: up to eight words back, within the sentence. */
static size_t scope_left(const struct hit_ctx *h, size_t from, size_t *sentence)
{
	const unsigned char *t = (const unsigned char *)h->t;
	size_t i = from, words = 0, left = from;
	size_t limit = from > SENTENCE_BACK ? from - SENTENCE_BACK : 0;
	bool found = false;
	while (i > limit && !is_boundary(h->t, h->len, i - 1)) {
		if (word_start(t, i - 1)) {
			if (++words == 8 && !found) {
				left = i - 1;
				found = true;
			}
		}
		i--;
	}
	*sentence = i;
	return found ? left : i;
}

/* End of the scope: up to five words on, within the sentence. */
static size_t scope_right(const struct hit_ctx *h, size_t to)
{
	const unsigned char *t = (const unsigned char *)h->t;
	size_t i = to, words = 0;
	while (i < h->len && !is_boundary(h->t, h->len, i)) {
		if (word_end(t, h->len, i))
			if (++words == 5)
				return i + 1;
		i++;
	}
	return i;
}

static bool overlaps(const struct match *x, size_t from, size_t to)
{
	return x->from < to && from < x->to;
}

/* Is trigger x covered by a pseudo-negation ("not only")? */
static bool in_pseudo(const struct hit_ctx *h, const struct match *x)
{
	size_t i = first_trigger_from(h->s, x->from > 64 ? x->from - 64 : 0);
	for (; i < h->s->n_triggers && h->s->triggers[i].from < x->to; i++) {
		const struct match *p = &h->s->triggers[i];
		if (kind_of(h, p) == TRIGGER_PSEUDO && trigger_applies(h, p) &&
		    overlaps(p, x->from, x->to))
			return true;
	}
	return false;
}

/* After the hit: "? no", ": yes". Returns the answer kind or -1, and
 * whether a bare question mark follows. */
static int answer_after(const struct hit_ctx *h, size_t to, bool *question)
{
	size_t i = to;
	*question = false;
	while (i < h->len && (h->t[i] == ' ' || h->t[i] == '\t'))
		i++;
	/* "? no", ": yes", "= no"; not "-": "pp - no days off" is a list. */
	if (i >= h->len || !strchr("?:=", h->t[i]))
		return -1;
	*question = h->t[i] == '?';
	while (i < h->len && strchr("?:= \t", h->t[i]))
		i++;
	size_t k = first_trigger_from(h->s, i);
	for (; k < h->s->n_triggers && h->s->triggers[k].from == i; k++) {
		const struct match *x = &h->s->triggers[k];
		enum trigger_kind kind = kind_of(h, x);
		if ((kind == TRIGGER_ANSWER_YES || kind == TRIGGER_ANSWER_NO) &&
		    trigger_applies(h, x))
			return (int)kind;
	}
	return -1;
}

static void qualify(const struct hit_ctx *h, size_t from, size_t to,
                    bool inverted, struct indicator_hit *hit)
{
	size_t sentence;
	size_t left = scope_left(h, from, &sentence);
	size_t right = scope_right(h, to);
	size_t k0 = first_trigger_from(h->s, sentence);

	/* Terminators close the scope on either side. */
	for (size_t k = k0; k < h->s->n_triggers; k++) {
		const struct match *x = &h->s->triggers[k];
		if (x->from >= right)
			break;
		if (kind_of(h, x) != TRIGGER_TERMINATOR ||
		    !trigger_applies(h, x) || overlaps(x, from, to))
			continue;
		if (x->to <= from && x->from >= left && x->to > left)
			left = x->to;
		else if (x->from >= to && x->from < right)
			right = x->from;
	}

	int negations = 0, subject_self = -1, subject_other = -1;
	size_t last_neg_end = 0;
	bool hypothetical = false, historical = false;
	for (size_t k = k0; k < h->s->n_triggers; k++) {
		const struct match *x = &h->s->triggers[k];
		if (x->from >= right)
			break;
		if (!trigger_applies(h, x))
			continue;
		enum trigger_kind kind = kind_of(h, x);
		bool inside = overlaps(x, from, to);
		bool before = x->to <= from && x->from >= left;
		bool after = x->from >= to && x->to <= right;
		switch (kind) {
		case TRIGGER_NEGATION_PRE:
		case TRIGGER_NEGATION_POST:
			/* A negation inside another phrase ("not paid and
			 * boss took her passport") belongs to that phrase. */
			if ((kind == TRIGGER_NEGATION_PRE ? before : after) &&
			    x->from >= last_neg_end && !x->in_phrase &&
			    !in_pseudo(h, x)) {
				negations++;
				last_neg_end = x->to;
			}
			break;
		case TRIGGER_HYPOTHETICAL:
			hypothetical = hypothetical || before || after;
			break;
		case TRIGGER_HISTORICAL:
			historical = historical || before || after;
			break;
		case TRIGGER_SUBJECT_SELF:
		case TRIGGER_SUBJECT_OTHER:
			/* Inside the hit wins; else the nearest before it. */
			if (inside || x->to <= from) {
				int *slot = kind == TRIGGER_SUBJECT_SELF
				                ? &subject_self
				                : &subject_other;
				int score = inside ? 1 << 30 : (int)x->to;
				if (score > *slot)
					*slot = score;
			}
			break;
		default: break;
		}
	}
	bool question;
	int answer = answer_after(h, to, &question);
	if (answer == TRIGGER_ANSWER_NO)
		negations++;
	else if (answer < 0 && question)
		hypothetical = true; /* asked, not answered */

	bool negated = negations % 2 == 1;
	hit->negated = inverted ? !negated : negated;
	hit->hypothetical = hypothetical;
	hit->historical = historical;
	if (subject_self < 0 && subject_other < 0)
		hit->subject = SUBJECT_UNKNOWN;
	else
		hit->subject = subject_self > subject_other ? SUBJECT_CALLER
		                                            : SUBJECT_OTHER;
}

/*
 * Marks the triggers that lie inside an indicator phrase. Both lists are
 * sorted by start: the phrases that start before a trigger ends overlap
 * it exactly when the furthest of their ends is past its start.
 */
static void mark_in_phrase(const struct indicators *m,
                           struct indicators_scratch *s)
{
	size_t k = 0;
	uint32_t max_to = 0;
	for (size_t i = 0; i < s->n_triggers; i++) {
		struct match *x = &s->triggers[i];
		while (k < s->n_matches && s->matches[k].from < x->to) {
			if (m->exprs[s->matches[k].expr].kind !=
			        EXPR_INDUSTRY &&
			    s->matches[k].to > max_to)
				max_to = s->matches[k].to;
			k++;
		}
		x->in_phrase = max_to > x->from;
	}
}

static void add_hit(struct indicator_result *r, size_t *cap,
                    const struct indicator_hit *hit)
{
	if (r->n_hits == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		r->hits = xrealloc(r->hits, *cap * sizeof(*r->hits));
	}
	r->hits[r->n_hits++] = *hit;
}

static int hit_cmp(const void *a, const void *b)
{
	const struct indicator_hit *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* The note's language: the one with the most stop words, if any. */
static int detect_language(const struct indicators *m,
                           const struct indicators_scratch *s)
{
	int best = -1;
	size_t best_n = 0;
	for (uint32_t i = 0; i < m->n_langs; i++) {
		if (s->stop[i] > best_n) {
			best = (int)i;
			best_n = s->stop[i];
		}
	}
	return best;
}

enum htd_err indicators_deserialize(const char *data, size_t size,
                                    struct indicators **out,
                                    struct htd_error *err)
{
	return deserialize(data, size, false, out, err);
}

enum htd_err indicators_deserialize_in_place(const char *data, size_t size,
                                             struct indicators **out,
                                             struct htd_error *err)
{
	return deserialize(data, size, true, out, err);
}

/* A phrase is at most this long: its start is looked for this far back. */
#define PHRASE_MAX 256

struct start_ctx {
	unsigned long long end; /* the match end, in the window */
	unsigned long long best;
};

static int on_start(unsigned int id, unsigned long long from,
                    unsigned long long to, unsigned int flags, void *ctx)
{
	struct start_ctx *c = ctx;
	(void)id;
	(void)flags;
	if (to == c->end && from < c->best)
		c->best = from;
	return 0;
}

/*
 * Finds the leftmost start of the phrase match x (whose end is known) with
 * the phrase's own start-of-match database. Returns false when the match
 * does not start on a word boundary (or, never expected, is not found).
 */
static bool find_start(const struct indicators *m, struct indicators_scratch *s,
                       const char *t, struct match *x)
{
	hs_database_t **db = &s->som[x->expr];
	if (!*db && m->somdb_len[x->expr] &&
	    hs_deserialize_database(m->somdb_blob + m->somdb_off[x->expr],
	                            m->somdb_len[x->expr], db) != HS_SUCCESS)
		*db = NULL; /* damaged: compile it from its expression */
	if (*db && !s->som_ready[x->expr]) {
		if (hs_alloc_scratch(*db, &s->hs) != HS_SUCCESS)
			mem_oom(0);
		s->som_ready[x->expr] = true;
	}
	if (!*db) {
		hs_compile_error_t *cerr = NULL;
		if (m->som_len[x->expr] == 0 ||
		    hs_compile(m->som_blob + m->som_off[x->expr],
		               HS_FLAG_SOM_LEFTMOST | HS_FLAG_ALLOWEMPTY,
		               HS_MODE_BLOCK, NULL, db, &cerr) != HS_SUCCESS) {
			hs_free_compile_error(cerr);
			*db = NULL;
			return false;
		}
		if (hs_alloc_scratch(*db, &s->hs) != HS_SUCCESS)
			mem_oom(0);
		s->som_ready[x->expr] = true;
	}
	size_t win = x->to > PHRASE_MAX ? x->to - PHRASE_MAX : 0;
	struct start_ctx c = { x->to - win, ULLONG_MAX };
	if (hs_scan(*db, t + win, (unsigned)(x->to - win), 0, s->hs, on_start,
	            &c) != HS_SUCCESS ||
	    c.best == ULLONG_MAX)
		return false;
	x->from = (uint32_t)(win + c.best);
	const unsigned char *u = (const unsigned char *)t;
	return !(x->from > 0 && is_word(u[x->from]) && is_word(u[x->from - 1]));
}

enum htd_err indicators_scan(const struct indicators *m,
                             struct indicators_scratch *s, const char *text,
                             size_t len, struct indicator_result *out,
                             struct htd_error *err)
{
	struct normalised *n = &s->norm;
	if (normalise_text(text, len, n) != 0)
		return htd_error_set(err, HTD_ERR_TOO_LARGE,
		                     "the text is %zu bytes; too large to "
		                     "scan at once",
		                     len);
	if (n->len > UINT32_MAX - 1)
		return htd_error_set(err, HTD_ERR_TOO_LARGE,
		                     "the text is too large to scan at once");
	indicator_result_reset(out);
	out->invalid_bytes = n->invalid_bytes;
	s->n_matches = 0;
	s->n_triggers = 0;
	memset(s->stop, 0, sizeof(s->stop));

	/* One pass for the phrases over the whole note. */
	struct scan_ctx c = {
		.m = m, .s = s, .text = n->text, .len = n->len, .phrases = true
	};
	if (n->len > 0 && hs_scan(m->db, n->text, (unsigned)n->len, 0, s->hs,
	                          on_match, &c) != HS_SUCCESS)
		return htd_error_set(err, HTD_ERR_INTERNAL,
		                     "the indicator scan failed");
	c.phrases = false;
	size_t kept = 0;
	for (size_t i = 0; i < s->n_matches; i++)
		if (find_start(m, s, n->text, &s->matches[i]))
			s->matches[kept++] = s->matches[i];
	s->n_matches = kept;
	/* The language from the stop words of the note's beginning. */
	size_t sample = n->len < LANGUAGE_SAMPLE ? n->len : LANGUAGE_SAMPLE;
	if (sample > 0 && hs_scan(m->ctx_db, n->text, (unsigned)sample, 0,
	                          s->hs, on_match, &c) != HS_SUCCESS)
		return htd_error_set(err, HTD_ERR_INTERNAL,
		                     "the indicator scan failed");
	int note_lang = detect_language(m, s);
	if (note_lang >= 0)
		str_copy(out->language, sizeof(out->language),
		         m->langs[note_lang]);
	if (s->n_matches == 0)
		return HTD_OK;

	qsort(s->matches, s->n_matches, sizeof(*s->matches), match_cmp);

	/* Context triggers only where they can matter: the sentences that
	 * hold a hit, and a little after them for answers ("? no"). */
	c.triggers = true;
	size_t done = 0;
	for (size_t i = 0; i < s->n_matches; i++) {
		size_t from = s->matches[i].from, to = s->matches[i].to;
		if (to <= done)
			continue;
		while (from > done && !is_boundary(n->text, n->len, from - 1))
			from--;
		while (to < n->len && !is_boundary(n->text, n->len, to))
			to++;
		to = to + ANSWER_WINDOW < n->len ? to + ANSWER_WINDOW : n->len;
		if (from < done)
			from = done;
		if (to <= done)
			continue;
		c.base = from;
		if (hs_scan(m->ctx_db, n->text + from, (unsigned)(to - from), 0,
		            s->hs, on_match, &c) != HS_SUCCESS)
			return htd_error_set(err, HTD_ERR_INTERNAL,
			                     "the indicator scan failed");
		done = to;
	}
	if (s->n_triggers > 1)
		qsort(s->triggers, s->n_triggers, sizeof(*s->triggers),
		      match_cmp);
	mark_in_phrase(m, s);

	struct hit_ctx h = { m, s, n->text, n->len, 0, note_lang };
	size_t hit_cap = 0, ind_cap = 0;
	size_t covered[INDICATOR__COUNT] = { 0 };
	for (size_t i = 0; i < s->n_matches; i++) {
		const struct match *x = &s->matches[i];
		const struct expr_info *e = &m->exprs[x->expr];
		if (e->kind == EXPR_INDUSTRY) {
			bool seen = false;
			for (size_t k = 0; k < out->n_industries; k++)
				seen =
				    seen || strcmp(out->industries[k].id,
				                   m->industries[e->what]) == 0;
			if (seen)
				continue;
			if (out->n_industries == ind_cap) {
				ind_cap = ind_cap ? ind_cap * 2 : 8;
				out->industries = xrealloc(
				    out->industries,
				    ind_cap * sizeof(*out->industries));
			}
			struct industry_hit *ih =
			    &out->industries[out->n_industries++];
			str_copy(ih->id, sizeof(ih->id),
			         m->industries[e->what]);
			ih->start = n->from[x->from];
			ih->end = n->to[x->to - 1];
			continue;
		}
		/* Merge every later match of the same indicator that
		 * overlaps this one; a plain phrase beats an inverted one
		 * ("not free to leave" over "free to leave"). */
		size_t from = x->from, to = x->to;
		bool inverted = e->kind == EXPR_INVERTED;
		int lang = e->lang;
		/* Matches come in order of start: one that starts inside a
		 * merged hit of the same indicator is part of it. */
		if (from < covered[e->what])
			continue;
		for (size_t k = i + 1;
		     k < s->n_matches && s->matches[k].from < to; k++) {
			const struct match *y = &s->matches[k];
			const struct expr_info *f = &m->exprs[y->expr];
			if (f->kind == EXPR_INDUSTRY || f->what != e->what)
				continue;
			if (y->to > to)
				to = y->to;
			if (f->kind == EXPR_INDICATOR && inverted) {
				inverted = false;
				lang = f->lang;
			}
		}
		covered[e->what] = to;
		struct indicator_hit hit;
		memset(&hit, 0, sizeof(hit));
		hit.id = (enum indicator_id)e->what;
		hit.start = n->from[from];
		hit.end = n->to[to - 1];
		str_copy(hit.language, sizeof(hit.language), m->langs[lang]);
		hit.amp = indicator_amp(hit.id);
		h.lang = lang;
		qualify(&h, from, to, inverted, &hit);
		add_hit(out, &hit_cap, &hit);
	}
	if (out->n_hits > 1) /* hits is NULL when only industries matched */
		qsort(out->hits, out->n_hits, sizeof(*out->hits), hit_cmp);
	for (size_t i = 0; i < out->n_hits; i++)
		if (indicator_hit_counts(&out->hits[i]))
			out->amp |= out->hits[i].amp;
	return HTD_OK;
}
