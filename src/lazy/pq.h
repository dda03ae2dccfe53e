/* SPDX-License-Identifier: Apache-2.0 */
/* libpq (PostgreSQL's client), loaded on first use (see lazy.h): include this,
 * not its headers. Only the controller's PostgreSQL store uses it. */
#ifndef BULKHEAD_LAZY_PQ_H
#define BULKHEAD_LAZY_PQ_H

#include <libpq-fe.h>

#include "lazy/lazy.h"

#define PQclear		     BH_LAZY(pq, PQclear)
#define PQcmdTuples	     BH_LAZY(pq, PQcmdTuples)
#define PQconnectdb	     BH_LAZY(pq, PQconnectdb)
#define PQerrorMessage	     BH_LAZY(pq, PQerrorMessage)
#define PQexec		     BH_LAZY(pq, PQexec)
#define PQexecParams	     BH_LAZY(pq, PQexecParams)
#define PQexecPrepared	     BH_LAZY(pq, PQexecPrepared)
#define PQfinish	     BH_LAZY(pq, PQfinish)
#define PQftype		     BH_LAZY(pq, PQftype)
#define PQgetisnull	     BH_LAZY(pq, PQgetisnull)
#define PQgetvalue	     BH_LAZY(pq, PQgetvalue)
#define PQnfields	     BH_LAZY(pq, PQnfields)
#define PQprepare	     BH_LAZY(pq, PQprepare)
#define PQntuples	     BH_LAZY(pq, PQntuples)
#define PQreset		     BH_LAZY(pq, PQreset)
#define PQresultErrorField   BH_LAZY(pq, PQresultErrorField)
#define PQresultStatus	     BH_LAZY(pq, PQresultStatus)
#define PQsetNoticeProcessor BH_LAZY(pq, PQsetNoticeProcessor)
#define PQstatus	     BH_LAZY(pq, PQstatus)

#endif
