/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller store's schema: its migrations, in order. Step i takes the
 * schema from version i to i + 1; a step is never edited once released, new
 * ones are appended at the end of steps[]. Only DDL differs between the
 * dialects (an identity column): pg NULL means the same text as SQLite's.
 * store.c runs them (migrate), each in its own transaction.
 */
#include <stdint.h>

#include "bulkhead/ctl.h"
#include "ctl/store_int.h"
#include "banned.h"

#define USERS_TOKENS                                                                               \
	"CREATE TABLE users ("                                                                     \
	" name TEXT PRIMARY KEY,"                                                                  \
	" role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'reader')),"                     \
	" pwhash TEXT NOT NULL,"                                                                   \
	" created BIGINT NOT NULL);"                                                               \
	"CREATE TABLE tokens ("                                                                    \
	" id TEXT PRIMARY KEY,"                                                                    \
	" hash TEXT NOT NULL,"                                                                     \
	" user_name TEXT,"                                                                         \
	" node TEXT,"                                                                              \
	" created BIGINT NOT NULL,"                                                                \
	" expires BIGINT NOT NULL,"                                                                \
	" revoked BIGINT,"                                                                         \
	" CHECK ((user_name IS NULL) <> (node IS NULL)));"                                         \
	"CREATE INDEX tokens_user ON tokens (user_name);"
#define AUDIT(id)                                                                                  \
	"CREATE TABLE audit (" id ","                                                              \
	" ts BIGINT NOT NULL,"                                                                     \
	" actor TEXT NOT NULL,"                                                                    \
	" action TEXT NOT NULL,"                                                                   \
	" object TEXT NOT NULL,"                                                                   \
	" before_json TEXT,"                                                                       \
	" after_json TEXT);"                                                                       \
	"CREATE INDEX audit_actor ON audit (actor, id);"                                           \
	"CREATE INDEX audit_ts ON audit (ts);"

/* auto17: images, their vulnerabilities and SBOMs (src/ctl/images.c) */
#define IMAGES(id)                                                                                 \
	"CREATE TABLE images (" id ","                                                             \
	" repository TEXT NOT NULL,"                                                               \
	" digest TEXT NOT NULL,"                                                                   \
	" first_seen BIGINT NOT NULL,"                                                             \
	" scanned_at BIGINT,"                                                                      \
	" db_version TEXT,"                                                                        \
	" n_unknown BIGINT NOT NULL DEFAULT 0,"                                                    \
	" n_low BIGINT NOT NULL DEFAULT 0,"                                                        \
	" n_medium BIGINT NOT NULL DEFAULT 0,"                                                     \
	" n_high BIGINT NOT NULL DEFAULT 0,"                                                       \
	" n_critical BIGINT NOT NULL DEFAULT 0,"                                                   \
	" max_severity BIGINT NOT NULL DEFAULT -1,"                                                \
	" UNIQUE (repository, digest));"                                                           \
	"CREATE INDEX images_digest ON images (digest);"                                           \
	"CREATE INDEX images_sev ON images (max_severity, id);"                                    \
	"CREATE TABLE image_vulns ("                                                               \
	" digest TEXT NOT NULL,"                                                                   \
	" vuln_id TEXT NOT NULL,"                                                                  \
	" package TEXT NOT NULL,"                                                                  \
	" version TEXT NOT NULL,"                                                                  \
	" fixed_version TEXT,"                                                                     \
	" severity BIGINT NOT NULL,"                                                               \
	" PRIMARY KEY (digest, vuln_id, package, version));"                                       \
	"CREATE TABLE image_sboms ("                                                               \
	" digest TEXT PRIMARY KEY,"                                                                \
	" cyclonedx TEXT NOT NULL,"                                                                \
	" stored_at BIGINT NOT NULL);"
/* agents and ingestion (agent17): nodes, their workloads and events; (node,
 * seq) unique makes a replayed batch store nothing twice */
