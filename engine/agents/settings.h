// Harness settings that need parsing: price tables and extra environment
// lists. The parsers live with the configuration (config/server_config.h),
// which checks them at start; this is the agents' view of them.
// Thread-safety: pure functions over values.
#pragma once

#include "config/server_config.h"
#include "engine/agents/event.h"

namespace bottega::agents {

using Price = bottega::TokenPrice;            // USD per million tokens
using PriceTable = bottega::TokenPriceTable;  // by model name
using bottega::parse_env_list;
using bottega::parse_price_table;

// The cost of `usage` at `price`.
inline double price_usage(const Usage& u, const Price& p) {
  return (static_cast<double>(u.input_tokens + u.cache_write_tokens) * p.input +
          static_cast<double>(u.cached_input_tokens) * p.cached_input +
          static_cast<double>(u.output_tokens) * p.output) /
         1e6;
}

}  // namespace bottega::agents
