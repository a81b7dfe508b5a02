/*
 * units.c - the unit use cases over core/units and store/.
 *
 * A change reads the unit, edits a copy, and writes it at the version it
 * read with its event and audit entry in one transaction; another writer
 * (an AVL report, a dispatch) may have got there first: the store refuses
 * the stale version and we read and edit again, a few times. A refused or
 * failed change, and every read, is audited on its own.
 */
#include "service/units.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/audit.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/str.h"

#define CHANGE_RETRIES 8

static int64_t now_ms(const struct service *svc)
{
	return clock_now_ms(svc->clock);
}

static const char *reader(const struct service *svc)
{
	return str_empty(svc->actor) ? "anonymous" : svc->actor;
}

enum htd_err units_call_sign_canonical(const char *in,
                                       char out[UNITS_CALL_SIGN_MAX + 1],
                                       struct htd_error *err)
{
	size_t n = in ? strlen(in) : 0;
	out[0] = '\0';
	if (n >= 1 && n <= UNITS_CALL_SIGN_MAX) {
		for (size_t i = 0; i < n; i++)
			out[i] = (char)toupper((unsigned char)in[i]);
		out[n] = '\0';
		if (units_call_sign_valid(out))
			return HTD_OK;
	}
	out[0] = '\0';
	return htd_error_field(err, HTD_ERR_INVALID, "call_sign",
	                       "'%.40s' is not a call sign: 1 to %d of A-Z, "
	                       "0-9 and '-' (2A31, K9-4)",
	                       in ? in : "", UNITS_CALL_SIGN_MAX);
}

enum htd_err units_degrees_parse(const char *text, const char *field,
                                 double *out, struct htd_error *err)
{
	char *end = NULL;
	size_t n = text ? strlen(text) : 0;
	double v = 0;
	if (n > 0 && n <= 32 && !isspace((unsigned char)text[0])) {
		errno = 0;
		v = strtod(text, &end);
	}
	if (n == 0 || n > 32 || !end || *end != '\0' || errno != 0 ||
	    !isfinite(v))
		return htd_error_field(err, HTD_ERR_INVALID, field,
		                       "%s must be a number of degrees "
		                       "(30.2672), not '%.40s'",
		                       field, text ? text : "");
	*out = v;
	return HTD_OK;
}

/* ---- the audit ---------------------------------------------------------- */

/* An entry about unit `call_sign` (a placeholder when what was typed is
 * not a call sign). */
struct unit_audit {
	char object[UNITS_CALL_SIGN_MAX + 32];
	struct audit_texts texts;
	struct store_audit stored;
	struct audit_entry entry;
};

static void unit_object(const char *call_sign, char *out, size_t size)
{
	char cs[UNITS_CALL_SIGN_MAX + 1];
	if (units_call_sign_canonical(call_sign, cs, NULL) == HTD_OK)
		str_format(out, size, "unit:%s", cs);
	else
		str_copy(out, size, "unit:(not a call sign)");
}

static const struct store_audit *
unit_audit(struct service *svc, struct unit_audit *ua, int64_t at_ms,
           const char *actor, const char *action, const char *call_sign,
           enum audit_outcome outcome, const char *detail)
{
	if (!svc->address)
		return NULL;
	unit_object(call_sign, ua->object, sizeof(ua->object));
	ua->entry = (struct audit_entry){
		.at_ms = at_ms,
		.actor = actor,
		.action = action,
		.object = ua->object,
		.address = svc->address,
		.outcome = outcome,
		.detail = detail,
	};
	audit_prepare(svc, &ua->entry, &ua->texts, &ua->stored);
	return &ua->stored;
}

/*
 * Records on its own what ended with `rc`: a refusal or failure of a
 * change (its success rode in its transaction) or any read (`read`).
 * A failure's entry names the field at fault; when it cannot be written
 * that is logged and `rc` returned; a read's success must be recorded.
 */
