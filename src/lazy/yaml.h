/* SPDX-License-Identifier: Apache-2.0 */
/* libyaml, loaded on first use (see lazy.h): include this, not its headers. */
#ifndef BULKHEAD_LAZY_YAML_H
#define BULKHEAD_LAZY_YAML_H

#include <yaml.h>

#include "lazy/lazy.h"

#define yaml_event_delete	     BH_LAZY(yaml, yaml_event_delete)
#define yaml_get_version_string	     BH_LAZY(yaml, yaml_get_version_string)
#define yaml_parser_delete	     BH_LAZY(yaml, yaml_parser_delete)
#define yaml_parser_initialize	     BH_LAZY(yaml, yaml_parser_initialize)
#define yaml_parser_parse	     BH_LAZY(yaml, yaml_parser_parse)
#define yaml_parser_set_input_string BH_LAZY(yaml, yaml_parser_set_input_string)

#endif
