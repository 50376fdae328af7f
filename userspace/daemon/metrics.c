// SPDX-License-Identifier: GPL-2.0
/*
 * What /metrics reports: Cilium's LB-IPAM gauges from the engine, the data
 * plane's counters from the module, the daemon's own and the process's.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "daemon/lbipamd.h"

/* Seconds: a one-Service apply takes well under a millisecond. */
const double lbipamd_reconcile_bounds[LBIPAMD_RECONCILE_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.5, 2.5,
};

void lbipamd_stats_reconcile(struct lbipamd_stats *s, double seconds)
{
	size_t i;

	for (i = 0; i < LBIPAMD_RECONCILE_BUCKETS; i++) {
		if (seconds <= lbipamd_reconcile_bounds[i]) {
			s->reconcile_buckets[i]++;
			break;
		}
	}
	s->reconcile_count++;
	s->reconcile_sum += seconds;
}

/* ------------------------------------------------------ Cilium's gauges */

struct pool_ctx {
	struct lb_prom *p;
	bool used;			/* which count this pass writes */
	unsigned long conflicting;
};

static int pool_cb(const struct lb_pool_info *pi, void *arg)
{
	struct pool_ctx *c = arg;

	if (pi->conflicting)
		c->conflicting++;
	if (c->p)
		lbipamd_prom_sample_text(c->p, "", c->used ? pi->all.used :
				    pi->all.available, "pool", pi->name, NULL);
	return 0;
}

/*
 * Cilium's operator metrics with our prefix: the same suffixes, labels
 * and meaning, so a dashboard ports by renaming cilium_operator_lbipam_.
 */
static void collect_ipam(struct lbipamd *d, struct lb_prom *p)
{
	struct pool_ctx pc = { 0 };
	size_t matching, unsatisfied;

	lbe_foreach_pool(d->eng, pool_cb, &pc);
	lbipamd_prom_family(p, "lbipam_conflicting_pools_total", "gauge",
		       "The number of conflicting pools");
	lbipamd_prom_sample(p, "", (double)pc.conflicting, NULL);

	pc.p = p;
	lbipamd_prom_family(p, "lbipam_ips_available_total", "gauge",
		       "The number of IP addresses available in a given pool");
	lbe_foreach_pool(d->eng, pool_cb, &pc);
	pc.used = true;
	lbipamd_prom_family(p, "lbipam_ips_used_total", "gauge",
		       "The number of IP addresses used in a given pool");
	lbe_foreach_pool(d->eng, pool_cb, &pc);

	lbe_service_counts(d->eng, &matching, &unsatisfied);
	lbipamd_prom_family(p, "lbipam_services_matching_total", "gauge",
		       "The number of services matching pools");
	lbipamd_prom_sample(p, "", (double)matching, NULL);
	lbipamd_prom_family(p, "lbipam_services_unsatisfied_total", "gauge",
		       "The number of services which did not receive all requested IPs");
	lbipamd_prom_sample(p, "", (double)unsatisfied, NULL);
}

/* -------------------------------------------------------------- daemon */

static void collect_daemon(struct lbipamd *d, struct lb_prom *p)
{
	static const enum lbipamd_kstate kstates[] = {
		LBIPAMD_K_UNKNOWN, LBIPAMD_K_SYNCED, LBIPAMD_K_MISSING,
		LBIPAMD_K_ERROR,
	};
	const struct lbipamd_stats *s = &d->stats;
	size_t i;

	lbipamd_prom_histogram(p, "lbipam_reconcile_duration_seconds",
			  "Time to bring the wanted kernel table and L2 announcements up to date after a change and program the module",
			  lbipamd_reconcile_bounds, s->reconcile_buckets,
			  LBIPAMD_RECONCILE_BUCKETS, s->reconcile_count,
			  s->reconcile_sum);
	lbipamd_prom_family(p, "lbipam_kernel_errors_total", "counter",
		       "Requests to the kernel module that failed, by what they programmed");
	lbipamd_prom_sample(p, "", (double)d->kern.errors, "table", "services",
		       NULL);
	lbipamd_prom_sample(p, "", (double)d->l2.errors, "table",
		       "l2-announcements", NULL);
	lbipamd_prom_family(p, "lbipam_kernel_requests_total", "counter",
		       "Requests sent to the kernel module, by what they programmed");
	lbipamd_prom_sample(p, "", (double)d->kern.ops, "table", "services", NULL);
	lbipamd_prom_sample(p, "", (double)d->l2.ops, "table", "l2-announcements",
		       NULL);
	lbipamd_prom_family(p, "lbipam_kernel_state", "gauge",
		       "1 for the state of the daemon's view of the kernel table (lbctl get status), 0 for the others");
	for (i = 0; i < sizeof(kstates) / sizeof(kstates[0]); i++)
		lbipamd_prom_sample(p, "", d->kern.state == kstates[i] ? 1 : 0,
			       "state", lbipamd_kstate_name(kstates[i]), NULL);
	lbipamd_prom_family(p, "lbipam_kernel_services", "gauge",
		       "Kernel services (address, port, protocol) the Services want");
	lbipamd_prom_sample(p, "", (double)lbipamd_kset_count_keys(&d->want.by_key),
		       NULL);
	lbipamd_prom_family(p, "lbipam_objects", "gauge",
		       "Objects stored, by kind");
	for (i = 0; i < LB_KIND_COUNT; i++)
		lbipamd_prom_sample(p, "", (double)lbe_count(d->eng,
							      (enum lb_kind)i),
			       "kind", lb_kind_name((enum lb_kind)i), NULL);
	lbipamd_prom_family(p, "lbipam_leader", "gauge",
		       "1 while this daemon is the leader that allocates (always in single-node mode)");
	lbipamd_prom_sample(p, "", d->leader ? 1 : 0, NULL);
}

