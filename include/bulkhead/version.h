/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULKHEAD_VERSION_H
#define BULKHEAD_VERSION_H

#define BH_VERSION "0.1.0"

#endif
