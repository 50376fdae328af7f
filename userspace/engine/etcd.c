// SPDX-License-Identifier: GPL-2.0
/*
 * etcd's v3 JSON gateway over libcurl: requests and replies are jansson
 * objects, keys and values base64 (OpenSSL), int64s decimal strings.
 */
#include "etcd.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lb_etcd {
	char **urls;
	size_t nurls;
	size_t cur;			/* the endpoint that last answered */
	char *cert, *key, *ca;
	long timeout_ms;
	CURL *curl;
	char err[512];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_or_null(const char *s)
{
	return s && *s ? lb_xstrdup(s) : NULL;
}

int lbe_etcd_open(const struct lb_etcd_config *cfg, struct lb_etcd **out,
		 char **err)
{
	struct lb_etcd *c;
	char *list, *tok, *save = NULL;

	*out = NULL;
	if (!cfg->endpoints || !*cfg->endpoints) {
		if (err)
			*err = lb_xstrdup("no etcd endpoint given");
		return -EINVAL;
	}
	pthread_once(&curl_once, curl_init_once);
	c = lb_xcalloc(1, sizeof(*c));
	list = lb_xstrdup(cfg->endpoints);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(tok);

		if (strncmp(tok, "http://", 7) && strncmp(tok, "https://", 8)) {
			if (err)
				*err = lb_xasprintf("etcd endpoint '%s': not an http:// or https:// URL",
						    tok);
			free(list);
			lbe_etcd_close(c);
			return -EINVAL;
		}
		while (n && tok[n - 1] == '/')
			tok[--n] = '\0';
		c->urls = lb_xreallocarray(c->urls, c->nurls + 1,
					   sizeof(*c->urls));
		c->urls[c->nurls++] = lb_xstrdup(tok);
	}
	free(list);
	if (!c->nurls) {
		if (err)
			*err = lb_xstrdup("no etcd endpoint given");
		lbe_etcd_close(c);
		return -EINVAL;
	}
	c->cert = dup_or_null(cfg->cert);
	c->key = dup_or_null(cfg->key);
	c->ca = dup_or_null(cfg->ca);
	c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 1000;
	c->curl = curl_easy_init();
	if (!c->curl) {
		if (err)
			*err = lb_xstrdup("cannot initialise libcurl");
		lbe_etcd_close(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void lbe_etcd_close(struct lb_etcd *c)
{
	size_t i;

	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	for (i = 0; i < c->nurls; i++)
		free(c->urls[i]);
	free(c->urls);
	free(c->cert);
	free(c->key);
	free(c->ca);
	free(c);
}

const char *lbe_etcd_errmsg(const struct lb_etcd *c)
{
	return c->err;
}

size_t lbe_etcd_nendpoints(const struct lb_etcd *c)
{
	return c->nurls;
}

const char *lbe_etcd_endpoint(const struct lb_etcd *c, size_t i)
{
	return i < c->nurls ? c->urls[i] : NULL;
}

/* ------------------------------------------------------------ transfer */

struct xfer {
	struct lb_strbuf buf;
	/* Streaming: each complete line goes to cb. */
	int (*cb)(json_t *msg, void *arg);
	void *arg;
	int cb_rc;
	int *stop;
};

/* Hands every complete line of the buffer to the stream callback. */
static void stream_lines(struct xfer *x)
{
	char *nl;
	size_t used = 0;

	while (!x->cb_rc &&
	       (nl = memchr(x->buf.s + used, '\n', x->buf.len - used))) {
		size_t n = (size_t)(nl - (x->buf.s + used));
		json_t *msg = json_loadb(x->buf.s + used, n, 0, NULL);

		used += n + 1;
		if (!msg)
			continue;
		if (json_object_get(msg, "result"))
			x->cb_rc = x->cb(json_object_get(msg, "result"),
					 x->arg);
		else
			x->cb_rc = -EIO;
		json_decref(msg);
	}
	memmove(x->buf.s, x->buf.s + used, x->buf.len - used);
	x->buf.len -= used;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;

	lbe_sb_addn(&x->buf, p, size * n);
	if (x->cb) {
		stream_lines(x);
		if (x->cb_rc)
			return 0;	/* aborts the transfer */
	}
	return size * n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn,
		       curl_off_t ut, curl_off_t un)
{
	struct xfer *x = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return x->stop && __atomic_load_n(x->stop, __ATOMIC_RELAXED);
}

static void setup(struct lb_etcd *c, CURL *h, const char *url,
		  const char *body, struct curl_slist *hdr, struct xfer *x,
		  long timeout_ms)
{
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 c->timeout_ms < 500 ? c->timeout_ms : 500L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (c->cert)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert);
	if (c->key)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key);
	if (c->ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca);
	if (x->stop) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
}

/* The gateway's error object, in words. */
static void reply_error(struct lb_etcd *c, const char *url, long status,
			json_t *reply)
{
	json_t *e = json_object_get(reply, "error");
	const char *msg = json_string_value(json_object_get(reply, "message"));

	if (json_is_object(e))
		msg = json_string_value(json_object_get(e, "message"));
	else if (!msg)
		msg = json_string_value(e);
	snprintf(c->err, sizeof(c->err), "etcd %s: HTTP %ld: %s", url, status,
		 msg ? msg : "no error message");
}

/*
 * One POST to endpoint i.  Returns 0 with *reply, -ECONNREFUSED when
 * the endpoint cannot be used (try the next), -EIO for a reply that
 * says no (the next endpoint would say the same).
 */
