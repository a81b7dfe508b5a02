/*
 * test_cap_radio.c - unit tests of formats/cap_radio.c: the CAP alert
 * from a call's radio facts, field by field, with the caller's name and
 * number withheld, and valid against the OASIS CAP 1.2 schema by xmllint
 * (Debian: libxml2-utils; scripts/deps.sh installs it); the grades by
 * category; the options checked through cap_validate().
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/radio.h"
#include "formats/cap.h"
#include "formats/cap_radio.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/str.h"

static const struct radio_vehicle two_vehicles[2] = {
	{ "ABC1234", "Ford", "F-150", "white" },
	{ "TX XYZ-987", NULL, NULL, "black" },
};

/* As in tests/unit/core/test_radio.c. */
static struct radio_facts full_facts(void)
{
	struct radio_facts f;
	memset(&f, 0, sizeof(f));
	f.call_id = "ht-2026-123";
	f.category = CALL_CATEGORY_VICTIM_ESCAPE;
	f.priority = 1;
	f.location = "1200 E 6th St";
	f.cross_street = "Chicot St";
	f.has_position = true;
	f.lat = 30.2649;
	f.lon = -97.7272;
	f.nature = "possible labor trafficking, victim escaped.";
	f.people = 3;
	f.suspects = "two men in work clothes";
	f.vehicles = two_vehicles;
	f.n_vehicles = 2;
	f.weapons = true;
	f.weapons_text = "handgun";
	f.safety = "dogs on property";
	f.language = "es-MX";
	return f;
}

static const char *const maria[] = { "María López", "María", "López",
	                             "(512) 555-0142", "5125550142" };

static struct radio_cap_options cap_options(void)
{
	struct radio_cap_options o;
	memset(&o, 0, sizeof(o));
	o.identifier = "HT-2026-000123-1";
	o.sender = "psap@austin.example.gov";
	o.sender_name = "Austin 9-1-1";
	o.contact = "Austin 9-1-1 dispatch, channel 3";
	o.sent_ms = INT64_C(1795942459000);
	o.utc_offset_min = -360;
	o.status = CAP_STATUS_EXERCISE;
	o.msg_type = CAP_MSG_TYPE_ALERT;
	return o;
}

Test(formats_cap_radio, alert_from_the_facts)
{
	struct radio_facts f = full_facts();
	f.location = "María López's apartment, 1200 E 6th St";
	f.safety = "caller (512) 555-0142 may be watched";
	struct radio_cap_options o = cap_options();
	struct radio_cap rc;
	struct htd_error err;
	cr_assert_eq(radio_cap_alert(&f, &o, maria, 5, &rc, &err), HTD_OK, "%s",
	             err.message);
	const struct cap_alert *a = &rc.alert;
	cr_assert_str_eq(a->event, "Human trafficking - victim escape");
	cr_assert_eq(a->categories, CAP_CATEGORY_BIT(CAP_CATEGORY_SECURITY) |
	                                CAP_CATEGORY_BIT(CAP_CATEGORY_RESCUE));
	cr_assert_eq(a->urgency, CAP_URGENCY_IMMEDIATE);
	cr_assert_eq(a->severity, CAP_SEVERITY_SEVERE);
	cr_assert_eq(a->certainty, CAP_CERTAINTY_LIKELY);
	cr_assert_str_eq(a->headline,
	                 "Priority 1, trafficking victim escape at "
	                 "[withheld]'s apartment, 1200 E 6th St at Chicot St");
	cr_assert_str_eq(a->area_desc,
	                 "[withheld]'s apartment, 1200 E 6th St at Chicot St");
	cr_assert_str_eq(a->incidents, "HT-2026-000123");
	cr_assert_str_eq(a->language, "en-US");
	cr_assert(a->has_circle);
	cr_assert_eq(a->circle.radius_km, 0.5);
	cr_assert_not_null(strstr(a->description, "Caution: weapons reported: "
	                                          "handgun; caller [withheld] "
	                                          "may be watched."));
	cr_assert_not_null(strstr(a->instruction, "HT-2026-000123"));
	cr_assert_geq(rc.redactions, 2);

	struct buf xml;
	buf_init(&xml, 0);
	cr_assert_eq(cap_write(a, &xml, &err), HTD_OK, "%s", err.message);
	cr_assert_null(strstr(xml.data, "López"));
	cr_assert_null(strstr(xml.data, "0142"));
	cr_assert_not_null(strstr(xml.data, "<status>Exercise</status>"));

	const char *dir = tu_tmpdir();
	char path[1024], log[1024], cmd[4096];
	tu_path(path, sizeof(path), dir, "radio.xml");
	tu_path(log, sizeof(log), dir, "xmllint.log");
	tu_write_file(path, xml.data, xml.len);
	const char *shared = getenv("HTD_SHARED_DATA");
	cr_assert_not_null(shared, "HTD_SHARED_DATA is set by meson");
	str_format(cmd, sizeof(cmd),
	           "xmllint --nonet --noout --schema "
	           "'%s/interop/cap/schema/cap12.xsd' '%s' >'%s' 2>&1",
	           shared, path, log);
	cr_assert_eq(system(cmd), 0,
	             "not valid CAP 1.2 (xmllint: libxml2-utils; see %s):\n%s",
	             log, xml.data);
	tu_rmtree(dir);
	buf_free(&xml);
}

Test(formats_cap_radio, grades_by_category)
{
	struct radio_cap_options o = cap_options();
	struct radio_cap rc;
	struct htd_error err;
	struct radio_facts f;
	memset(&f, 0, sizeof(f));
	f.category = CALL_CATEGORY_CREDIBLE_TIP;
	cr_assert_eq(radio_cap_alert(&f, &o, NULL, 0, &rc, &err), HTD_OK, "%s",
	             err.message);
	cr_assert_eq(rc.alert.categories,
	             CAP_CATEGORY_BIT(CAP_CATEGORY_SECURITY));
	cr_assert_eq(rc.alert.urgency, CAP_URGENCY_EXPECTED);
	cr_assert_eq(rc.alert.severity, CAP_SEVERITY_MODERATE);
	cr_assert_eq(rc.alert.certainty, CAP_CERTAINTY_POSSIBLE);
	cr_assert_str_eq(rc.alert.headline, "Trafficking tip");
	cr_assert_str_eq(rc.alert.area_desc, "", "no location, no area");
	cr_assert_not(rc.alert.has_circle);
	f.weapons = true;
	f.category = CALL_CATEGORY_OTHER;
	cr_assert_eq(radio_cap_alert(&f, &o, NULL, 0, &rc, &err), HTD_OK);
	cr_assert_eq(rc.alert.severity, CAP_SEVERITY_SEVERE);
	cr_assert_str_eq(rc.alert.event, "Human trafficking - other");

	/* The options are checked through cap_validate(). */
	o.identifier = "has space";
	cr_assert_eq(radio_cap_alert(&f, &o, NULL, 0, &rc, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "identifier");
	cr_assert_null(rc.alert.identifier, "zeroed on error");
	o = cap_options();
	o.msg_type = CAP_MSG_TYPE_UPDATE;
	cr_assert_eq(radio_cap_alert(&f, &o, NULL, 0, &rc, &err),
	             HTD_ERR_INVALID);
	cr_assert_str_eq(err.field, "references");
	cr_assert_eq(radio_cap_alert(&f, NULL, NULL, 0, &rc, &err),
	             HTD_ERR_INVALID);
}
