/*
 * error.c - names and messages of the error codes, and the filling of
 * struct htd_error.
 */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/str.h"

static const char *const error_names[] = {
#define HTD_ERR_NAME(code, name, msg) name,
	HTD_ERRORS(HTD_ERR_NAME)
#undef HTD_ERR_NAME
};

static const char *const error_messages[] = {
#define HTD_ERR_MSG(code, name, msg) msg,
	HTD_ERRORS(HTD_ERR_MSG)
#undef HTD_ERR_MSG
};

const char *htd_err_name(enum htd_err code)
{
	if ((unsigned)code >= HTD_ERR__COUNT)
		return "unknown";
	return error_names[code];
}

const char *htd_err_message(enum htd_err code)
{
	if ((unsigned)code >= HTD_ERR__COUNT)
		return "unknown error";
	return error_messages[code];
}

void htd_error_clear(struct htd_error *e)
{
	if (!e)
		return;
	memset(e, 0, sizeof(*e));
	e->code = HTD_OK;
}

static void error_vset(struct htd_error *e, enum htd_err code, const char *fmt,
                       va_list ap)
{
	e->code = code;
	if (fmt)
		vsnprintf(e->message, sizeof(e->message), fmt, ap);
	else
		str_copy(e->message, sizeof(e->message), htd_err_message(code));
}

enum htd_err htd_error_set(struct htd_error *e, enum htd_err code,
                           const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	htd_error_clear(e);
	va_start(ap, fmt);
	error_vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

enum htd_err htd_error_field(struct htd_error *e, enum htd_err code,
                             const char *field, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	htd_error_clear(e);
	va_start(ap, fmt);
	error_vset(e, code, fmt, ap);
	va_end(ap);
	if (field)
		str_copy(e->field, sizeof(e->field), field);
	return code;
}

enum htd_err htd_error_at(struct htd_error *e, enum htd_err code,
                          const char *file, int line, int column,
                          const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	htd_error_clear(e);
	va_start(ap, fmt);
	error_vset(e, code, fmt, ap);
	va_end(ap);
	if (file)
		str_copy(e->file, sizeof(e->file), file);
	e->line = line;
	e->column = column;
	return code;
}

const char *htd_error_format(const struct htd_error *e, char *out, size_t size)
{
	if (!out || size == 0)
		return out;
	if (!e) {
		out[0] = '\0';
		return out;
	}
	const char *msg = e->message[0] ? e->message : htd_err_message(e->code);
	if (e->file[0] && e->line > 0 && e->column > 0)
		snprintf(out, size, "%s:%d:%d: %s", e->file, e->line, e->column,
		         msg);
	else if (e->file[0] && e->line > 0)
		snprintf(out, size, "%s:%d: %s", e->file, e->line, msg);
	else if (e->file[0])
		snprintf(out, size, "%s: %s", e->file, msg);
	else
		snprintf(out, size, "%s", msg);
	return out;
}