/* ---------------------------------------------------------- data plane */

/* One family's samples over every kernel service. */
struct svc_family {
	const char *name, *type, *help;
};

static const struct svc_family svc_families[] = {
	{ "lbipam_service_connections_total", "counter",
	  "New connections the module sent to a backend of the service" },
	{ "lbipam_service_rejects_total", "counter",
	  "Connections refused for want of a usable backend" },
	{ "lbipam_service_drops_total", "counter",
	  "Connections dropped by a source range or the local-only policy" },
	{ "lbipam_service_affinity_lost_total", "counter",
	  "ClientIP affinity bindings not recorded (max_affinity_entries reached or no memory)" },
	{ "lbipam_service_affinity_entries", "gauge",
	  "Live ClientIP affinity bindings of the service (services with affinity only)" },
	{ "lbipam_service_backends", "gauge",
	  "Backends of the service in the module, by state" },
	{ "lbipam_backend_connections_total", "counter",
	  "New connections the module sent to the backend" },
};

static void svc_labels(struct lbipamd *d, const struct lb_service_key *k,
		       char *ns, char *name, size_t len, char *addr,
		       char *port, char *proto)
{
	const struct lbipamd_ksvc *w = lbipamd_kset_get(&d->want.by_key, k);
	const char *slash = w ? strchr(w->owner, '/') : NULL;

	ns[0] = name[0] = '\0';
	if (slash) {
		snprintf(ns, len, "%.*s", (int)(slash - w->owner), w->owner);
		snprintf(name, len, "%s", slash + 1);
	}
	lb_addr_str(&k->ep, addr, INET6_ADDRSTRLEN);
	snprintf(port, 8, "%u", k->ep.port);
	snprintf(proto, 8, "%s", lb_proto_k8s_name(k->proto));
}

static void svc_samples(struct lbipamd *d, struct lb_prom *p, size_t f,
			const struct lb_svc_reply *r)
{
	char ns[256], name[256], addr[INET6_ADDRSTRLEN], port[8], proto[8];
	const struct lb_counters *c = &r->stats;
	unsigned int by_state[LBIPAM_BE_STATE_MAX + 1] = { 0 };
	double v = 0;
	size_t i;

	svc_labels(d, &r->key, ns, name, sizeof(ns), addr, port, proto);
#define SVC_LABELS "namespace", ns, "service", name, "address", addr, \
		   "port", port, "protocol", proto
	switch (f) {
	case 0:
		v = (double)c->conns;
		break;
	case 1:
		v = (double)c->rejects;
		break;
	case 2:
		v = (double)c->drops;
		break;
	case 3:
		v = (double)c->aff_lost;
		break;
	case 4:
		if (!r->opts.affinity || !c->has_affinity)
			return;
		v = (double)c->affinity;
		break;
	case 5:
		for (i = 0; i < r->nbackends; i++)
			if (r->backends[i].state <= LBIPAM_BE_STATE_MAX)
				by_state[r->backends[i].state]++;
		for (i = 0; i <= LBIPAM_BE_STATE_MAX; i++)
			lbipamd_prom_sample(p, "", by_state[i], SVC_LABELS, "state",
				       lb_be_state_name((uint8_t)i), NULL);
		return;
	default:
		for (i = 0; i < r->nbackends; i++) {
			char be[LB_SERVICE_STRLEN];

			lb_endpoint_str(&r->backends[i].ep, be, sizeof(be));
			lbipamd_prom_sample(p, "", (double)r->backends[i].stats.conns,
				       SVC_LABELS, "backend", be, NULL);
		}
		return;
	}
	lbipamd_prom_sample(p, "", v, SVC_LABELS, NULL);
#undef SVC_LABELS
}

