/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kafka wire protocol, requests (client to broker): a 4-byte big-endian
 * size, then the request header: api_key, api_version, correlation_id and
 * (header v1 and v2) client_id as a nullable int16-length string. Each
 * request is a COMMAND record: name the API ("Produce", "Fetch",
 * "ApiVersions", ...; "api-N" for a key this table does not know), arg the
 * client id. A request is at most KAFKA_MAX bytes (the broker's default
 * socket.request.max.bytes), else the flow is malformed; only its first
 * KAFKA_KEEP bytes are kept. The broker's responses are not parsed.
 */
#include <stdio.h>
#include <string.h>

#include "net/dissect.h"
#include "net/l7_line.h"
#include "banned.h"

#define KAFKA_MAX	  (100u * 1024 * 1024)
#define KAFKA_KEEP	  256
#define KAFKA_VERSION_MAX 32

static const char *const kafka_apis[] = {
	"Produce",
	"Fetch",
	"ListOffsets",
	"Metadata",
	"LeaderAndIsr",
	"StopReplica",
	"UpdateMetadata",
	"ControlledShutdown",
	"OffsetCommit",
	"OffsetFetch",
	"FindCoordinator",
	"JoinGroup",
	"Heartbeat",
	"LeaveGroup",
	"SyncGroup",
	"DescribeGroups",
	"ListGroups",
	"SaslHandshake",
	"ApiVersions",
	"CreateTopics",
	"DeleteTopics",
	"DeleteRecords",
	"InitProducerId",
	"OffsetForLeaderEpoch",
	"AddPartitionsToTxn",
	"AddOffsetsToTxn",
	"EndTxn",
	"WriteTxnMarkers",
	"TxnOffsetCommit",
	"DescribeAcls",
	"CreateAcls",
	"DeleteAcls",
	"DescribeConfigs",
	"AlterConfigs",
	"AlterReplicaLogDirs",
	"DescribeLogDirs",
	"SaslAuthenticate",
	"CreatePartitions",
	"CreateDelegationToken",
	"RenewDelegationToken",
	"ExpireDelegationToken",
	"DescribeDelegationToken",
	"DeleteGroups",
	"ElectLeaders",
	"IncrementalAlterConfigs",
	"AlterPartitionReassignments",
	"ListPartitionReassignments",
	"OffsetDelete",
	"DescribeClientQuotas",
	"AlterClientQuotas",
	"DescribeUserScramCredentials",
	"AlterUserScramCredentials",
	"Vote",
	"BeginQuorumEpoch",
	"EndQuorumEpoch",
	"DescribeQuorum",
	"AlterPartition",
	"UpdateFeatures",
	"Envelope",
	"FetchSnapshot",
	"DescribeCluster",
	"DescribeProducers",
	"BrokerRegistration",
	"BrokerHeartbeat",
	"UnregisterBroker",
	"DescribeTransactions",
	"ListTransactions",
	"AllocateProducerIds",
	"ConsumerGroupHeartbeat",
};
#define KAFKA_NAPI (sizeof(kafka_apis) / sizeof(kafka_apis[0]))

struct kafka_state {
	uint8_t hdr[4];
	uint8_t hdr_have;
	uint32_t left, keep;
	uint8_t buf[KAFKA_KEEP];
	char name[16];
};

static const uint16_t kafka_ports[] = { 9092, 9093, 0 };

static enum bh_net_probe kafka_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				     const uint8_t *buf, size_t len)
{
	(void)flow;
	if (dir == BH_NET_TO_CLIENT)
		return BH_NET_PROBE_NO; /* the client speaks first; responses carry no key */
	if (len < 12)
		return len >= 1 && buf[0] ? BH_NET_PROBE_NO : BH_NET_PROBE_NEED_MORE;
	uint32_t size = bh_net_be32(buf);
	uint16_t key = bh_net_be16(buf + 4), ver = bh_net_be16(buf + 6);
	if (size < 8 || size > KAFKA_MAX || key >= KAFKA_NAPI || ver > KAFKA_VERSION_MAX)
		return BH_NET_PROBE_NO;
	if (len < 14)
		return BH_NET_PROBE_NEED_MORE;
	uint16_t cl = bh_net_be16(buf + 12);
	if (cl == 0xffff)
		return BH_NET_PROBE_MAYBE;
	if (cl > 256 || cl + 10u > size)
		return BH_NET_PROBE_NO;
	for (size_t i = 14; i < 14u + cl; i++) {
		if (i == len)
			return BH_NET_PROBE_NEED_MORE;
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return BH_NET_PROBE_NO;
	}
	return cl ? BH_NET_PROBE_YES : BH_NET_PROBE_MAYBE;
}