#define NODES_EVENTS(id)                                                                           \
	"CREATE TABLE nodes ("                                                                     \
	" name TEXT PRIMARY KEY,"                                                                  \
	" registered BIGINT NOT NULL,"                                                             \
	" last_seen BIGINT NOT NULL,"                                                              \
	" agent_version TEXT,"                                                                     \
	" policy_version TEXT);"                                                                   \
	"CREATE TABLE workloads ("                                                                 \
	" node TEXT NOT NULL,"                                                                     \
	" container_id TEXT NOT NULL,"                                                             \
	" name TEXT,"                                                                              \
	" image TEXT,"                                                                             \
	" digest TEXT,"                                                                            \
	" pod TEXT,"                                                                               \
	" namespace TEXT,"                                                                         \
	" started BIGINT,"                                                                         \
	" gone BIGINT,"                                                                            \
	" report BIGINT NOT NULL,"                                                                 \
	" PRIMARY KEY (node, container_id));"                                                      \
	"CREATE TABLE events (" id ","                                                             \
	" node TEXT NOT NULL,"                                                                     \
	" seq BIGINT NOT NULL,"                                                                    \
	" ts BIGINT NOT NULL,"                                                                     \
	" kind TEXT NOT NULL,"                                                                     \
	" rule TEXT,"                                                                              \
	" severity TEXT,"                                                                          \
	" workload TEXT,"                                                                          \
	" event_json TEXT NOT NULL,"                                                               \
	" UNIQUE (node, seq));"                                                                    \
	"CREATE INDEX events_ts ON events (ts);"                                                   \
	"CREATE INDEX events_severity ON events (severity, id);"                                   \
	"CREATE INDEX events_rule ON events (rule, id);"                                           \
	"CREATE INDEX events_workload ON events (workload, id);"

/* views17: a vulnerability set aside (digest '': of every image) until expires */
#define SUPPRESSIONS(id)                                                                           \
	"CREATE TABLE suppressions (" id ","                                                       \
	" vuln_id TEXT NOT NULL,"                                                                  \
	" digest TEXT NOT NULL,"                                                                   \
	" reason TEXT NOT NULL,"                                                                   \
	" actor TEXT NOT NULL,"                                                                    \
	" created BIGINT NOT NULL,"                                                                \
	" expires BIGINT NOT NULL);"                                                               \
	"CREATE INDEX suppressions_vuln ON suppressions (vuln_id, expires);"

#define NODE_ACTIONS(id)                                                                           \
	"CREATE TABLE node_actions (" id ","                                                       \
	" node TEXT NOT NULL,"                                                                     \
	" kind TEXT NOT NULL,"                                                                     \
	" container TEXT NOT NULL,"                                                                \
	" reason TEXT NOT NULL,"                                                                   \
	" actor TEXT NOT NULL,"                                                                    \
	" state TEXT NOT NULL,"                                                                    \
	" error TEXT,"                                                                             \
	" created BIGINT NOT NULL,"                                                                \
	" updated BIGINT NOT NULL);"                                                               \
	"CREATE INDEX node_actions_node ON node_actions (node, state);"