static enum htd_err unit_done(struct service *svc, const char *actor,
                              const char *action, const char *call_sign,
                              const char *detail, bool read, enum htd_err rc,
                              struct htd_error *err)
{
	if (!svc->address || (rc == HTD_OK && !read))
		return rc;
	char text[AUDIT_TEXT_MAX + 1];
	str_copy(text, sizeof(text), detail ? detail : "");
	if (rc != HTD_OK && err && err->field[0]) {
		size_t used = strlen(text);
		str_format(text + used, sizeof(text) - used, "%sfield=%s",
		           used ? " " : "", err->field);
	}
	char object[UNITS_CALL_SIGN_MAX + 32] = "";
	if (call_sign)
		unit_object(call_sign, object, sizeof(object));
	struct audit_entry e = {
		.actor = actor,
		.action = action,
		.object = object,
		.address = svc->address,
		.detail = text,
	};
	return audit_result(svc, &e, rc, err);
}

/* ---- checks ------------------------------------------------------------- */

/* Parses "es,vi" (spaces around items allowed, case ignored) into `u`. */
static enum htd_err parse_languages(const char *text, struct unit *u,
                                    struct htd_error *err)
{
	u->n_languages = 0;
	const char *p = text ? text : "";
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		size_t n;
		char item[8];
		const char *t;
		str_copy(item, sizeof(item), "");
		if (len < sizeof(item)) {
			memcpy(item, p, len);
			item[len] = '\0';
		}
		t = str_trim(item, &n);
		if (len >= sizeof(item) || n != 2 ||
		    !isalpha((unsigned char)t[0]) ||
		    !isalpha((unsigned char)t[1]))
			return htd_error_field(err, HTD_ERR_INVALID,
			                       "languages",
			                       "languages are two-letter ISO "
			                       "639-1 codes separated by "
			                       "commas (es,vi), not '%.40s'",
			                       text);
		if (u->n_languages >= UNITS_LANGUAGES_MAX)
			return htd_error_field(err, HTD_ERR_INVALID,
			                       "languages",
			                       "a unit lists at most %d "
			                       "languages",
			                       UNITS_LANGUAGES_MAX);
		char code[3] = { (char)tolower((unsigned char)t[0]),
			         (char)tolower((unsigned char)t[1]), '\0' };
		bool seen = false;
		for (size_t i = 0; i < u->n_languages; i++)
			seen = seen || strcmp(u->languages[i], code) == 0;
		if (!seen)
			memcpy(u->languages[u->n_languages++], code, 3);
		if (!comma)
			break;
		p = comma + 1;
	}
	return HTD_OK;
}

static enum htd_err set_agency(const char *agency, struct unit *u,
                               struct htd_error *err)
{
	size_t n;
	const char *t = str_trim(agency ? agency : "", &n);
	if (n > UNITS_AGENCY_MAX)
		return htd_error_field(err, HTD_ERR_INVALID, "agency",
		                       "an agency name is at most %d bytes",
		                       UNITS_AGENCY_MAX);
	memcpy(u->agency, t, n);
	u->agency[n] = '\0';
	return HTD_OK;
}

