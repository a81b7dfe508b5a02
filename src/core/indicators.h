/*
 * indicators.h - trafficking indicators in call notes: the lexicon model,
 * the compiled matcher, and the hits with their context.
 *
 * A lexicon (one per language, loaded from data/lexicon/<lang>.yaml by
 * formats/lexicon_yaml.c) lists, for every indicator id of domain.md
 * section 4, the phrase patterns that signal it, plus the context triggers
 * (NegEx/ConText: negation, pseudo-negation, hypothetical, historical,
 * scope terminators, subject words, answers) and stop words used to detect
 * the language. indicators_compile() turns all loaded lexicons into one
 * Hyperscan database; indicators_scan() normalises a note (core/normalise),
 * scans it in one pass and decides each hit's context. Pure: no I/O; the
 * caller caches the serialised database on disk.
 *
 * Ownership: struct lexicon and its strings are owned by the lexicon (free
 * with lexicon_free()); a matcher owns its copy of what it needs; results
 * own their arrays (free with indicator_result_free()).
 */
#ifndef HTD_CORE_INDICATORS_H
#define HTD_CORE_INDICATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* ---- stable ids (domain.md section 4) --------------------------------- */

/* X(ENUM, id) in the order of domain.md's table. */
#define INDICATORS(X)                                           \
	X(MOVEMENT_RESTRICTED, "movement_restricted")           \
	X(VIOLENCE, "violence")                                 \
	X(WEAPONS, "weapons")                                   \
	X(THREATS, "threats")                                   \
	X(THREAT_FAMILY, "threat_family")                       \
	X(THREAT_IMMIGRATION, "threat_immigration")             \
	X(DOCUMENTS_WITHHELD, "documents_withheld")             \
	X(DEBT_BONDAGE, "debt_bondage")                         \
	X(ISOLATION, "isolation")                               \
	X(COMMUNICATION_CONTROLLED, "communication_controlled") \
	X(SECURITY_MEASURES, "security_measures")               \
	X(RECRUITMENT_FRAUD, "recruitment_fraud")               \
	X(WAGES_WITHHELD, "wages_withheld")                     \
	X(EXCESSIVE_HOURS, "excessive_hours")                   \
	X(HOUSING_CONTROLLED, "housing_controlled")             \
	X(TRANSPORT_CONTROLLED, "transport_controlled")         \
	X(UNSAFE_CONDITIONS, "unsafe_conditions")               \
	X(COMMERCIAL_SEX, "commercial_sex")                     \
	X(MINOR, "minor")                                       \
	X(VULNERABLE_PERSON, "vulnerable_person")               \
	X(FEAR_SIGNS, "fear_signs")

enum indicator_id {
/* An X-macro expansion is a list: */
/* clang-format off */
#define INDICATOR_ENUM(e, n) INDICATOR_##e,
	INDICATORS(INDICATOR_ENUM)
#undef INDICATOR_ENUM
	INDICATOR__COUNT
	/* clang-format on */
};

/* The elements of the federal definition (AMP) and the other roles an
 * indicator can play; a bit set, since debt bondage is means and purpose. */
enum amp_element {
	AMP_ACTION = 1 << 0,
	AMP_MEANS = 1 << 1,
	AMP_PURPOSE = 1 << 2,
	AMP_VULNERABILITY = 1 << 3,
	AMP_CONTEXT = 1 << 4,
	AMP_MINOR = 1 << 5, /* a minor in commercial sex needs no means */
};

/* Returns the id text ("documents_withheld"), or "?" when out of range. */
const char *indicator_name(enum indicator_id id);
/* Returns true and sets *out when `s` is an indicator id. */
bool indicator_parse(const char *s, enum indicator_id *out);
/* Returns the AMP elements domain.md gives an indicator. */
unsigned indicator_amp(enum indicator_id id);
/* Parses "action", "means", "purpose", "vulnerability", "context", "minor". */
bool amp_element_parse(const char *s, enum amp_element *out);
/* Writes "means,purpose" for a bit set into out; returns out. */
const char *amp_format(unsigned amp, char *out, size_t size);

