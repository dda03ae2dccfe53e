#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Workload: nginx (2 workers) serving 32 files on 127.0.0.1:8080 to curl, 2400
# requests over 8 parallel keep-alive connections, then every file fetched
# again and compared byte for byte; exits 0 when every check passed.
#   nginx.sh [work|new]   new: also `unshare -U true` (the unshare syscall,
#                         which the work never makes), reported as new=RC
# Runs in a container whose /tmp is writable and whose loopback is up.
set -u
MODE=${1:-work}
W=/tmp/nginx
fail=0
check() { # NAME OK?
	if [ "$2" = 0 ]; then echo "check $1 ok"; else echo "check $1 FAIL"; fail=1; fi
}
mkdir -p $W/html $W/tmp || exit 1
i=0
while [ $i -lt 32 ]; do
	head -c $((i * 3000 + 17)) /dev/urandom >$W/html/f$i.bin
	i=$((i + 1))
done
echo '<html><body>bulkhead workload</body></html>' >$W/html/index.html
cat >$W/nginx.conf <<CONF
daemon on;
worker_processes 2;
pid $W/nginx.pid;
error_log $W/error.log;
events { worker_connections 256; }
http {
	access_log $W/access.log;
	client_body_temp_path $W/tmp/body;
	proxy_temp_path $W/tmp/proxy;
	fastcgi_temp_path $W/tmp/fastcgi;
	uwsgi_temp_path $W/tmp/uwsgi;
	scgi_temp_path $W/tmp/scgi;
	sendfile on;
	keepalive_requests 10000;
	server {
		listen 127.0.0.1:8080;
		root $W/html;
		location / { }
	}
}
CONF
nginx -t -q -c $W/nginx.conf -e $W/error.log
check "nginx -t" $?
nginx -c $W/nginx.conf -e $W/error.log
check "nginx starts" $?
# the poll loops below sleep only when the server is slow: one sleep always,
# so a profile learned on a fast run knows it (monitor-soak's replay)
sleep 0.1
up=1
i=0
while [ $i -lt 100 ]; do
	curl -sf -o /dev/null http://127.0.0.1:8080/ && { up=0; break; }
	sleep 0.1
	i=$((i + 1))
done
check "nginx answers" $up

# the load: 2400 GETs, 8 at a time, each connection kept alive
: >$W/urls
n=0
while [ $n -lt 75 ]; do
	i=0
	while [ $i -lt 32 ]; do
		echo "url = \"http://127.0.0.1:8080/f$i.bin\"" >>$W/urls
		echo "output = \"/dev/null\"" >>$W/urls
		i=$((i + 1))
	done
	n=$((n + 1))
done
curl -s --parallel --parallel-max 8 -K $W/urls -w '%{http_code}\n' >$W/codes
check "curl --parallel" $?
check "2400 answers, all 200" "$([ "$(grep -c '^200$' $W/codes)" = 2400 ] && echo 0 || echo 1)"
# every file again, compared
bad=0
i=0
while [ $i -lt 32 ]; do
	curl -sf -o $W/got http://127.0.0.1:8080/f$i.bin && cmp -s $W/got $W/html/f$i.bin || bad=$((bad + 1))
	i=$((i + 1))
done
check "32 files served byte for byte" $bad
check "a missing file is 404" "$([ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/nope)" = 404 ] && echo 0 || echo 1)"
check "the access log has every request" "$([ "$(wc -l <$W/access.log)" -ge 2433 ] && echo 0 || echo 1)"

if [ "$MODE" = new ]; then
	unshare -U true 2>$W/new.err
	echo "new=$?"
	cat $W/new.err
fi

kill -QUIT "$(cat $W/nginx.pid)"
i=0
while [ -e $W/nginx.pid ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "nginx stops" "$([ ! -e $W/nginx.pid ] && echo 0 || echo 1)"
[ $fail = 0 ] && echo "RESULT ok" || echo "RESULT FAIL"
exit $fail