static const struct bh_ctl_step steps[] = {
	{ USERS_TOKENS AUDIT("id INTEGER PRIMARY KEY AUTOINCREMENT"),
	  USERS_TOKENS AUDIT("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY") },
	/* ops17: alert rules (src/ctl/alert_rule.c) */
	{ "CREATE TABLE alert_rules ("
	  " name TEXT PRIMARY KEY,"
	  " min_severity BIGINT NOT NULL,"
	  " kind TEXT NOT NULL,"
	  " rule TEXT NOT NULL,"
	  " workload TEXT NOT NULL,"
	  " destination BIGINT NOT NULL,"
	  " url TEXT NOT NULL,"
	  " to_addr TEXT NOT NULL,"
	  " from_addr TEXT NOT NULL,"
	  " window_s BIGINT NOT NULL,"
	  " created BIGINT NOT NULL);",
	  NULL },
	{ IMAGES("id INTEGER PRIMARY KEY AUTOINCREMENT"),
	  IMAGES("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY") },
	{ NODES_EVENTS("id INTEGER PRIMARY KEY AUTOINCREMENT"),
	  NODES_EVENTS("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY") },
	/* views17: suppressed findings (src/ctl/suppress.c) */
	{ SUPPRESSIONS("id INTEGER PRIMARY KEY AUTOINCREMENT"),
	  SUPPRESSIONS("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY") },
	/* scale17: jobs one replica of several does (src/ctl/claim.c) */
	{ "CREATE TABLE claims ("
	  " job TEXT PRIMARY KEY,"
	  " holder TEXT NOT NULL,"
	  " until BIGINT NOT NULL,"
	  " done BIGINT NOT NULL DEFAULT 0);",
	  NULL },
	/* dist17: the node policy's versions (src/ctl/policy_dist.c) */
	{ "CREATE TABLE policies ("
	  " version BIGINT PRIMARY KEY,"
	  " author TEXT NOT NULL,"
	  " created BIGINT NOT NULL,"
	  " doc TEXT NOT NULL);",
	  NULL },
	/* dist17: actions queued for the agents (src/ctl/actions.c) */
	{ NODE_ACTIONS("id INTEGER PRIMARY KEY AUTOINCREMENT"),
	  NODE_ACTIONS("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY") },
	/* flows17: the agents' flow records (src/ctl/flows.c): each (node, seq)
	 * once, edges summed per minute bucket, their threat IDs */
	{ "CREATE TABLE flow_seqs ("
	  " node TEXT NOT NULL,"
	  " seq BIGINT NOT NULL,"
	  " ts BIGINT NOT NULL,"
	  " dropped BIGINT NOT NULL,"
	  " PRIMARY KEY (node, seq));"
	  "CREATE TABLE flows ("
	  " bucket BIGINT NOT NULL,"
	  " node TEXT NOT NULL,"
	  " src TEXT NOT NULL,"
	  " dst TEXT NOT NULL,"
	  " port BIGINT NOT NULL,"
	  " l4 TEXT NOT NULL,"
	  " app TEXT NOT NULL,"
	  " src_peer BIGINT NOT NULL,"
	  " dst_peer BIGINT NOT NULL,"
	  " bytes BIGINT NOT NULL,"
	  " packets BIGINT NOT NULL,"
	  " conns BIGINT NOT NULL,"
	  " allowed BIGINT NOT NULL,"
	  " denied BIGINT NOT NULL,"
	  " last_seen BIGINT NOT NULL,"
	  " PRIMARY KEY (bucket, node, src, dst, port, l4, app));"
	  "CREATE TABLE flow_threats ("
	  " bucket BIGINT NOT NULL,"
	  " node TEXT NOT NULL,"
	  " src TEXT NOT NULL,"
	  " dst TEXT NOT NULL,"
	  " port BIGINT NOT NULL,"
	  " l4 TEXT NOT NULL,"
	  " app TEXT NOT NULL,"
	  " threat TEXT NOT NULL,"
	  " hits BIGINT NOT NULL,"
	  " PRIMARY KEY (bucket, node, src, dst, port, l4, app, threat));",
	  NULL }, /* lease17: an action handed out is leased (lease_until, the unix time its
		   * lease ends) and handed out again when it expires (attempts counted);
		   * rows sent before this step have lease_until 0: expired, handed again */
	{ "ALTER TABLE node_actions ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;"
	  "ALTER TABLE node_actions ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;",
	  NULL },
	/* lease17: flows retention (src/ctl/retention.c): every seq of a node at
	 * or below its floor is held (its flow_seqs row pruned) */
	{ "CREATE TABLE flow_floor ("
	  " node TEXT PRIMARY KEY,"
	  " seq BIGINT NOT NULL);",
	  NULL },
	/* profiles17: the behaviour profiles the agents learned (src/ctl/profiles.c),
	 * once per (node, key) and digest, and the modes each node runs */
	{ "CREATE TABLE profiles ("
	  " node TEXT NOT NULL,"
	  " key TEXT NOT NULL,"
	  " digest TEXT NOT NULL,"
	  " mode TEXT NOT NULL,"
	  " items BIGINT NOT NULL,"
	  " doc TEXT NOT NULL,"
	  " updated BIGINT NOT NULL,"
	  " PRIMARY KEY (node, key));"
	  "CREATE TABLE node_modes ("
	  " node TEXT PRIMARY KEY,"
	  " policy_version BIGINT,"
	  " modes TEXT NOT NULL,"
	  " updated BIGINT NOT NULL);",
	  NULL },
	/* launch18: TPM attestations (src/ctl/attest.c): nonces, each node's last
	 * verification, pinned key and verified log, each container's last
	 * verified launch */
	{ "CREATE TABLE attest_nonces ("
	  " node TEXT PRIMARY KEY,"
	  " nonce TEXT NOT NULL,"
	  " expires BIGINT NOT NULL);"
	  "CREATE TABLE attest_nodes ("
	  " node TEXT PRIMARY KEY,"
	  " last_at BIGINT NOT NULL,"
	  " verified BIGINT NOT NULL,"
	  " reason TEXT,"
	  " pcr_digest TEXT,"
	  " verified_at BIGINT,"
	  " failures BIGINT NOT NULL DEFAULT 0,"
	  " entries BIGINT NOT NULL DEFAULT 0,"
	  " log_text TEXT,"
	  " ak_pem TEXT,"
	  " pinned BIGINT);"
	  "CREATE TABLE attest_launches ("
	  " node TEXT NOT NULL,"
	  " container_id TEXT NOT NULL,"
	  " image TEXT,"
	  " manifest_digest TEXT,"
	  " config_digest TEXT,"
	  " recnum BIGINT NOT NULL,"
	  " verified_at BIGINT NOT NULL,"
	  " PRIMARY KEY (node, container_id));",
	  NULL },
	/* ingest17: the events' time index made coarse (the minute: ts / 60).
	 * An index on ts had an entry in a page of its own for nearly every row
	 * of a batch (the nodes' times interleave), each written at each commit;
	 * the minute's entries end in the rowid order, so a batch touches a page
	 * or two. A query by time says both "ts / 60 >= ? / 60" (the index) and
	 * "ts >= ?" (exact); see the tests' EXPLAIN QUERY PLAN. */
	{ "CREATE INDEX events_minute ON events ((ts / 60));"
	  "DROP INDEX events_ts;",
	  NULL },
	/* ingest17: what the images' stored counts reflect of a suppression
	 * (0 nothing yet, 1 it active, 2 it expired; src/ctl/suppress.c) */
	{ "ALTER TABLE suppressions ADD COLUMN counted BIGINT NOT NULL DEFAULT 0;", NULL },
	/* bench17: the nodes' last bench runs (events of kind "bench", src/ctl/bench.c) and
	 * the countermeasure view's counts by kind */
	{ "CREATE INDEX events_bench ON events (node, kind, ts);", NULL },
	/* ctlfix17: a node's last bench run is its latest by id, not by the agent's clock */
	{ "CREATE INDEX events_bench_id ON events (node, kind, id);", NULL },
	/* ctlmisc19: an attestation log sent in chunks (src/ctl/attest_chunk.c):
	 * one partial per node, under the nonce it was sent for */
	{ "CREATE TABLE attest_chunks ("
	  " node TEXT PRIMARY KEY,"
	  " nonce TEXT NOT NULL,"
	  " bytes BIGINT NOT NULL,"
	  " log_text TEXT NOT NULL,"
	  " updated BIGINT NOT NULL);",
	  NULL },
};
#define NSTEPS ((int64_t)(sizeof(steps) / sizeof(steps[0])))

int64_t bh_ctl_store_schema_latest(void)
{
	return NSTEPS;
}

const struct bh_ctl_step *bh_ctl_schema_step(int64_t i)
{
	return i >= 0 && i < NSTEPS ? &steps[i] : NULL;
}
