#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Workload: a shell script of busybox applets only (run as `busybox sh`):
# generates a data set, sorts, counts and sums it with sort, uniq, awk, sed,
# grep, splits it with awk, archives and compresses it with tar and gzip, checks md5sums, and
# compares every result with the value known in advance; exits 0 when every
# check passed.
#   busybox.sh [work|new]  new: also `renice` (the setpriority syscall), new=RC,
#                          and a mount attempt, mount=RC (always refused)
set -u
MODE=${1:-work}
W=/tmp/bb
fail=0
check() { # NAME OK?
	if [ "$2" = 0 ]; then echo "check $1 ok"; else echo "check $1 FAIL"; fail=1; fi
}
bb() { busybox "$@"; }
bb mkdir -p $W/data $W/out || exit 1
i=1
while [ $i -le 2000 ]; do
	echo "item$((i % 37)) $((i * 7 % 101)) line$i"
	i=$((i + 1))
done >$W/data/records.txt
check "2000 records" "$([ "$(bb wc -l <$W/data/records.txt)" = 2000 ] && echo 0 || echo 1)"
check "37 distinct items" "$([ "$(bb cut -d' ' -f1 $W/data/records.txt | bb sort | bb uniq | bb wc -l)" = 37 ] && echo 0 || echo 1)"
sum=$(bb awk '{ s += $2 } END { print s }' $W/data/records.txt)
want=0
i=1
while [ $i -le 2000 ]; do want=$((want + i * 7 % 101)); i=$((i + 1)); done
check "awk sums the values" "$([ "$sum" = "$want" ] && echo 0 || echo 1)"
bb sed -n 's/^item3 \([0-9]*\) .*/\1/p' $W/data/records.txt | bb sort -n | bb tail -n 1 >$W/out/max3
check "sed and sort -n" "$([ -s $W/out/max3 ] && echo 0 || echo 1)"
check "grep -c" "$([ "$(bb grep -c '^item0 ' $W/data/records.txt)" = 54 ] && echo 0 || echo 1)"
bb awk -v d=$W/data '{ print > (d "/part." int((NR - 1) / 500)) }' $W/data/records.txt
check "split into 4" "$([ "$(bb ls $W/data | bb grep -c '^part\.')" = 4 ] && echo 0 || echo 1)"
(cd $W/data && bb md5sum part.* >$W/out/sums)
bb tar -C $W -czf $W/out/data.tgz data
check "tar czf" $?
bb mkdir -p $W/restore
bb tar -C $W/restore -xzf $W/out/data.tgz
check "tar xzf" $?
(cd $W/restore/data && bb md5sum -c $W/out/sums >/dev/null)
check "md5sum -c of the restored files" $?
check "cmp after gzip -d" "$(bb gzip -dc $W/out/data.tgz | bb tar -xO data/records.txt | bb cmp -s - $W/data/records.txt && echo 0 || echo 1)"
bb find $W -type f -name 'part.*' >$W/out/found
check "find" "$([ "$(bb wc -l <$W/out/found)" = 8 ] && echo 0 || echo 1)"
bb date +%s >/dev/null && bb sleep 0.1 && bb env >/dev/null
check "date, sleep, env" $?

if [ "$MODE" = new ]; then
	bb renice -n 5 -p $$ 2>$W/new.err
	echo "new=$?"
	bb mount -t tmpfs none $W/out 2>>$W/new.err
	echo "mount=$?"
	bb cat $W/new.err
fi
[ $fail = 0 ] && echo "RESULT ok" || echo "RESULT FAIL"
exit $fail
