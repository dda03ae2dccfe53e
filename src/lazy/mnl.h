/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libmnl (LGPL), loaded on first use (see lazy.h): include this, not its
 * header. Only `bulkhead net run` (the NFQUEUE live path, src/net/nfq.c)
 * loads it.
 */
#ifndef BULKHEAD_LAZY_MNL_H
#define BULKHEAD_LAZY_MNL_H

#include <libmnl/libmnl.h>

#include "lazy/lazy.h"

#define mnl_attr_put		   BH_LAZY(mnl, mnl_attr_put)
#define mnl_attr_put_u32	   BH_LAZY(mnl, mnl_attr_put_u32)
#define mnl_nlmsg_put_extra_header BH_LAZY(mnl, mnl_nlmsg_put_extra_header)
#define mnl_nlmsg_put_header	   BH_LAZY(mnl, mnl_nlmsg_put_header)
#define mnl_socket_bind		   BH_LAZY(mnl, mnl_socket_bind)
#define mnl_socket_close	   BH_LAZY(mnl, mnl_socket_close)
#define mnl_socket_get_fd	   BH_LAZY(mnl, mnl_socket_get_fd)
#define mnl_socket_get_portid	   BH_LAZY(mnl, mnl_socket_get_portid)
#define mnl_socket_open2	   BH_LAZY(mnl, mnl_socket_open2)
#define mnl_socket_recvfrom	   BH_LAZY(mnl, mnl_socket_recvfrom)
#define mnl_socket_sendto	   BH_LAZY(mnl, mnl_socket_sendto)
#define mnl_socket_setsockopt	   BH_LAZY(mnl, mnl_socket_setsockopt)

#endif