static void collect_services(struct lbipamd *d, struct lb_prom *p)
{
	struct lb_svc_list l = { 0 };
	size_t f, i;
	int err;

	err = lb_nl_get_services(&d->kern.nl, NULL, LB_GET_AFF_STATS, &l);
	if (err && err != -EAGAIN) {
		lb_svc_list_free(&l);
		return;
	}
	for (f = 0; f < sizeof(svc_families) / sizeof(svc_families[0]); f++) {
		lbipamd_prom_family(p, svc_families[f].name, svc_families[f].type,
			       svc_families[f].help);
		for (i = 0; i < l.n; i++)
			svc_samples(d, p, f, &l.v[i]);
	}
	lb_svc_list_free(&l);
}

static void collect_l2(struct lbipamd *d, struct lb_prom *p)
{
	struct lb_l2_list l = { 0 };
	size_t i, f;

	if (lb_nl_get_l2(&d->kern.nl, &l) && !l.n) {
		lb_l2_list_free(&l);
		return;
	}
	for (f = 0; f < 2; f++) {
		lbipamd_prom_family(p, f ? "lbipam_l2_announces_total" :
			       "lbipam_l2_answers_total", "counter",
			       f ? "Gratuitous ARPs and unsolicited neighbour advertisements sent for the announced address" :
			       "ARP requests and neighbour solicitations answered for the announced address");
		for (i = 0; i < l.n; i++) {
			char addr[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE] = "";

			lb_ip_str(l.v[i].family, &l.v[i].addr, addr,
				  sizeof(addr));
			if (!if_indextoname(l.v[i].ifindex, ifname))
				snprintf(ifname, sizeof(ifname), "%u",
					 l.v[i].ifindex);
			lbipamd_prom_sample(p, "", (double)(f ?
				       l.v[i].stats.announces :
				       l.v[i].stats.answers), "address", addr,
				       "interface", ifname, NULL);
		}
	}
	lb_l2_list_free(&l);
}

/* ------------------------------------------------------------- process */

static bool read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n > 0;
}

static double boot_time(void)
{
	char buf[8192], *bt;

	if (!read_file("/proc/stat", buf, sizeof(buf)))
		return 0;
	bt = strstr(buf, "\nbtime ");
	return bt ? strtod(bt + 7, NULL) : 0;
}

static void collect_process(struct lb_prom *p)
{
	double tick = (double)sysconf(_SC_CLK_TCK), page = (double)getpagesize();
	unsigned long long utime, stime, start, vsize;
	long long rss;
	struct rlimit rl;
	char buf[2048], *rp;
	struct dirent *de;
	unsigned long fds = 0;
	DIR *dir;

	if (!read_file("/proc/self/stat", buf, sizeof(buf)))
		return;
	/* After the command name, which may hold spaces and parentheses. */
	rp = strrchr(buf, ')');
	if (!rp ||
	    sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
		   &utime, &stime, &start, &vsize, &rss) != 5)
		return;
	lbipamd_prom_family(p, "process_cpu_seconds_total", "counter",
		       "Total user and system CPU time spent in seconds.");
	lbipamd_prom_sample(p, "", (double)(utime + stime) / tick, NULL);
	lbipamd_prom_family(p, "process_resident_memory_bytes", "gauge",
		       "Resident memory size in bytes.");
	lbipamd_prom_sample(p, "", (double)rss * page, NULL);
	lbipamd_prom_family(p, "process_virtual_memory_bytes", "gauge",
		       "Virtual memory size in bytes.");
	lbipamd_prom_sample(p, "", (double)vsize, NULL);
	lbipamd_prom_family(p, "process_start_time_seconds", "gauge",
		       "Start time of the process since unix epoch in seconds.");
	lbipamd_prom_sample(p, "", boot_time() + (double)start / tick, NULL);
	dir = opendir("/proc/self/fd");
	if (dir) {
		while ((de = readdir(dir)))
			fds += de->d_name[0] != '.';
		closedir(dir);
		/* Not the directory's own descriptor. */
		lbipamd_prom_family(p, "process_open_fds", "gauge",
			       "Number of open file descriptors.");
		lbipamd_prom_sample(p, "", (double)(fds - 1), NULL);
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		lbipamd_prom_family(p, "process_max_fds", "gauge",
			       "Maximum number of open file descriptors.");
		lbipamd_prom_sample(p, "", rl.rlim_cur == RLIM_INFINITY ? -1 :
			       (double)rl.rlim_cur, NULL);
	}
}

void lbipamd_metrics_collect(struct lbipamd *d, struct lb_prom *p)
{
	collect_ipam(d, p);
	collect_daemon(d, p);
	/* Without the module its families are absent, not zero. */
	if (d->kern.open && d->kern.state != LBIPAMD_K_MISSING) {
		collect_services(d, p);
		collect_l2(d, p);
	}
	collect_process(p);
	lbipamd_prom_family(p, "lbipam_build_info", "gauge",
		       "Always 1; the version of lbipamd in its label");
	lbipamd_prom_sample(p, "", 1, "version", LBIPAM_VERSION, NULL);
}