/* ---- the lexicon model (what a data file says) ------------------------ */

/* Kinds of context trigger, NegEx/ConText style. */
#define TRIGGER_KINDS(X)                                                      \
	X(NEGATION_PRE, "negation_pre")   /* "no", "never", "denies"       */ \
	X(NEGATION_POST, "negation_post") /* "ruled out", "is false"       */ \
	X(PSEUDO, "pseudo")               /* "not only", "no doubt"        */ \
	X(HYPOTHETICAL, "hypothetical")   /* "whether", "if", "asks about" */ \
	X(HISTORICAL, "historical")       /* "years ago", "used to"        */ \
	X(TERMINATOR, "terminator")       /* "but", "however", "pero"      */ \
	X(SUBJECT_SELF, "subject_self")   /* "i", "me", "my", "yo"         */ \
	X(SUBJECT_OTHER, "subject_other") /* "she", "her cousin", "ella"   */ \
	X(ANSWER_YES, "answer_yes")       /* "yes", "si"  after ? or :     */ \
	X(ANSWER_NO, "answer_no")         /* "no", "nope" after ? or :     */

enum trigger_kind {
/* An X-macro expansion is a list: */
/* clang-format off */
#define TRIGGER_ENUM(e, n) TRIGGER_##e,
	TRIGGER_KINDS(TRIGGER_ENUM)
#undef TRIGGER_ENUM
	TRIGGER__COUNT
	/* clang-format on */
};

const char *trigger_kind_name(enum trigger_kind k);
bool trigger_kind_parse(const char *s, enum trigger_kind *out);

/* Where a pattern came from, for error messages: file and 1-based line. */
struct lexicon_origin {
	const char *file; /* borrowed from the lexicon's file name */
	int line;
	int column;
};

/*
 * One pattern: a Hyperscan regular expression over NORMALISED text (see
 * normalise.h: NFKC, case-folded, accents stripped), matched on word
 * boundaries. `inverted` marks a phrase whose NEGATION is the indicator
 * ("free to leave", "has her own passport"): "is free to leave" is then
 * reported as a negated hit, "not free to leave" and "free to leave? no"
 * as hits.
 */
struct lexicon_pattern {
	char *regex; /* owned; already normalised by the loader */
	bool inverted;
	struct lexicon_origin origin;
};

struct lexicon_indicator {
	enum indicator_id id;
	struct lexicon_pattern *patterns; /* owned */
	size_t n_patterns;
	char **sources; /* owned; what the indicator rests on */
	size_t n_sources;
};

struct lexicon_trigger {
	enum trigger_kind kind;
	char *regex; /* owned; normalised */
	struct lexicon_origin origin;
};

/* An industry of Polaris's typology and the words that name it. */
struct lexicon_industry {
	char *id;                         /* owned; "agriculture" */
	struct lexicon_pattern *patterns; /* owned; inverted is unused */
	size_t n_patterns;
};

struct lexicon {
	char *file;     /* owned; the path it was loaded from, for messages */
	char *language; /* owned; BCP 47 primary tag: "en", "es" */
	char *name;     /* owned; "English" */
	char *version;  /* owned */
	struct lexicon_indicator *indicators; /* owned; at most one per id */
	size_t n_indicators;
	struct lexicon_trigger *triggers; /* owned */
	size_t n_triggers;
	struct lexicon_industry *industries; /* owned */
	size_t n_industries;
	char **stopwords; /* owned; frequent words, to detect the language */
	size_t n_stopwords;
};

/* Frees what `lx` owns and zeroes it; accepts NULL. */
void lexicon_free(struct lexicon *lx);

/* ---- the compiled matcher --------------------------------------------- */

struct indicators; /* opaque: the compiled database and what it maps to */

/*
 * Compiles every pattern and trigger of the `n` lexicons into one
 * Hyperscan database (start of match on). On failure, `err` names the
 * pattern at fault by file:line:column with Hyperscan's message, and *out
 * is NULL. The lexicons are borrowed only during the call.
 */
