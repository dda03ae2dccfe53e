/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/guard.sh's host loop: N TCP connects to a loopback listener (each
 * accepted and closed) and N UDP sends to a loopback port, each through the
 * cgroup connect4 / sendmsg4 hooks when the guard is attached. Prints
 * "tcp_ns_per_op udp_ns_per_op".
 *
 *   connect_loop N
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), u, r;
	double t0, tcp, udp;
	char b = 'x';

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 64) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &al) < 0) {
		perror("listen");
		return 1;
	}
	t0 = now();
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), s;

		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0) {
			perror("connect");
			return 1;
		}
		s = accept(l, NULL, NULL);
		close(c);
		if (s >= 0)
			close(s);
	}
	tcp = (now() - t0) / n;
	r = socket(AF_INET, SOCK_DGRAM, 0);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_port = 0;
	if (r < 0 || u < 0 || bind(r, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(r, (struct sockaddr *)&a, &al) < 0) {
		perror("udp");
		return 1;
	}
	t0 = now();
	for (long i = 0; i < n; i++) {
		char d;

		if (sendto(u, &b, 1, 0, (struct sockaddr *)&a, sizeof(a)) != 1) {
			perror("sendto");
			return 1;
		}
		if (recv(r, &d, 1, 0) != 1)
			return 1;
	}
	udp = (now() - t0) / n;
	printf("%.0f %.0f\n", tcp, udp);
	return 0;
}