char *units_status_payload(enum unit_status from, enum unit_status to,
                           const char *call_ref, int64_t since_open_ms)
{
	json_t *o = json_pack("{s:s,s:s}", "from", units_status_name(from),
	                      "to", units_status_name(to));
	if (!str_empty(call_ref))
		json_object_set_new(o, "call", json_string(call_ref));
	if (since_open_ms >= 0)
		json_object_set_new(o, "since_open_ms",
		                    json_integer(since_open_ms));
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

/* The unit's details as an event payload (unit_added, unit_updated). */
static char *details_payload(const struct unit *u)
{
	json_t *langs = json_array();
	for (size_t i = 0; i < u->n_languages; i++)
		json_array_append_new(langs, json_string(u->languages[i]));
	json_t *o =
	    json_pack("{s:s,s:s,s:o,s:b}", "status",
	              units_status_name(u->status), "agency", u->agency,
	              "languages", langs, "ht_trained", (int)u->ht_trained);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}

/* ---- changes ------------------------------------------------------------ */

enum htd_err units_add(struct service *svc, const char *actor,
                       const struct units_add_request *req,
                       struct store_unit *out, struct htd_error *err)
{
	static const char action[] = "unit.add";
	struct store_unit su;
	char *payload = NULL;
	memset(&su, 0, sizeof(su));
	enum htd_err rc =
	    units_call_sign_canonical(req->call_sign, su.unit.call_sign, err);
	if (rc == HTD_OK)
		rc = set_agency(req->agency, &su.unit, err);
	if (rc == HTD_OK)
		rc = parse_languages(req->languages, &su.unit, err);
	if (rc == HTD_OK)
		rc = units_validate(&su.unit, err);
	if (rc != HTD_OK)
		goto out;
	int64_t now = now_ms(svc);
	su.unit.status = UNIT_STATUS_AVAILABLE;
	su.unit.ht_trained = req->ht_trained;
	su.created_at_ms = now;
	su.updated_at_ms = now;
	payload = details_payload(&su.unit);
	if (!payload) {
		rc = htd_error_field(err, HTD_ERR_INVALID, "agency",
		                     "the agency is not UTF-8");
		goto out;
	}
	struct store_unit_event ev = {
		.type = STORE_UNIT_ADDED,
		.at_ms = now,
		.actor = actor,
		.payload = payload,
	};
	struct unit_audit ua;
	rc = store_unit_insert(svc->store, &su, &ev,
	                       unit_audit(svc, &ua, now, actor, action,
	                                  su.unit.call_sign, AUDIT_OUTCOME_OK,
	                                  ""),
	                       err);
	if (rc == HTD_OK) {
		log_event(LOG_INFO, "unit_added", "unit", su.unit.call_sign,
		          "actor", actor, NULL);
		if (out)
			rc = store_unit_get(svc->store, su.unit.call_sign, out,
			                    err);
	}
out:
	free(payload);
	return unit_done(svc, actor, action, req->call_sign, "", false, rc,
	                 err);
}

/* Edits `u` (read at `at_ms`) in place; sets *type and *payload (owned)
 * for the event it makes, or leaves *type NULL for none. */
typedef enum htd_err unit_edit_fn(void *ctx, struct store_unit *u,
                                  int64_t at_ms, const char **type,
                                  char **payload, struct htd_error *err);

/* Reads the unit, edits it and writes it with its event and audit entry,
 * again on a stale version. */
static enum htd_err unit_change(struct service *svc, const char *actor,
                                const char *action, const char *call_sign,
                                const char *detail, unit_edit_fn *edit,
                                void *ctx, struct store_unit *out,
                                struct htd_error *err)
{
	char cs[UNITS_CALL_SIGN_MAX + 1];
	enum htd_err rc = units_call_sign_canonical(call_sign, cs, err);
	for (int attempt = 0; rc == HTD_OK && attempt < CHANGE_RETRIES;
	     attempt++) {
		struct store_unit u;
		const char *type = NULL;
		char *payload = NULL;
		rc = store_unit_get(svc->store, cs, &u, err);
		if (rc != HTD_OK)
			break;
		int64_t now = now_ms(svc);
		rc = edit(ctx, &u, now, &type, &payload, err);
		if (rc != HTD_OK)
			break;
		u.updated_at_ms = now;
		struct store_unit_event ev = {
			.type = type,
			.at_ms = now,
			.actor = actor,
			.payload = payload,
		};
		struct store_unit_change ch = { &u, type ? &ev : NULL };
		struct unit_audit ua;
		rc = store_unit_update(svc->store, &ch,
		                       unit_audit(svc, &ua, now, actor, action,
		                                  cs, AUDIT_OUTCOME_OK, detail),
		                       err);
		free(payload);
		if (rc == HTD_OK && out)
			rc = store_unit_get(svc->store, cs, out, err);
		if (rc != HTD_ERR_CONFLICT)
			break;
	}
	return unit_done(svc, actor, action, call_sign, detail, false, rc, err);
}

struct status_edit {
	enum unit_status to;
};

static enum htd_err edit_status(void *vctx, struct store_unit *u, int64_t at_ms,
                                const char **type, char **payload,
                                struct htd_error *err)
{
	const struct status_edit *se = vctx;
	enum unit_status from = u->unit.status;
	(void)at_ms;
	if (!units_status_transition_ok(from, se->to))
		return htd_error_field(
		    err, HTD_ERR_CONFLICT, "status",
		    "unit %s is %s; it cannot go %s%s", u->unit.call_sign,
		    units_status_name(from),
		    from == se->to ? "there again: it is already "
		                   : "from there to ",
		    units_status_name(se->to));
	*payload = units_status_payload(from, se->to, u->call_ref, -1);
	*type = STORE_UNIT_STATUS_CHANGED;
	u->unit.status = se->to;
	/* Clearing a call or going available ends the assignment. */
	if (se->to == UNIT_STATUS_CLEARED || se->to == UNIT_STATUS_AVAILABLE)
		u->call_ref[0] = '\0';
	return HTD_OK;
}

enum htd_err units_set_status(struct service *svc, const char *actor,
                              const char *call_sign, const char *status,
                              struct store_unit *out, struct htd_error *err)
{
	static const char action[] = "unit.status";
	struct status_edit se;
	char detail[64] = "";
	enum htd_err rc = HTD_OK;
	if (!units_status_parse(status ? status : "", &se.to))
		rc = htd_error_field(err, HTD_ERR_INVALID, "status",
		                     "status must be available, en_route, "
		                     "on_scene, cleared or out_of_service, "
		                     "not '%.40s'",
		                     status ? status : "");
	else if (se.to == UNIT_STATUS_DISPATCHED)
		rc = htd_error_field(err, HTD_ERR_INVALID, "status",
		                     "a unit is dispatched to a call: "
		                     "htdispatch calls dispatch CALL-ID "
		                     "CALLSIGN (POST "
		                     "/api/v1/calls/{id}/dispatch)");
	if (rc != HTD_OK)
		return unit_done(svc, actor, action, call_sign, "", false, rc,
		                 err);
	str_format(detail, sizeof(detail), "to=%s", units_status_name(se.to));
	return unit_change(svc, actor, action, call_sign, detail, edit_status,
	                   &se, out, err);
}

struct position_edit {
	double lat, lon;
	int64_t at_ms;
};

static enum htd_err edit_position(void *vctx, struct store_unit *u,
                                  int64_t at_ms, const char **type,
                                  char **payload, struct htd_error *err)
{
	const struct position_edit *pe = vctx;
	(void)type;
	(void)payload;
	(void)err;
	u->unit.has_position = true;
	u->unit.lat = pe->lat;
	u->unit.lon = pe->lon;
	u->unit.position_ms = pe->at_ms ? pe->at_ms : at_ms;
	return HTD_OK;
}

enum htd_err units_report_position(struct service *svc, const char *actor,
                                   const char *call_sign, double lat,
                                   double lon, int64_t at_ms,
                                   struct store_unit *out,
                                   struct htd_error *err)
{
	static const char action[] = "unit.position";
	struct position_edit pe = { lat, lon, at_ms };
	enum htd_err rc = HTD_OK;
	if (!units_coordinates_valid(lat, 0))
		rc = htd_error_field(err, HTD_ERR_INVALID, "lat",
		                     "latitude must be a number of degrees "
		                     "from -90 to 90");
	else if (!units_coordinates_valid(0, lon))
		rc = htd_error_field(err, HTD_ERR_INVALID, "lon",
		                     "longitude must be a number of degrees "
		                     "from -180 to 180");
	else if (at_ms < 0)
		rc = htd_error_field(err, HTD_ERR_INVALID, "at",
		                     "a position's time cannot be before "
		                     "1970");
	if (rc != HTD_OK)
		return unit_done(svc, actor, action, call_sign, "", false, rc,
		                 err);
	/* Never the coordinates: the audit says that, not where. */
	return unit_change(svc, actor, action, call_sign, "", edit_position,
	                   &pe, out, err);
}

static enum htd_err edit_details(void *vctx, struct store_unit *u,
                                 int64_t at_ms, const char **type,
                                 char **payload, struct htd_error *err)
{
	const struct units_update_request *req = vctx;
	enum htd_err rc = HTD_OK;
	(void)at_ms;
	if (req->agency)
		rc = set_agency(req->agency, &u->unit, err);
	if (rc == HTD_OK && req->languages)
		rc = parse_languages(req->languages, &u->unit, err);
	if (rc == HTD_OK && req->ht_trained >= 0)
		u->unit.ht_trained = req->ht_trained != 0;
	if (rc == HTD_OK)
		rc = units_validate(&u->unit, err);
	if (rc != HTD_OK)
		return rc;
	*payload = details_payload(&u->unit);
	if (!*payload)
		return htd_error_field(err, HTD_ERR_INVALID, "agency",
		                       "the agency is not UTF-8");
	*type = STORE_UNIT_UPDATED;
	return HTD_OK;
}

enum htd_err units_update(struct service *svc, const char *actor,
                          const char *call_sign,
                          const struct units_update_request *req,
                          struct store_unit *out, struct htd_error *err)
{
	return unit_change(svc, actor, "unit.update", call_sign, "",
	                   edit_details, (void *)req, out, err);
}

/* ---- reads -------------------------------------------------------------- */

enum htd_err units_get(struct service *svc, const char *call_sign,
                       struct store_unit *out, struct htd_error *err)
{
	char cs[UNITS_CALL_SIGN_MAX + 1];
	enum htd_err rc = units_call_sign_canonical(call_sign, cs, err);
	if (rc == HTD_OK)
		rc = store_unit_get(svc->store, cs, out, err);
	return unit_done(svc, reader(svc), "unit.read", call_sign, "", true, rc,
	                 err);
}

enum htd_err units_list(struct service *svc, struct store_unit_list *out,
                        struct htd_error *err)
{
	enum htd_err rc = store_unit_list(svc->store, out, err);
	rc = unit_done(svc, reader(svc), "unit.list", NULL, "", true, rc, err);
	if (rc != HTD_OK)
		store_unit_list_free(out);
	return rc;
}

/* The language to favour: `tag` unless the agency works in it. */
static const char *language_needed(const struct service *svc, const char *tag)
{
	if (str_empty(tag))
		return NULL;
	if (!svc->engine)
		return tag;
	const struct policy *p = &svc->engine->policy;
	for (size_t i = 0; i < p->n_languages; i++) {
		size_t n = strlen(p->languages[i]);
		if (strncasecmp(tag, p->languages[i], n) == 0 &&
		    (tag[n] == '\0' || tag[n] == '-'))
			return NULL;
	}
	return tag;
}

static enum htd_err recommend(struct service *svc, double lat, double lon,
                              const char *language,
                              struct units_recommendation *out,
                              struct htd_error *err)
{
	memset(out, 0, sizeof(*out));
	const char *tag = language_needed(svc, language);
	struct store_unit_list *l = &out->stored;
	enum htd_err rc = store_unit_list(svc->store, l, err);
	if (rc != HTD_OK)
		return rc;
	out->units = xcalloc(l->n ? l->n : 1, sizeof(*out->units));
	for (size_t i = 0; i < l->n; i++)
		out->units[i] = l->units[i].unit;
	out->now_ms = now_ms(svc);
	struct units_request req = {
		.lat = lat,
		.lon = lon,
		.language = tag,
		.now_ms = out->now_ms,
		.language_bonus_s = UNITS_LANGUAGE_BONUS_S,
		.ht_bonus_s = UNITS_HT_BONUS_S,
	};
	rc = units_recommend(out->units, l->n, &req, out->ranked,
	                     UNITS_RECOMMEND_MAX, &out->n, err);
	if (rc == HTD_OK)
		str_copy(out->language, sizeof(out->language), tag ? tag : "");
	else
		units_recommendation_free(out);
	return rc;
}

enum htd_err units_recommend_for(struct service *svc, double lat, double lon,
                                 const char *language,
                                 struct units_recommendation *out,
                                 struct htd_error *err)
{
	enum htd_err rc = recommend(svc, lat, lon, language, out, err);
	rc = unit_done(svc, reader(svc), "unit.list", NULL, "recommend", true,
	               rc, err);
	if (rc != HTD_OK)
		units_recommendation_free(out);
	return rc;
}

enum htd_err units_recommend_call(struct service *svc, const char *ref,
                                  double lat, double lon,
                                  struct units_recommendation *out,
                                  struct htd_error *err)
{
	struct call c;
	call_init(&c);
	memset(out, 0, sizeof(*out));
	/* calls_get audits the read of the call. */
	enum htd_err rc = calls_get(svc, ref, &c, err);
	if (rc == HTD_OK)
		rc = units_recommend_for(svc, lat, lon, c.language, out, err);
	call_free(&c);
	return rc;
}

void units_recommendation_free(struct units_recommendation *r)
{
	if (!r)
		return;
	store_unit_list_free(&r->stored);
	free(r->units);
	r->units = NULL;
	r->n = 0;
}
