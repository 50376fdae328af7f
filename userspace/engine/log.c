// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's log lines: logfmt records handed to the caller's log
 * function when their level is enabled.
 */
#include "engine_int.h"

#include <stdarg.h>
#include <stdlib.h>

static const char *const level_names[] = {
	[LB_LOG_DEBUG] = "debug",
	[LB_LOG_INFO] = "info",
	[LB_LOG_WARN] = "warn",
	[LB_LOG_ERROR] = "error",
};

bool lbe_log_on(struct lb_engine *e, enum lb_log_level lvl)
{
	return e->cfg.log && lvl >= e->cfg.log_level;
}

void lbe_log(struct lb_engine *e, enum lb_log_level lvl, const char *msg, ...)
{
	struct lb_strbuf b = { 0 };
	const char *k, *v;
	va_list ap;

	if (!lbe_log_on(e, lvl))
		return;
	lbe_sb_printf(&b, "level=%s msg=", level_names[lvl]);
	/* msg is always quoted, as slog's text handler renders it. */
	lbe_sb_addc(&b, '"');
	for (k = msg; *k; k++) {
		if (*k == '"' || *k == '\\')
			lbe_sb_addc(&b, '\\');
		lbe_sb_addc(&b, *k);
	}
	lbe_sb_addc(&b, '"');
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		lbe_sb_printf(&b, " %s=", k);
		lbe_sb_logfmt_val(&b, v ? v : "");
	}
	va_end(ap);
	e->cfg.log(e->cfg.log_arg, lvl, b.s);
	lbe_sb_free(&b);
}
