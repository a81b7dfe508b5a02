/*
 * import.c - reads records (formats/records_in.h), makes their blocking
 * keys once (core/score.h) and writes them in batches inside one store
 * transaction (store.h), so the rate is the store's: prepared statements
 * reused, one commit per import. See import.h for the contract.
 */
#include "records/import.h"

#include <pthread.h>
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

/*
 * Two threads: a reader parses records and makes their keys (core/score,
 * a third of the work) while the writer puts the batch before into the
 * store. Two batches go back and forth between them: the reader fills a
 * FREE one and hands it over FULL; the writer writes it and frees it.
 */
enum batch_state { BATCH_FREE, BATCH_FULL };

struct batch {
	struct record *records;
	struct match_keys *keys;
	struct store_record_put *items;
	size_t n;
	enum batch_state state;
	bool last; /* the reader's last: the end, or a fatal error */
};

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch b[2];
	const struct records_import_options *o;
	struct records_reader *rd;
	/* The reader's; read by the writer under `mu` or after the join. */
	uint64_t read, rejected;
	bool discard; /* a rejection without skip_bad: nothing is written */
	bool fatal;
	struct htd_error fatal_err;
	/* The writer's: it failed, the reader stops. */
	bool stop;
};

static void batch_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		record_free(&b->records[i]);
	b->n = 0;
}

/* Fills batch `b` (FREE, the reader's): true when the input ended. */
static bool reader_fill(struct pipe *p, struct batch *b)
{
	const struct records_import_options *o = p->o;
	struct records_import_report so_far = { 0 };
	while (b->n < RECORDS_IMPORT_BATCH) {
		struct htd_error why;
		struct record r;
		htd_error_clear(&why);
		enum records_read got = records_reader_next(p->rd, &r, &why);
		if (got == RECORDS_READ_END)
			return true;
		if (got == RECORDS_READ_FATAL) {
			p->fatal = true;
			p->fatal_err = why;
			return true;
		}
		p->read++;
		if (got == RECORDS_READ_BAD) {
			p->rejected++;
			if (!o->skip_bad && !p->discard) {
				/* Only the reader writes it; the writer reads
				 * it under the lock. */
				pthread_mutex_lock(&p->mu);
				p->discard = true;
				pthread_mutex_unlock(&p->mu);
			}
			if (o->rejected)
				o->rejected(o->ctx, &why);
		} else if (p->discard) {
			record_free(&r);
		} else {
			struct score_record sr;
			if (score_prepare(&r, o->nicknames, &sr, &why) !=
			    HTD_OK) {
				/* Only for a NULL record or a bad kind. */
				score_record_free(&sr);
				record_free(&r);
				p->fatal = true;
				htd_error_set(&p->fatal_err, HTD_ERR_INTERNAL,
				              "%s", why.message);
				return true;
			}
			score_keys(&sr, o->nicknames, &b->keys[b->n]);
			score_record_free(&sr);
			b->records[b->n] = r;
			b->items[b->n].record = &b->records[b->n];
			b->items[b->n].keys = &b->keys[b->n];
			b->n++;
		}
		if (o->progress && p->read % RECORDS_PROGRESS_EVERY == 0) {
			so_far.read = p->read;
			so_far.rejected = p->rejected;
			o->progress(o->ctx, &so_far,
			            records_reader_offset(p->rd));
		}
	}
	return false;
}

static void *reader_main(void *arg)
{
	struct pipe *p = arg;
	for (int i = 0;; i ^= 1) {
		struct batch *b = &p->b[i];
		pthread_mutex_lock(&p->mu);
		while (b->state != BATCH_FREE && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		bool stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		bool last = reader_fill(p, b);
		pthread_mutex_lock(&p->mu);
		stop = p->stop;
		if (!stop) {
			b->last = last;
			b->state = BATCH_FULL;
			pthread_cond_broadcast(&p->cv);
		}
		pthread_mutex_unlock(&p->mu);
		if (stop)
			batch_clear(b);
		if (stop || last)
			break;
	}
	return NULL;
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
	struct pipe p = { .o = o };
	bool started_reader = false;
	pthread_t reader;
	struct store_record_counts counts = { 0 };
	bool open_tx = false;
	char object[RECORD_SOURCE_MAX + 32];
	char detail[AUDIT_TEXT_MAX + 1];
	enum htd_err e;

	memset(out, 0, sizeof(*out));
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	str_format(object, sizeof(object), "records:%s:%s",
	           record_kind_name(o->kind), source);
	e = records_reader_new(o->in, o->file, o->format, o->kind, source, &rd,
	                       err);
	if (e != HTD_OK)
		goto out;
	p.rd = rd;
	e = store_records_begin(svc->store, err);
	if (e != HTD_OK)
		goto out;
	open_tx = true;
	for (int i = 0; i < 2; i++) {
		p.b[i].records =
		    xcalloc(RECORDS_IMPORT_BATCH, sizeof(*p.b[i].records));
		p.b[i].keys =
		    xmalloc(RECORDS_IMPORT_BATCH * sizeof(*p.b[i].keys));
		p.b[i].items =
		    xmalloc(RECORDS_IMPORT_BATCH * sizeof(*p.b[i].items));
	}
	if (pthread_create(&reader, NULL, reader_main, &p) != 0) {
		e = htd_error_set(err, HTD_ERR_INTERNAL,
		                  "cannot start the reading thread");
		goto out;
	}
	started_reader = true;

	for (int i = 0;; i ^= 1) {
		struct batch *b = &p.b[i];
		pthread_mutex_lock(&p.mu);
		while (b->state != BATCH_FULL)
			pthread_cond_wait(&p.cv, &p.mu);
		bool discard = p.discard;
		pthread_mutex_unlock(&p.mu);
		if (open_tx && discard) {
			/* Nothing will be written: free the lock now, and let
			 * the reader read on only to report every rejection. */
			store_records_rollback(svc->store);
			open_tx = false;
		}
		if (open_tx && b->n)
			e = store_records_put(svc->store, b->items, b->n, at_ms,
			                      &counts, err);
		batch_clear(b);
		bool last = b->last;
		pthread_mutex_lock(&p.mu);
		b->state = BATCH_FREE;
		if (e != HTD_OK)
			p.stop = true;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		if (e != HTD_OK || last)
			break;
	}
	pthread_join(reader, NULL);
	started_reader = false;
	out->read = p.read;
	out->rejected = p.rejected;
	if (e != HTD_OK)
		goto out;
	if (p.fatal) {
		if (err)
			*err = p.fatal_err;
		e = p.fatal_err.code;
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
	if (started_reader) {
		pthread_mutex_lock(&p.mu);
		p.stop = true;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		pthread_join(reader, NULL);
	}
	if (open_tx)
		store_records_rollback(svc->store);
	for (int i = 0; i < 2; i++) {
		batch_clear(&p.b[i]);
		free(p.b[i].records);
		free(p.b[i].keys);
		free(p.b[i].items);
	}
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	out->elapsed_ms = monotonic_ms() - started;
	if (e == HTD_OK && o->progress && rd)
		o->progress(o->ctx, out, records_reader_offset(rd));
	if (e != HTD_OK)
		out->inserted = out->updated = out->unchanged = 0;
	records_reader_free(rd);
	return e;
}