static enum bh_net_feed request(struct kafka_state *s, const struct bh_net_dissect_ctx *ctx)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_COMMAND,
				.dir = BH_NET_TO_SERVER,
				.app = "kafka" };
	const uint8_t *p = s->buf;
	size_t n = s->keep;

	if (n < 8)
		return BH_NET_FEED_MALFORMED;
	uint16_t key = bh_net_be16(p);
	if (key < KAFKA_NAPI) {
		r.u.command.name.p = kafka_apis[key];
		r.u.command.name.len = strlen(kafka_apis[key]);
	} else {
		snprintf(s->name, sizeof(s->name), "api-%u", key);
		r.u.command.name.p = s->name;
		r.u.command.name.len = strlen(s->name);
	}
	if (n >= 10) {
		uint16_t cl = bh_net_be16(p + 8);
		if (cl != 0xffff) {
			if (cl > n - 10 && n < KAFKA_KEEP)
				return BH_NET_FEED_MALFORMED;
			r.u.command.arg.p = (const char *)p + 10;
			r.u.command.arg.len = cl > n - 10 ? n - 10 : cl;
		}
	}
	ctx->emit(ctx->opaque, &r);
	return BH_NET_FEED_MORE;
}

static enum bh_net_feed kafka_feed(void *state, enum bh_net_dir dir, const uint8_t *data,
				   size_t len, const struct bh_net_dissect_ctx *ctx)
{
	struct kafka_state *s = state;
	size_t off = 0, mark = 0, carry; /* mark: where the request in progress began */

	if (dir != BH_NET_TO_SERVER)
		return BH_NET_FEED_MORE;
	if (!data) {
		if (s->hdr_have == 4 && s->keep == KAFKA_KEEP && len < s->left) {
			s->left -= (uint32_t)len;
			return BH_NET_FEED_MORE;
		}
		return BH_NET_FEED_DONE;
	}
	/* the bytes held from earlier chunks of a message begun there */
	carry = s->hdr_have == 4 ? s->keep : 0;
	while (off < len) {
		if (!s->hdr_have)
			mark = off;
		if (s->hdr_have < 4) {
			s->hdr[s->hdr_have++] = data[off++];
			if (s->hdr_have < 4)
				continue;
			s->left = bh_net_be32(s->hdr);
			if (s->left < 8 || s->left > KAFKA_MAX)
				return bh_net_feed_gave_up(ctx, mark);
			s->keep = 0;
			continue;
		}
		size_t n = len - off < s->left ? len - off : s->left, k = n;
		if (k > KAFKA_KEEP - s->keep)
			k = KAFKA_KEEP - s->keep;
		memcpy(s->buf + s->keep, data + off, k);
		s->keep += (uint32_t)k;
		s->left -= (uint32_t)n;
		off += n;
		if (!s->left) {
			s->hdr_have = 0;
			enum bh_net_feed f = request(s, ctx);
			if (f == BH_NET_FEED_MALFORMED)
				return mark == 0 && carry
					       ? bh_net_feed_gave_up_held(ctx, s->buf, carry)
					       : bh_net_feed_gave_up(ctx, mark);
			carry = 0;
			if (f != BH_NET_FEED_MORE)
				return f;
		}
	}
	return BH_NET_FEED_MORE;
}

const struct bh_net_dissector bh_net_l7_kafka = {
	.app = "kafka",
	.l4 = BH_NET_L4_TCP,
	.ports = kafka_ports,
	.state_size = sizeof(struct kafka_state),
	.probe = kafka_probe,
	.feed = kafka_feed,
	.wants = net_l7_requests_only,
};