static int post_one(struct lb_etcd *c, size_t i, const char *path,
		    const char *body, struct xfer *x, json_t **reply,
		    long timeout_ms)
{
	struct curl_slist *hdr;
	char url[1024];
	CURLcode cc;
	long status = 0;
	json_t *r;

	snprintf(url, sizeof(url), "%s%s", c->urls[i], path);
	hdr = curl_slist_append(NULL, "Content-Type: application/json");
	setup(c, c->curl, url, body, hdr, x, timeout_ms);
	cc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	if (x->cb) {
		if (x->cb_rc)
			return x->cb_rc;
		if (cc == CURLE_ABORTED_BY_CALLBACK)
			return -ECANCELED;
	}
	if (cc != CURLE_OK) {
		snprintf(c->err, sizeof(c->err), "etcd %s: %s", c->urls[i],
			 curl_easy_strerror(cc));
		return -ECONNREFUSED;
	}
	if (x->cb) {
		snprintf(c->err, sizeof(c->err), "etcd %s: stream ended",
			 c->urls[i]);
		return -EPIPE;
	}
	r = json_loadb(x->buf.s ? x->buf.s : "", x->buf.len, 0, NULL);
	if (status != 200 || !json_is_object(r) ||
	    json_object_get(r, "error")) {
		reply_error(c, c->urls[i], status, r);
		json_decref(r);
		/* 5xx: this member cannot serve (no quorum, stopping). */
		return status >= 500 || status == 0 ? -ECONNREFUSED : -EIO;
	}
	*reply = r;
	return 0;
}

static int call(struct lb_etcd *c, const char *path, json_t *body,
		json_t **resp, struct xfer *x, long timeout_ms)
{
	char *text = json_dumps(body, JSON_COMPACT);
	size_t k;
	int rc = -EIO;

	if (!text)
		return -ENOMEM;
	for (k = 0; k < c->nurls; k++) {
		size_t i = (c->cur + k) % c->nurls;

		x->buf.len = 0;
		rc = post_one(c, i, path, text, x, resp, timeout_ms);
		if (rc != -ECONNREFUSED) {
			c->cur = i;
			break;
		}
	}
	free(text);
	free(x->buf.s);
	return rc == -ECONNREFUSED ? -EIO : rc;
}

int lbe_etcd_call(struct lb_etcd *c, const char *path, json_t *body,
		 json_t **resp)
{
	struct xfer x = { 0 };

	*resp = NULL;
	return call(c, path, body, resp, &x, c->timeout_ms);
}

int lbe_etcd_call_timeout(struct lb_etcd *c, const char *path, json_t *body,
			 json_t **resp, long timeout_ms)
{
	struct xfer x = { 0 };

	*resp = NULL;
	return call(c, path, body, resp, &x, timeout_ms);
}

int lbe_etcd_stream(struct lb_etcd *c, const char *path, json_t *body,
		   int (*cb)(json_t *msg, void *arg), void *arg,
		   int *stop)
{
	struct xfer x = { .cb = cb, .arg = arg, .stop = stop };
	json_t *none = NULL;

	return call(c, path, body, &none, &x, 0);
}

int lbe_etcd_endpoint_status(struct lb_etcd *c, size_t i, char *version,
			    size_t vlen, bool *is_leader, char *err,
			    size_t errlen)
{
	struct xfer x = { 0 };
	json_t *r = NULL;
	int rc;

	rc = post_one(c, i, "/v3/maintenance/status", "{}", &x, &r,
		      c->timeout_ms);
	free(x.buf.s);
	if (rc) {
		snprintf(err, errlen, "%s", c->err);
		return -EIO;
	}
	snprintf(version, vlen, "%s",
		 json_string_value(json_object_get(r, "version")) ?: "");
	*is_leader = lbe_etcd_int(json_object_get(r, "leader")) ==
		lbe_etcd_int(json_object_get(json_object_get(r, "header"),
					    "member_id"));
	json_decref(r);
	return 0;
}

/* --------------------------------------------------------------- data */

json_t *lbe_etcd_b64(const char *s, size_t n)
{
	char *out = lb_xmalloc(4 * ((n + 2) / 3) + 1);
	json_t *j;

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s,
			(int)n);
	j = json_string(out);
	free(out);
	return j;
}

char *lbe_etcd_unb64(json_t *v, size_t *n)
{
	const char *s = json_string_value(v);
	size_t len, pad = 0;
	char *out;
	int got;

	if (!s)
		return NULL;
	len = strlen(s);
	if (len % 4)
		return NULL;
	if (len && s[len - 1] == '=')
		pad++;
	if (len > 1 && s[len - 2] == '=')
		pad++;
	out = lb_xmalloc(len / 4 * 3 + 1);
	got = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s,
			      (int)len);
	if (got < 0) {
		free(out);
		return NULL;
	}
	got -= (int)pad;
	out[got] = '\0';
	if (n)
		*n = (size_t)got;
	return out;
}

int64_t lbe_etcd_int(json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return 0;
}

json_t *lbe_etcd_prefix_end(const char *prefix)
{
	char *end = lb_xstrdup(prefix);
	size_t n = strlen(end);
	json_t *j;

	/* The prefix is text, never 0xff bytes: the last byte plus one. */
	end[n - 1]++;
	j = lbe_etcd_b64(end, n);
	free(end);
	return j;
}
