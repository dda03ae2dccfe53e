/* SPDX-License-Identifier: Apache-2.0 */
/* Linux capability names (include/bulkhead/base.h): the runtime's spec and
 * the monitor's rule fields share the one table. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bulkhead/base.h"
#include "banned.h"

static const char *const cap_names[BH_NCAPS] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

const char *bh_cap_name(int cap)
{
	return cap >= 0 && cap < BH_NCAPS ? cap_names[cap] : NULL;
}

int bh_cap_from_name(const char *name)
{
	char up[40];
	size_t i, n = strlen(name);

	if (n >= sizeof(up) - 4)
		return -1;
	/* accept "CAP_CHOWN", "cap_chown" and "CHOWN" */
	if (strncasecmp(name, "CAP_", 4))
		snprintf(up, sizeof(up), "CAP_%s", name);
	else
		snprintf(up, sizeof(up), "%s", name);
	for (i = 0; up[i]; i++)
		if (up[i] >= 'a' && up[i] <= 'z')
			up[i] = (char)(up[i] - 'a' + 'A');
	for (i = 0; i < BH_NCAPS; i++)
		if (!strcmp(up, cap_names[i]))
			return (int)i;
	return -1;
}
