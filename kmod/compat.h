/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel differences, and only those: the module is written against the
 * newest API it builds on (6.12); this maps it onto older kernels. Kbuild
 * forces it into every kmod/ file and defines LBIPAM_COMPAT_* from feature
 * probes of the kernel's headers, so the code carries no version checks.
 */
#ifndef _LBIPAM_COMPAT_H
#define _LBIPAM_COMPAT_H

#include <net/genetlink.h>

/*
 * The events group is for CAP_NET_ADMIN only. Mainline has the flag since
 * 6.7; 6.1.y gained it late (Debian's 6.1.0-47, 6.1.170, still lacks it).
 * Without it any user could listen to every service change: refuse to
 * build rather than silently open the group. Also rules out anything older
 * than 6.1.
 */
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "lbipam requires GENL_MCAST_CAP_NET_ADMIN: Linux 6.7+, or 6.1.176+ (Debian 6.1.0-50+)"
#endif

/*
 * 6.2 moved a dump's parsed attributes into a struct genl_info reached
 * with genl_info_dump(). Before, struct genl_dumpit_info holds them itself
 * under the same name, so genl_info_dump(cb)->attrs means the same on both.
 */
#ifdef LBIPAM_COMPAT_NO_GENL_INFO_DUMP
#define genl_info_dump(cb) genl_dumpit_info(cb)
#endif

#endif /* _LBIPAM_COMPAT_H */
