/*
 * audit_writer.c - one thread, one store connection, a bounded ring of
 * entries: each turn takes everything queued (up to a batch) and commits it
 * in one transaction, then reports each entry's outcome.
 */
#include "service/audit_writer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/mem.h"

struct pending {
	struct store_audit entry; /* strings point into `text` */
	char *text;
	audit_writer_done_fn *done;
	void *ctx;
};

struct audit_writer {
	struct store *store;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	struct pending ring[AUDIT_WRITER_QUEUE_MAX];
	size_t head; /* next to take */
	size_t count;
	bool stopping;
	atomic_ullong commits;
	atomic_ullong entries;
};

/* Copies the entry's strings into one allocation. */
static void pending_fill(struct pending *p, const struct store_audit *a)
{
	const char *src[6] = { a->actor,   a->action,  a->object,
		               a->address, a->outcome, a->detail };
	size_t len[6], total = 0;
	for (int i = 0; i < 6; i++) {
		len[i] = src[i] ? strlen(src[i]) : 0;
		total += len[i] + 1;
	}
	p->text = xmalloc(total);
	const char *dst[6];
	char *at = p->text;
	for (int i = 0; i < 6; i++) {
		if (len[i])
			memcpy(at, src[i], len[i]);
		at[len[i]] = '\0';
		dst[i] = at;
		at += len[i] + 1;
	}
	p->entry = *a;
	p->entry.actor = dst[0];
	p->entry.action = dst[1];
	p->entry.object = dst[2];
	p->entry.address = dst[3];
	p->entry.outcome = dst[4];
	p->entry.detail = dst[5];
}

static void *writer_main(void *arg)
{
	struct audit_writer *w = arg;
	struct pending *batch = xcalloc(AUDIT_WRITER_BATCH_MAX, sizeof(*batch));
	struct store_audit *rows =
	    xcalloc(AUDIT_WRITER_BATCH_MAX, sizeof(*rows));
	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (w->count == 0 && !w->stopping)
			pthread_cond_wait(&w->not_empty, &w->lock);
		if (w->count == 0 && w->stopping) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		size_t n = w->count < AUDIT_WRITER_BATCH_MAX
		               ? w->count
		               : AUDIT_WRITER_BATCH_MAX;
		for (size_t i = 0; i < n; i++) {
			batch[i] = w->ring[w->head];
			w->head = (w->head + 1) % AUDIT_WRITER_QUEUE_MAX;
		}
		w->count -= n;
		pthread_cond_broadcast(&w->not_full);
		pthread_mutex_unlock(&w->lock);

		for (size_t i = 0; i < n; i++)
			rows[i] = batch[i].entry;
		struct htd_error err;
		htd_error_clear(&err);
		enum htd_err rc = store_audit_append(w->store, rows, n, &err);
		if (rc != HTD_OK)
			log_event(LOG_ERROR, "audit_unwritten", "entries",
			          n == 1 ? "1" : "several", "error",
			          err.message, NULL);
		else {
			atomic_fetch_add(&w->commits, 1);
			atomic_fetch_add(&w->entries, n);
		}
		for (size_t i = 0; i < n; i++) {
			batch[i].done(batch[i].ctx, rc);
			free(batch[i].text);
		}
	}
	free(rows);
	free(batch);
	return NULL;
}

enum htd_err audit_writer_start(struct store *store, struct audit_writer **out,
                                struct htd_error *err)
{
	struct audit_writer *w = xcalloc(1, sizeof(*w));
	w->store = store;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->not_empty, NULL);
	pthread_cond_init(&w->not_full, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		pthread_cond_destroy(&w->not_full);
		pthread_cond_destroy(&w->not_empty);
		pthread_mutex_destroy(&w->lock);
		store_close(store);
		free(w);
		*out = NULL;
		return htd_error_set(err, HTD_ERR_INTERNAL,
		                     "cannot start the audit writer's thread");
	}
	*out = w;
	return HTD_OK;
}

void audit_writer_submit(struct audit_writer *w, const struct store_audit *a,
                         audit_writer_done_fn *done, void *ctx)
{
	pthread_mutex_lock(&w->lock);
	while (w->count == AUDIT_WRITER_QUEUE_MAX && !w->stopping)
		pthread_cond_wait(&w->not_full, &w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		done(ctx, HTD_ERR_INTERNAL);
		return;
	}
	struct pending *p =
	    &w->ring[(w->head + w->count) % AUDIT_WRITER_QUEUE_MAX];
	pending_fill(p, a);
	p->done = done;
	p->ctx = ctx;
	w->count++;
	pthread_cond_signal(&w->not_empty);
	pthread_mutex_unlock(&w->lock);
}

void audit_writer_stop(struct audit_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_broadcast(&w->not_empty);
	pthread_cond_broadcast(&w->not_full);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	store_close(w->store);
	pthread_cond_destroy(&w->not_full);
	pthread_cond_destroy(&w->not_empty);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void audit_writer_counts(struct audit_writer *w, unsigned long long *commits,
                         unsigned long long *entries)
{
	*commits = w ? atomic_load(&w->commits) : 0;
	*entries = w ? atomic_load(&w->entries) : 0;
}
