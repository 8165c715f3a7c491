#pragma once

#include <natty/nats/connection.hpp>
#include <natty/nats/message.hpp>
#include <natty/util/duration.hpp>

#include <string>
#include <string_view>

namespace natty::nats {

// One request/reply round trip on a fresh inbox: returns the first reply. Throws NatsError,
// with no_responders() when nobody is subscribed to `subject` and timed_out() when no reply
// came within `timeout`. For many requests on one connection, subscribe to an inbox instead.
Message request(Connection& connection,
                const std::string& subject,
                std::string_view data,
                Duration timeout);

} // namespace natty::nats
