/*
 * import.c - reads records (formats/records_in.h), makes their blocking
 * keys once (core/score.h) and writes them in batches inside one store
 * transaction (store.h), so the rate is the store's: prepared statements
 * reused, one commit per import. See import.h for the contract.
 */
#include "records/import.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/score.h"
#include "service/audit.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/mem.h"
#include "util/str.h"

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct batch {
	struct record *records;
	struct match_keys *keys;
	struct store_record_put *items;
	size_t n;
};

static void batch_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		record_free(&b->records[i]);
	b->n = 0;
}

/* The audit entry's detail: counts and the file's last component. */
static void audit_detail(const struct records_import_options *o,
                         const char *source,
                         const struct records_import_report *r, char *out,
                         size_t size)
{
	const char *file = o->file ? o->file : "-";
	const char *slash = strrchr(file, '/');
	str_format(
	    out, size,
	    "file=%s format=%s source=%s read=%llu inserted=%llu "
	    "updated=%llu unchanged=%llu rejected=%llu%s",
	    slash ? slash + 1 : file, records_format_name(o->format), source,
	    (unsigned long long)r->read, (unsigned long long)r->inserted,
	    (unsigned long long)r->updated, (unsigned long long)r->unchanged,
	    (unsigned long long)r->rejected, o->skip_bad ? " skip_bad" : "");
}

enum htd_err records_import(struct service *svc, const char *actor,
                            const struct records_import_options *o,
                            struct records_import_report *out,
                            struct htd_error *err)
{
	const char *source = o->source ? o->source : RECORDS_SOURCE_DEFAULT;
	int64_t started = monotonic_ms();
	int64_t at_ms = clock_now_ms(svc->clock);
	struct records_reader *rd = NULL;
	struct batch b = { 0 };
	struct store_record_counts counts = { 0 };
	bool open_tx = false;
	char object[RECORD_SOURCE_MAX + 32];
	char detail[AUDIT_TEXT_MAX + 1];
	struct record r;
	enum htd_err e;

	memset(out, 0, sizeof(*out));
	str_format(object, sizeof(object), "records:%s:%s",
	           record_kind_name(o->kind), source);
	e = records_reader_new(o->in, o->file, o->format, o->kind, source, &rd,
	                       err);
	if (e != HTD_OK)
		goto out;
	e = store_records_begin(svc->store, err);
	if (e != HTD_OK)
		goto out;
	open_tx = true;
	b.records = xcalloc(RECORDS_IMPORT_BATCH, sizeof(*b.records));
	b.keys = xmalloc(RECORDS_IMPORT_BATCH * sizeof(*b.keys));
	b.items = xmalloc(RECORDS_IMPORT_BATCH * sizeof(*b.items));

	for (;;) {
		struct htd_error why;
		htd_error_clear(&why);
		enum records_read got = records_reader_next(rd, &r, &why);
		if (got == RECORDS_READ_END)
			break;
		if (got == RECORDS_READ_FATAL) {
			if (err)
				*err = why;
			e = why.code;
			goto out;
		}
		out->read++;
		if (got == RECORDS_READ_BAD) {
			out->rejected++;
			if (o->rejected)
				o->rejected(o->ctx, &why);
			if (!o->skip_bad && open_tx) {
				/* Nothing will be written: free the lock
				 * and the batch now, and read on only to
				 * report every rejection. */
				store_records_rollback(svc->store);
				open_tx = false;
				batch_clear(&b);
			}
		} else if (!open_tx) {
			record_free(&r);
		} else {
			struct score_record p;
			if (score_prepare(&r, o->nicknames, &p, &why) !=
			    HTD_OK) {
				/* Only for a NULL record or a bad kind. */
				score_record_free(&p);
				record_free(&r);
				e = htd_error_set(err, HTD_ERR_INTERNAL, "%s",
				                  why.message);
				goto out;
			}
			score_keys(&p, o->nicknames, &b.keys[b.n]);
			score_record_free(&p);
			b.records[b.n] = r;
			b.items[b.n].record = &b.records[b.n];
			b.items[b.n].keys = &b.keys[b.n];
			b.n++;
		}
		if (open_tx && b.n == RECORDS_IMPORT_BATCH) {
			e = store_records_put(svc->store, b.items, b.n, at_ms,
			                      &counts, err);
			batch_clear(&b);
			if (e != HTD_OK)
				goto out;
		}
		if (o->progress && out->read % RECORDS_PROGRESS_EVERY == 0) {
			out->inserted = counts.inserted;
			out->updated = counts.updated;
			out->unchanged = counts.unchanged;
			o->progress(o->ctx, out, records_reader_offset(rd));
		}
	}
	if (open_tx && b.n) {
		e = store_records_put(svc->store, b.items, b.n, at_ms, &counts,
		                      err);
		batch_clear(&b);
		if (e != HTD_OK)
			goto out;
	}
	out->inserted = counts.inserted;
	out->updated = counts.updated;
	out->unchanged = counts.unchanged;
	if (out->rejected && !o->skip_bad) {
		e = htd_error_set(err, HTD_ERR_INVALID,
		                  "%llu of %llu records rejected; nothing was "
		                  "imported (fix them, or --skip-bad to import "
		                  "the rest)",
		                  (unsigned long long)out->rejected,
		                  (unsigned long long)out->read);
		out->inserted = out->updated = out->unchanged = 0;
		goto out;
	}
	audit_detail(o, source, out, detail, sizeof(detail));
	struct audit_texts texts;
	struct store_audit stored;
	const struct store_audit *audit = NULL;
	if (svc->address) {
		struct audit_entry entry = {
			.at_ms = at_ms,
			.actor = actor,
			.action = "records.import",
			.object = object,
			.address = svc->address,
			.outcome = AUDIT_OUTCOME_OK,
			.detail = detail,
		};
		audit_prepare(svc, &entry, &texts, &stored);
		audit = &stored;
	}
	open_tx = false;
	e = store_records_commit(svc->store, audit, err);
	if (e == HTD_OK)
		out->written = true;
out:
	if (open_tx)
		store_records_rollback(svc->store);
	batch_clear(&b);
	free(b.records);
	free(b.keys);
	free(b.items);
	out->elapsed_ms = monotonic_ms() - started;
	if (e == HTD_OK && o->progress && rd)
		o->progress(o->ctx, out, records_reader_offset(rd));
	if (e != HTD_OK)
		out->inserted = out->updated = out->unchanged = 0;
	records_reader_free(rd);
	return e;
}