enum htd_err indicators_compile(const struct lexicon *lexicons, size_t n,
                                struct indicators **out, struct htd_error *err);

/*
 * Serialises the compiled matcher (database and its maps) into a new
 * buffer (*data, *size; owned, free with free()), for the on-disk cache.
 */
enum htd_err indicators_serialize(const struct indicators *m, char **data,
                                  size_t *size, struct htd_error *err);

/*
 * Rebuilds a matcher from indicators_serialize() output. Fails with
 * HTD_ERR_PARSE (never crashes) on a truncated, corrupt or foreign buffer,
 * or one from another Hyperscan version: the caller then recompiles.
 */
enum htd_err indicators_deserialize(const char *data, size_t size,
                                    struct indicators **out,
                                    struct htd_error *err);

/*
 * As indicators_deserialize(), but the phrases' start databases, the
 * large part, are used where they lie in `data` instead of copied, so a
 * memory-mapped cache costs nothing until a phrase is hit. `data` must
 * stay valid and unchanged until indicators_free().
 */
enum htd_err indicators_deserialize_in_place(const char *data, size_t size,
                                             struct indicators **out,
                                             struct htd_error *err);

/* Frees a matcher; accepts NULL. */
void indicators_free(struct indicators *m);

/* A 64-hex-digit SHA-256 of everything the matcher is compiled from (all
 * lexicons, in order, plus the engine's format version): the cache key. */
void indicators_lexicon_hash(const struct lexicon *lexicons, size_t n,
                             char out[65]);

/* ---- scanning --------------------------------------------------------- */

enum indicator_subject {
	SUBJECT_UNKNOWN,
	SUBJECT_CALLER, /* the notes say it is about the caller */
	SUBJECT_OTHER,  /* the notes say it is about someone else */
};

const char *indicator_subject_name(enum indicator_subject s);

/* One hit, in byte offsets of the ORIGINAL text: text[start, end). */
struct indicator_hit {
	enum indicator_id id;
	size_t start, end;
	char language[8];  /* the lexicon whose pattern matched */
	bool negated;      /* "nobody took his passport", "is free to leave" */
	bool hypothetical; /* "asks whether it is legal to hold a passport" */
	bool historical;   /* "five years ago", "used to" */
	enum indicator_subject subject;
	unsigned amp; /* indicator_amp(id) */
};

struct industry_hit {
	char id[32];
	size_t start, end;
};

struct indicator_result {
	struct indicator_hit *hits; /* owned; in order of start, then id */
	size_t n_hits;
	struct industry_hit *industries; /* owned */
	size_t n_industries;
	/* AMP elements supported by hits that are neither negated nor
	 * hypothetical (historical ones count toward the story). */
	unsigned amp;
	char language[8];     /* detected language of the notes, "" if none */
	size_t invalid_bytes; /* bytes of invalid UTF-8, read as separators */
};

/* Scratch space for scanning, one per thread; reusable across calls. */
struct indicators_scratch;

/* Returns new scratch for `m`; free with indicators_scratch_free(). */
struct indicators_scratch *indicators_scratch_new(const struct indicators *m);
void indicators_scratch_free(struct indicators_scratch *s);

/*
 * Finds the indicators in `len` bytes of `text` (any bytes: invalid UTF-8
 * and NULs are separators). Fills `out` (zero it first, or reuse one that
 * indicator_result_reset() emptied). Time is linear in `len`; memory is
 * bounded by the text and its hits.
 */
enum htd_err indicators_scan(const struct indicators *m,
                             struct indicators_scratch *scratch,
                             const char *text, size_t len,
                             struct indicator_result *out,
                             struct htd_error *err);

/* True when a hit counts toward a decision: not negated, not hypothetical. */
bool indicator_hit_counts(const struct indicator_hit *h);

void indicator_result_reset(struct indicator_result *r);
void indicator_result_free(struct indicator_result *r);

#endif
