// SPDX-License-Identifier: GPL-2.0
/*
 * lbipam: LoadBalancer VIP translation for Kubernetes nodes, per network
 * namespace, through conntrack and nf_nat.
 */

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_nat_masquerade.h>
#include "lbipam.h"

unsigned int lbipam_net_id __read_mostly;

unsigned int lbipam_max_services __read_mostly = 131072;
module_param_named(max_services, lbipam_max_services, uint, 0644);
MODULE_PARM_DESC(max_services, "Most services one network namespace may hold");

unsigned int lbipam_max_backends __read_mostly = 4096;
module_param_named(max_backends, lbipam_max_backends, uint, 0644);
MODULE_PARM_DESC(max_backends, "Most backends one service may hold (at most 65534)");

unsigned int lbipam_max_affinity_entries __read_mostly = 1 << 20;
module_param_named(max_affinity_entries, lbipam_max_affinity_entries, uint,
		   0644);
MODULE_PARM_DESC(max_affinity_entries,
		 "Most ClientIP affinity entries one network namespace may hold");

unsigned int lbipam_max_l2 __read_mostly = 4096;
module_param_named(max_l2, lbipam_max_l2, uint, 0644);
MODULE_PARM_DESC(max_l2,
		 "Most L2 announcements one network namespace may hold");

static int __net_init lbipam_net_init(struct net *net)
{
	struct lbipam_net *ln = lbipam_pernet(net);

	int err;

	mutex_init(&ln->lock);
	ln->net = net;
	ln->gen = 1;
	lbipam_ct_jobs_init(ln);
	err = lbipam_table_init(ln);
	if (err)
		return err;
	err = lbipam_aff_init(ln);
	if (err)
		goto table;
	err = lbipam_l2_init(ln);
	if (err)
		goto aff;
	return 0;
aff:
	lbipam_aff_destroy(ln);
table:
	lbipam_table_destroy(ln);
	return err;
}

/*
 * The hooks go first; the core guarantees a grace period before .exit, so
 * no packet can still be looking at the table when it is freed.
 */
static void __net_exit lbipam_net_pre_exit(struct net *net)
{
	struct lbipam_net *ln = lbipam_pernet(net);

	lbipam_ct_jobs_destroy(ln);
	mutex_lock(&ln->lock);
	lbipam_nat_disable(ln, NFPROTO_IPV4);
	lbipam_nat_disable(ln, NFPROTO_IPV6);
	lbipam_op_disable(ln, NFPROTO_IPV4);
	lbipam_op_disable(ln, NFPROTO_IPV6);
	lbipam_l2_hooks_off(ln);
	mutex_unlock(&ln->lock);
}

static void __net_exit lbipam_net_exit(struct net *net)
{
	struct lbipam_net *ln = lbipam_pernet(net);

	lbipam_l2_destroy(ln);
	lbipam_aff_destroy(ln);
	lbipam_table_destroy(ln);
}

static struct pernet_operations lbipam_net_ops = {
	.init = lbipam_net_init,
	.pre_exit = lbipam_net_pre_exit,
	.exit = lbipam_net_exit,
	.id = &lbipam_net_id,
	.size = sizeof(struct lbipam_net),
};

static int __init lbipam_init(void)
{
	int err;

	/*
	 * Masquerade picks the egress device's address once per connection:
	 * when that address or the device goes, the NAT core's notifiers
	 * delete the entries bound to it, or they would keep sending from a
	 * dead address. They count their users, as xt_MASQUERADE and
	 * nft_masq use them too.
	 */
	err = nf_nat_masquerade_inet_register_notifiers();
	if (err)
		return err;
	err = lbipam_op_init();
	if (err)
		goto err_masq;
	err = register_pernet_subsys(&lbipam_net_ops);
	if (err)
		goto err_op;
	err = lbipam_l2_notifier_init();
	if (err)
		goto err_pernet;
	err = lbipam_genl_init();
	if (err)
		goto err_notifier;
	pr_info("loaded\n");
	return 0;

err_notifier:
	lbipam_l2_notifier_exit();
err_pernet:
	unregister_pernet_subsys(&lbipam_net_ops);
err_op:
	lbipam_op_exit();
err_masq:
	nf_nat_masquerade_inet_unregister_notifiers();
	return err;
}

static void __exit lbipam_exit(void)
{
	/* No new requests first; in-flight ones finish before this returns. */
	lbipam_genl_exit();
	/*
	 * Before the per-namespace state goes, which the notifier reads.
	 * Unregistering replays NETDEV_UNREGISTER for every device, which
	 * already drops the announcements and their device references.
	 */
	lbipam_l2_notifier_exit();
	unregister_pernet_subsys(&lbipam_net_ops);
	lbipam_op_exit();
	nf_nat_masquerade_inet_unregister_notifiers();
	/* Old states and services are freed by our own RCU callbacks. */
	rcu_barrier();
}

module_init(lbipam_init);
module_exit(lbipam_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LoadBalancer VIP translation through conntrack and nf_nat");
MODULE_AUTHOR("The lbipam authors");
MODULE_VERSION(LBIPAM_VERSION);
MODULE_ALIAS_GENL_FAMILY(LBIPAM_GENL_NAME);
