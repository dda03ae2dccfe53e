#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Workload: redis-server on 127.0.0.1:6379 under redis-benchmark (20000
# requests of each of SET, GET, INCR, LPUSH, LPOP, SADD, HSET, ZADD, 20
# clients, pipelined by 4), then its own checks: values written and read back
# with redis-cli, the benchmark's keys there, a SAVE to disk that redis-check-rdb
# accepts; exits 0 when every check passed.
#   redis.sh [work|new]   new: also `taskset -c 0 redis-cli ping` (the
#                         sched_setaffinity syscall), reported as new=RC
set -u
MODE=${1:-work}
W=/tmp/redis
fail=0
check() { # NAME OK?
	if [ "$2" = 0 ]; then echo "check $1 ok"; else echo "check $1 FAIL"; fail=1; fi
}
cli() { redis-cli -h 127.0.0.1 -p 6379 "$@"; }
mkdir -p $W || exit 1
redis-server --bind 127.0.0.1 --port 6379 --dir $W --dbfilename dump.rdb --save '' \
	--appendonly no --logfile $W/redis.log --daemonize no --protected-mode yes &
pid=$!
# the poll loops below sleep only when the server is slow: one sleep always,
# so a profile learned on a fast run knows it (monitor-soak's replay)
sleep 0.1
up=1
i=0
while [ $i -lt 100 ]; do
	[ "$(cli ping 2>/dev/null)" = PONG ] && { up=0; break; }
	sleep 0.1
	i=$((i + 1))
done
check "redis answers" $up
redis-benchmark -h 127.0.0.1 -p 6379 -q -n 20000 -c 20 -P 4 -r 1000 \
	-t set,get,incr,lpush,lpop,sadd,hset,zadd >$W/bench.out 2>&1
check "redis-benchmark" $?
check "8 tests reported" "$([ "$(grep -c 'requests per second' $W/bench.out)" = 8 ] && echo 0 || echo 1)"
cli set greeting "hello from the workload" >/dev/null
check "GET returns what SET wrote" "$([ "$(cli get greeting)" = "hello from the workload" ] && echo 0 || echo 1)"
cli del counter >/dev/null
i=0
while [ $i -lt 50 ]; do cli incr counter >/dev/null; i=$((i + 1)); done
check "INCR x50" "$([ "$(cli get counter)" = 50 ] && echo 0 || echo 1)"
cli rpush list a b c >/dev/null
check "a list" "$([ "$(cli lrange list 0 -1 | tr '\n' ' ')" = "a b c " ] && echo 0 || echo 1)"
check "the benchmark's keys are there" "$([ "$(cli dbsize)" -gt 100 ] && echo 0 || echo 1)"
check "SAVE" "$([ "$(cli save)" = OK ] && echo 0 || echo 1)"
redis-check-rdb $W/dump.rdb >$W/check.out 2>&1
check "redis-check-rdb accepts the dump" $?

if [ "$MODE" = new ]; then
	taskset -c 0 redis-cli -h 127.0.0.1 -p 6379 ping >$W/new.out 2>&1
	echo "new=$?"
	cat $W/new.out
fi

cli shutdown nosave >/dev/null 2>&1
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "redis stops" "$(kill -0 $pid 2>/dev/null && echo 1 || echo 0)"
wait $pid 2>/dev/null
[ $fail = 0 ] && echo "RESULT ok" || echo "RESULT FAIL"
exit $fail
